"""RDMA for multi-node groups: a pool's `gpu.rdma` settings with their defaults resolved, as the engine
spec's `Rdma` (render/engines/spec.py). Only a model spanning several nodes of an RDMA pool uses it; one
node talks over NVLink. Every default and its source: docs/rdma.md."""

from __future__ import annotations

from catalog import SHARED_RDMA_DEVICES, rdma_nics
from config import StackConfig
from config.models import ModelConfig
from config.node_pools import NativePool, NodePool, NormalPool
from config.node_pools import Rdma as RdmaSettings
from render.engines import Rdma

RDMA_NETWORKS = {"shared": "tke-rdma-ipvlan", "exclusive": "tke-rdma-macvlan"}
"""The rdma-agent's network per mode (shared: tke-ai-playbook _helpers.tpl; exclusive: aik8s field report)."""
GLOBAL_ROUTER_NETWORK = "tke-bridge"
"""The pod network of a GlobalRouter cluster, which components/tke_cluster.py creates (imroc/tke-guide)."""
VPC_CNI_NETWORK = "tke-route-eni"
"""VPC-CNI's pod network: the playbook's default, assumed on an existing cluster."""


def settings(cfg: StackConfig, m: ModelConfig) -> RdmaSettings | None:
    """The pool's RDMA settings when `m` spans several nodes of a pool with `gpu.rdma` on; else None
    (also when the pool is missing: the config checks report it)."""
    if not m.multi_node or not cfg.has_pool(m.pool):
        return None
    gpu = cfg.pool(m.pool).gpu
    return gpu.rdma if gpu is not None and gpu.rdma.enabled else None


def devices_per_node(pool: NodePool) -> int | None:
    """RDMA devices a node of the pool offers: the setting, 1000 virtual ones in shared mode, else the
    NICs the catalog knows for the instance type (or for the pool's GPUs); None when unknown."""
    assert pool.gpu is not None
    r = pool.gpu.rdma
    if r.devices_per_node is not None:
        return r.devices_per_node
    if r.mode == "shared":
        return SHARED_RDMA_DEVICES
    instance = pool.instance_type if isinstance(pool, (NormalPool, NativePool)) else None
    return rdma_nics(instance, pool.gpu.type, pool.gpu.count)


def devices_per_pod(pool: NodePool, gpus_per_node: int) -> int | None:
    """Devices one pod requests: the setting; 1 in shared mode (the playbook's request); in exclusive
    mode the node's NICs in proportion to the pod's GPUs, so a pod on half a node leaves half the NICs."""
    assert pool.gpu is not None
    r = pool.gpu.rdma
    if r.devices_per_pod is not None:
        return r.devices_per_pod
    if r.mode == "shared":
        return 1
    per_node = devices_per_node(pool)
    return None if per_node is None else max(1, per_node * gpus_per_node // pool.gpu.count)


def primary_network(cfg: StackConfig, r: RdmaSettings) -> str:
    return r.primary_network or (GLOBAL_ROUTER_NETWORK if cfg.is_tke else VPC_CNI_NETWORK)


def networks(cfg: StackConfig, r: RdmaSettings) -> str:
    """The `tke.cloud.tencent.com/networks` annotation: the pod network, then the RDMA network."""
    return f"{primary_network(cfg, r)},{RDMA_NETWORKS[r.mode]}"


def env(r: RdmaSettings) -> tuple[tuple[str, str], ...]:
    """The typed NCCL/Gloo settings (tke-ai-playbook deepseek-r1-vllm vllm.yaml), then `env` as given."""
    return (
        ("NCCL_IB_GID_INDEX", str(r.gid_index)),
        ("NCCL_IB_HCA", r.hca),
        ("NCCL_SOCKET_IFNAME", r.socket_interface),
        ("GLOO_SOCKET_IFNAME", r.socket_interface),
        *r.env.items(),
    )


def rdma(cfg: StackConfig, m: ModelConfig) -> Rdma | None:
    """The engine spec's RDMA part for `m`, or None. Raises when exclusive mode's device count is
    unknown, which the config checks refuse first (checks/rdma.py)."""
    r = settings(cfg, m)
    if r is None:
        return None
    devices = devices_per_pod(cfg.pool(m.pool), m.gpus_per_node)
    if devices is None:
        raise ValueError(f"{m.name}: the RDMA devices per pod of pool {m.pool!r} are unknown; "
                         "set gpu.rdma.devicesPerNode")
    return Rdma(devices=devices, networks=networks(cfg, r), env=env(r))
