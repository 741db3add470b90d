"""Node pools of every kind TKE offers, from one list of typed pool configs.

Cost guards: `delete_keep_instance=False` so deleting a pool stops billing for its GPU instances (the
provider's default keeps them running), and `desiredCapacity` is ignored while the pool autoscales so
a preview never tries to undo the autoscaler.
"""

from __future__ import annotations

from typing import Any

import pulumi
import tencentcloud_iac_pulumi as tc

from components.base import Component
from config.node_pools import (
    AttachedPool,
    GpuSoftware,
    NativePool,
    NormalPool,
    SuperPool,
    effective_system_disk,
)

CONTAINERD_ROOT = "/var/lib/containerd"
# TKE's own node-pool create timeout is 30 minutes; GPU instances in short supply often take longer.
POOL_TIMEOUTS = pulumi.CustomTimeouts(create="60m", update="60m", delete="30m")


def gpu_args(sw: GpuSoftware | None) -> dict[str, Any] | None:
    """The provider wants plain string maps (pulumi-notes 4.4), not typed objects."""
    if sw is None:
        return None
    args: dict[str, Any] = {
        "driver": {"name": sw.driver.name, "version": sw.driver.version},
        "cuda": {"name": sw.cuda.name, "version": sw.cuda.version},
        "mig_enable": sw.mig,
    }
    if sw.cudnn:
        args["cudnn"] = {k: v for k, v in {"name": sw.cudnn.name, "version": sw.cudnn.version,
                                          "doc_name": sw.cudnn.doc_name, "dev_name": sw.cudnn.dev_name}.items() if v}
    return args


def _taints(pool) -> list[dict[str, str]]:
    return [{"key": t.key, "value": t.value, "effect": t.effect} for t in pool.node_taints]


class NodePools(Component):
    ids: dict[str, pulumi.Output[str]]

    def __init__(
        self,
        name: str,
        *,
        pools: list[NormalPool | NativePool | SuperPool | AttachedPool],
        cluster_id: pulumi.Input[str],
        vpc_id: pulumi.Input[str],
        subnet_ids: dict[str, pulumi.Input[str]],
        security_group_id: pulumi.Input[str],
        tags: dict[str, str],
        waits: dict[str, list[pulumi.Resource]] | None = None,
        host_network_pools: dict[str, pulumi.Input[str]] | None = None,
        extra_labels: dict[str, dict[str, str]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        """`waits` holds, per pool name, what that pool must wait for (its models' downloads);
        `host_network_pools` the security group of each pool whose models run on the host network;
        `extra_labels` node labels no pod selects on, per normal, native or super pool (the rdma-agent's node
        selector); attached pools never get them."""
        super().__init__("tke-llm:cloud:NodePools", name, opts)
        self._waits = waits or {}
        self.by_pool: dict[str, list[pulumi.Resource]] = {}
        """The cloud resources of each pool, for the servers that must wait for their own nodes."""
        self._cluster_id, self._vpc_id, self._subnets = cluster_id, vpc_id, subnet_ids
        self._sg, self._tags = security_group_id, tags
        self._host_sg = host_network_pools or {}
        self._extra_labels = extra_labels or {}
        self.ids = {}
        for pool in pools:
            builder = {"normal": self._normal, "native": self._native, "super": self._super, "attached": self._attached}
            self.ids[pool.name] = builder[pool.kind](f"{name}-{pool.name}", pool)
        self.register_outputs({"ids": self.ids})

    def _pool_opts(self, pool, **kwargs) -> pulumi.ResourceOptions:
        """Child options of one pool's resources: the component's dependencies plus what this pool waits for."""
        return self.cloud_child(depends_on=self._waits.get(pool.name, []), **kwargs)

    def _subnets_for(self, zones: list[str] | None) -> list[pulumi.Input[str]]:
        return [sid for zone, sid in self._subnets.items() if not zones or zone in zones]

    def _normal(self, rname: str, pool: NormalPool) -> pulumi.Output[str]:
        data_disks = (
            [{"disk_type": pool.data_disk_type, "disk_size": pool.data_disk_gb, "delete_with_instance": True}]
            if pool.data_disk_gb else None
        )
        node_config: dict[str, Any] = {"gpu_args": gpu_args(pool.gpu.software if pool.gpu else None)}
        if pool.data_disk_gb:
            node_config["data_disks"] = [{"disk_type": pool.data_disk_type, "disk_size": pool.data_disk_gb,
                                          "auto_format_and_mount": True, "file_system": "ext4",
                                          "mount_target": CONTAINERD_ROOT}]
            node_config["docker_graph_path"] = CONTAINERD_ROOT
        asc: dict[str, Any] = {
            "instance_type": pool.instance_type,
            "backup_instance_types": pool.backup_instance_types or None,
            "system_disk_type": pool.system_disk_type,
            "system_disk_size": effective_system_disk(pool),
            "data_disks": data_disks,
            "instance_charge_type": pool.charge_type,
            "orderly_security_group_ids": [self._host_sg.get(pool.name, self._sg)],
            "enhanced_security_service": False,
            "enhanced_monitor_service": True,
        }
        if pool.public_bandwidth_mbps:
            asc.update(public_ip_assigned=True, internet_charge_type="TRAFFIC_POSTPAID_BY_HOUR",
                       internet_max_bandwidth_out=pool.public_bandwidth_mbps)
        np = tc.kubernetes.NodePool(
            rname,
            name=pool.name,
            cluster_id=self._cluster_id,
            vpc_id=self._vpc_id,
            subnet_ids=self._subnets_for(pool.zones),
            min_size=pool.min_size,
            max_size=pool.max_size,
            desired_capacity=pool.initial_size,
            enable_auto_scale=pool.autoscaling,
            multi_zone_subnet_policy="PRIORITY",
            retry_policy="IMMEDIATE_RETRY",
            node_os=pool.os_image,
            labels=self._labels(pool),
            taints=_taints(pool),
            auto_scaling_config={k: v for k, v in asc.items() if v is not None},
            node_config={k: v for k, v in node_config.items() if v is not None},
            delete_keep_instance=False,
            deletion_protection=pool.deletion_protection,
            tags=self._tags,
            opts=self._pool_opts(
                pool,
                ignore_changes=["desiredCapacity"] if pool.autoscaling else None,
                custom_timeouts=POOL_TIMEOUTS,
            ),
        )
        self.by_pool.setdefault(pool.name, []).append(np)
        return np.id

    def _labels(self, pool) -> dict[str, str]:
        return {**pool.node_labels, **self._extra_labels.get(pool.name, {})}

    def _native(self, rname: str, pool: NativePool) -> pulumi.Output[str]:
        native: dict[str, Any] = {
            "instance_charge_type": pool.charge_type,
            "instance_types": [pool.instance_type, *pool.backup_instance_types],
            "security_group_ids": [self._host_sg.get(pool.name, self._sg)],
            "subnet_ids": self._subnets_for(pool.zones),
            "system_disk": {"disk_type": pool.system_disk_type, "disk_size": effective_system_disk(pool)},
            "replicas": pool.initial_size,
            "enable_autoscaling": pool.autoscaling,
            "scaling": {"min_replicas": pool.min_size, "max_replicas": pool.max_size},
            "machine_type": "Native",
            "runtime_root_dir": CONTAINERD_ROOT,
        }
        if pool.data_disk_gb:
            native["data_disks"] = [{"disk_type": pool.data_disk_type, "disk_size": pool.data_disk_gb,
                                     "auto_format_and_mount": True, "file_system": "ext4",
                                     "mount_target": CONTAINERD_ROOT}]
        if pool.public_bandwidth_mbps:
            native["internet_accessible"] = {"charge_type": "TRAFFIC_POSTPAID_BY_HOUR",
                                             "max_bandwidth_out": pool.public_bandwidth_mbps}
        np = tc.kubernetes.NativeNodePool(
            rname,
            name=pool.name,
            cluster_id=self._cluster_id,
            type="Native",
            labels=[{"name": k, "value": v} for k, v in self._labels(pool).items()],
            taints=_taints(pool),
            native=native,
            opts=self._pool_opts(
                pool,
                ignore_changes=["native.replicas"] if pool.autoscaling else None,
            ),
        )
        self.by_pool.setdefault(pool.name, []).append(np)
        return np.id

    def _super(self, rname: str, pool: SuperPool) -> pulumi.Output[str]:
        np = tc.kubernetes.ServerlessNodePool(
            rname,
            name=pool.name,
            cluster_id=self._cluster_id,
            serverless_nodes=[
                {"subnet_id": sid, "display_name": f"{pool.name}-{i}"}
                for i, sid in enumerate(self._subnets_for(pool.zones))
            ],
            security_group_ids=[self._sg],
            labels=self._labels(pool),
            taints=_taints(pool),
            opts=self._pool_opts(pool),
        )
        self.by_pool.setdefault(pool.name, []).append(np)
        return np.id

    def _attached(self, rname: str, pool: AttachedPool) -> pulumi.Output[str]:
        worker: dict[str, Any] = {"taints": _taints(pool), "is_schedule": True}
        if pool.gpu_software:
            worker["gpu_args"] = gpu_args(pool.gpu_software)
        first = None
        for iid in pool.instance_ids:
            att = tc.kubernetes.ClusterAttachment(
                f"{rname}-{iid}",
                cluster_id=self._cluster_id,
                instance_id=iid,
                image_id=pool.image_id,
                key_ids=pool.key_id,
                # Never `extra_labels`: a label change here re-attaches (reinstalls) the machine.
                labels=pool.node_labels,
                security_groups=[self._host_sg[pool.name]] if pool.name in self._host_sg else None,
                worker_config=worker,
                # Every input forces a replacement, and a re-attach reinstalls the machine (its system
                # disk): protected, so a change stops `pulumi up` instead of wiping a bought machine.
                # No custom_timeouts: the resource has no timeouts block (only the provider's
                # TENCENTCLOUD_READ_RETRY_TIMEOUT env var changes its waits; pulumi-notes, corrections).
                opts=self._pool_opts(pool, protect=True),
            )
            first = first or att.id
            self.by_pool.setdefault(pool.name, []).append(att)
        return first  # type: ignore[return-value]
