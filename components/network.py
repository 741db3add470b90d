"""VPC, one subnet per zone, and the security group the nodes share."""

from __future__ import annotations

import pulumi
import tencentcloud_iac_pulumi as tc

from components.base import Component
from components.egress import route_table
from config.cluster import Network as NetworkConfig


class Network(Component):
    """Creates what the config does not name as existing. Node ingress is limited to the VPC range:
    nothing outside reaches a node except through the load balancers TKE creates."""

    vpc_id: pulumi.Output[str]
    subnet_ids: dict[str, pulumi.Output[str]]
    node_security_group_id: pulumi.Output[str]

    def __init__(self, name: str, cfg: NetworkConfig, tags: dict[str, str], opts: pulumi.ResourceOptions | None = None,
                 cluster_cidr: str | None = None, service_cidr: str | None = None,
                 host_network_ports: list[int] | None = None, turbo_cidr: str | None = None):
        """`host_network_ports`: engine ports that RDMA groups serve on the host network, where no
        NetworkPolicy applies; their nodes get a group that admits those ports from pods only.
        `turbo_cidr`: a CFS-Turbo file system's range in the CCN, admitted on Lustre's port (TURBO_LNET_PORT)."""
        super().__init__("tke-llm:cloud:Network", name, opts)
        child = self.cloud_child()
        if cfg.vpc_id:
            self.vpc_id = pulumi.Output.from_input(cfg.vpc_id)
            source_range = cfg.vpc_cidr
        else:
            vpc = tc.vpc.Instance(f"{name}-vpc", name=name, cidr_block=cfg.vpc_cidr, tags=tags, opts=child)
            self.vpc_id = vpc.id
            source_range = cfg.vpc_cidr
        routes = route_table(name, cfg.egress, cfg.egress_kind, vpc_id=self.vpc_id, tags=tags, opts=child)
        self.subnet_ids = {}
        for s in cfg.subnets:
            if s.id:
                self.subnet_ids[s.zone] = pulumi.Output.from_input(s.id)
            else:
                self.subnet_ids[s.zone] = tc.subnet.Instance(
                    f"{name}-{s.zone}",
                    name=f"{name}-{s.zone}",
                    vpc_id=self.vpc_id,
                    availability_zone=s.zone,
                    cidr_block=s.cidr,
                    route_table_id=routes,
                    tags=tags,
                    opts=child,
                ).id
        node_rules = [{"action": "ACCEPT", "cidr_block": source_range, "protocol": "ALL", "port": "ALL",
                       "description": "node, pod and load-balancer traffic inside the VPC"},
                      *_cluster_ranges(cluster_cidr, service_cidr), *_turbo(turbo_cidr)]
        sg = tc.security.Group(f"{name}-nodes", name=f"{name}-nodes", description="tke-llm worker nodes", tags=tags, opts=child)
        tc.security.GroupRuleSet(
            f"{name}-nodes",
            security_group_id=sg.id,
            ingresses=[
                *node_rules,
            ],
            egresses=EGRESS,
            opts=child,
        )
        self.node_security_group_id = sg.id
        self.host_network_security_group_id: pulumi.Output[str] | None = None
        if host_network_ports and cluster_cidr:
            ports = ",".join(str(p) for p in sorted(set(host_network_ports)))
            hsg = tc.security.Group(f"{name}-hostnet", name=f"{name}-hostnet",
                                    description="tke-llm RDMA nodes: engine ports from pods only", tags=tags, opts=child)
            # Rules are matched in their order (SecurityGroupRuleSet: "rules can be ordered"): the engine
            # ports accept the cluster's pods (the gateway, Prometheus), then drop every other source,
            # then the nodes' usual VPC-wide rules apply to all other ports (NCCL, kubelet, SSH).
            tc.security.GroupRuleSet(
                f"{name}-hostnet",
                security_group_id=hsg.id,
                ingresses=[
                    {"action": "ACCEPT", "cidr_block": cluster_cidr, "protocol": "TCP", "port": ports,
                     "description": "engine API and metrics from pods"},
                    {"action": "DROP", "cidr_block": "0.0.0.0/0", "protocol": "TCP", "port": ports,
                     "description": "engine API and metrics from anywhere else (host network)"},
                    *node_rules,
                ],
                egresses=EGRESS,
                opts=child,
            )
            self.host_network_security_group_id = hsg.id
        self.register_outputs({"vpcId": self.vpc_id, "subnetIds": self.subnet_ids, "nodeSecurityGroupId": sg.id})


EGRESS = [{"action": "ACCEPT", "cidr_block": "0.0.0.0/0", "protocol": "ALL", "port": "ALL",
           "description": "image pulls and model downloads"}]

TURBO_LNET_PORT = "988"
"""CFS Turbo's Lustre clients and servers talk on TCP 988 both ways: "需要和存储通信的计算实例，且已双向放通云联网内
Turbo 所在 VPC 全部 IP 地址的988端口" (Tencent CFS docs, "在 Linux 客户端上使用 CFS Turbo 文件系统", 前提条件)."""


def _turbo(turbo_cidr: str | None) -> list[dict[str, str]]:
    if not turbo_cidr:
        return []
    return [{"action": "ACCEPT", "cidr_block": turbo_cidr, "protocol": "TCP", "port": TURBO_LNET_PORT,
             "description": "CFS-Turbo file system (Lustre LNet)"}]


CLB_HEALTH_CHECK_RANGE = "100.64.0.0/10"
"""Where CLB health checks come from (Tencent Cloud CLB docs, "健康探测源 IP 支持100.64.0.0/10网段",
cloud.tencent.com/document/product/214/65860; the default for CLBs created since 2023-02-24)."""


def _cluster_ranges(cluster_cidr: str | None, service_cidr: str | None) -> list[dict[str, str]]:
    """With GlobalRouter networking pods take addresses from the cluster CIDR, outside the VPC range:
    pod-to-pod traffic across nodes (gateway to engine, DNS, Prometheus scrapes) arrives from it, and
    Service traffic from the service CIDR; CLB health checks arrive from 100.64.0.0/10."""
    rules = []
    if cluster_cidr:
        rules.append({"action": "ACCEPT", "cidr_block": cluster_cidr, "protocol": "ALL", "port": "ALL",
                      "description": "pods (GlobalRouter cluster CIDR)"})
    if service_cidr:
        rules.append({"action": "ACCEPT", "cidr_block": service_cidr, "protocol": "ALL", "port": "ALL",
                      "description": "Services (service CIDR)"})
    rules.append({"action": "ACCEPT", "cidr_block": CLB_HEALTH_CHECK_RANGE, "protocol": "TCP", "port": "ALL",
                  "description": "CLB health checks"})
    return rules
