"""A managed TKE cluster, its node pools, its add-ons, its API endpoint and the one Kubernetes provider
built from that endpoint's kubeconfig.

The kubeconfig comes from `ClusterEndpoint`, not `Cluster.kube_config` (empty until a refresh finds
the endpoint open); the endpoint and the add-ons (pods on every node) wait for the node pools, as TKE
opens an endpoint only on a cluster with nodes. The provider's `cluster_identifier` is the cluster id, so
rotating the CA or switching endpoint type updates the provider instead of replacing its objects.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
import tencentcloud_iac_pulumi as tc

from components.base import Component
from components.k8s_provider import provider_settings
from components.node_pools import NodePools
from components.tke_addon import install_addon
from config.cluster import TkeCluster as TkeClusterConfig
from config.node_pools import NormalPool
from derive.addons import AddonSpec


class TkeCluster(Component):
    cluster_id: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    provider: k8s.Provider
    node_pools: NodePools
    cluster: tc.kubernetes.Cluster
    addons: dict[str, tc.kubernetes.Addon]
    """By config key (`networkPolicy`, `rdmaAgent`)."""

    def __init__(
        self,
        name: str,
        *,
        cfg: TkeClusterConfig,
        cluster_name: str,
        pools: list,
        vpc_id: pulumi.Input[str],
        subnet_ids: dict[str, pulumi.Input[str]],
        node_security_group_id: pulumi.Input[str],
        tags: dict[str, str],
        addons: list[AddonSpec] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        """`addons`: the cluster's add-ons (derive/addons.py cluster_addons)."""
        super().__init__("tke-llm:cloud:TkeCluster", name, opts)
        child = self.cloud_child()
        self.cluster = tc.kubernetes.Cluster(
            f"{name}-cluster",
            cluster_name=cluster_name,
            cluster_desc="LLM serving, managed by tke-llm",
            cluster_version=cfg.kubernetes_version,
            cluster_deploy_type="MANAGED_CLUSTER",
            # The provider's default cluster OS is tlinux2.4x86_64, the pools' is tlinux3.1x86_64: the
            # cluster takes its system pool's image so both agree (kubernetes_cluster `cluster_os`).
            cluster_os=next((p.os_image for p in pools if isinstance(p, NormalPool) and p.os_image), None),
            container_runtime="containerd",
            network_type="GR",
            vpc_id=vpc_id,
            cluster_cidr=cfg.cluster_cidr,
            service_cidr=cfg.service_cidr,
            cluster_max_pod_num=cfg.max_pods_per_node,
            deletion_protection=cfg.deletion_protection,
            tags=tags,
            opts=self.cloud_child(protect=cfg.deletion_protection),
        )
        self.cluster_id = self.cluster.id
        self.node_pools = NodePools(
            f"{name}-pools",
            pools=pools,
            cluster_id=self.cluster.id,
            vpc_id=vpc_id,
            subnet_ids=subnet_ids,
            security_group_id=node_security_group_id,
            tags=tags,
            opts=child,
        )
        self.addons = {
            a.field: install_addon(f"{name}-{a.resource_name}-addon", a, self.cluster.id,
                                                    self.cloud_child(depends_on=[self.node_pools]))
            for a in addons or []
        }
        endpoint_opts = self.cloud_child(depends_on=[self.node_pools])
        if cfg.endpoint.access == "public":
            sg = tc.security.Group(f"{name}-apiserver", name=f"{cluster_name}-apiserver",
                                   description="TKE API server access", tags=tags, opts=child)
            tc.security.GroupRuleSet(
                f"{name}-apiserver",
                security_group_id=sg.id,
                ingresses=[{"action": "ACCEPT", "cidr_block": c, "protocol": "TCP", "port": "443",
                            "description": "Kubernetes API"} for c in cfg.endpoint.allowed_cidrs],
                opts=child,
            )
            endpoint = tc.kubernetes.ClusterEndpoint(
                f"{name}-endpoint", cluster_id=self.cluster.id, cluster_internet=True,
                cluster_internet_security_group=sg.id, opts=endpoint_opts,
            )
            kubeconfig = endpoint.kube_config
        else:
            endpoint = tc.kubernetes.ClusterEndpoint(
                f"{name}-endpoint", cluster_id=self.cluster.id, cluster_intranet=True,
                cluster_intranet_subnet_id=next(iter(subnet_ids.values())), opts=endpoint_opts,
            )
            kubeconfig = endpoint.kube_config_intranet
        self.kubeconfig = pulumi.Output.secret(kubeconfig)
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=self.kubeconfig,
            cluster_identifier=self.cluster.id,
            **provider_settings(),
            opts=child,
        )
        self.register_outputs({"clusterId": self.cluster_id, "kubeconfig": self.kubeconfig})
