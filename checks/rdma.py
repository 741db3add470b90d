"""RDMA for multi-node groups: the devices a pod requests counted against what a node offers (errors),
a warning only for what stays unknowable offline (the add-on on an existing cluster, the nodes' HCA
names and GID index) or turned off (a new TKE cluster gets the rdma-agent add-on from the stack,
derive/addons.py, unless `cluster.addons.rdmaAgent.install` is false), and the plan summary's RDMA
lines naming the defaults in use. Sources of every value: docs/rdma.md.
"""

from __future__ import annotations

from catalog import gpu_for_instance
from config import PROJECT, StackConfig
from config.cluster import TkeCluster
from config.errors import ConfigIssue
from config.models import ModelConfig
from config.node_pools import NativePool, NodePool, NormalPool
from derive.addons import rdma_agent_addon
from derive.rdma import devices_per_node, devices_per_pod, env, networks, settings
from render.engines.spec import NETWORKS_ANNOTATION, RDMA_RESOURCE

RDMA_AGENT_DOC = "https://cloud.tencent.com/document/product/457/116719"
RDMA_AGENT_DAEMONSET = "kube-system/tke-rdma-shared-agent"
"""The add-on's DaemonSet (TKE doc 457/116719, 2025-07-21 version)."""


def _instance(pool: NodePool) -> str | None:
    return pool.instance_type if isinstance(pool, (NormalPool, NativePool)) else None


def _groups(cfg: StackConfig, pool: NodePool) -> list[tuple[int, ModelConfig]]:
    """The multi-node models on `pool` that use its RDMA."""
    return [(j, m) for j, m in enumerate(cfg.models) if m.pool == pool.name and settings(cfg, m) is not None]


def _rdma_pools(cfg: StackConfig) -> list[tuple[int, NodePool, list[tuple[int, ModelConfig]]]]:
    out = []
    for i, pool in enumerate(cfg.node_pools):
        if pool.gpu is not None and pool.gpu.rdma.enabled and pool.kind != "super":
            groups = _groups(cfg, pool)
            if groups:
                out.append((i, pool, groups))
    return out


def issues(cfg: StackConfig) -> list[ConfigIssue]:
    """What would leave a group's pods Pending: RDMA on an instance type without RDMA, an unknown device
    count, or more devices per pod than a node offers."""
    found: list[ConfigIssue] = []
    for i, pool in enumerate(cfg.node_pools):
        if pool.gpu is None or not pool.gpu.rdma.enabled:
            continue
        key = f"{PROJECT}:nodePools[{i}].gpu.rdma"
        instance = _instance(pool)
        known = gpu_for_instance(instance) if instance else None
        if known is not None and not known[2]:
            found.append(ConfigIssue(key, f"{instance} has no RDMA fabric: pods requesting {RDMA_RESOURCE} would "
                                     "never be scheduled; remove gpu.rdma or use an HCC type such as HCCPNV6"))
            continue
        groups = _groups(cfg, pool) if pool.kind != "super" else []
        per_node = devices_per_node(pool)
        if groups and per_node is None and pool.gpu.rdma.devices_per_pod is None:
            found.append(ConfigIssue(f"{key}.devicesPerNode", f"exclusive mode hands each pod whole RDMA NICs, and "
                                     f"the GPU catalog does not know how many a node with {pool.gpu.count}x "
                                     f"{pool.gpu.type} has: set devicesPerNode to a node's allocatable {RDMA_RESOURCE} "
                                     "(kubectl describe node), or devicesPerPod"))
            continue
        for j, m in groups:
            per_pod = devices_per_pod(pool, m.gpus_per_node)
            if per_node is not None and per_pod is not None and per_pod > per_node:
                found.append(ConfigIssue(f"{key}.devicesPerPod", f"models[{j}] ({m.name}) would request {per_pod} "
                                         f"{RDMA_RESOURCE} per pod, more than the {per_node} a node offers: its "
                                         f"pods would never be scheduled; use <= {per_node}"))
    return found


def check(cfg: StackConfig, out) -> None:
    """Preflight warnings: GPUs the RDMA devices leave idle, and what cannot be seen offline."""
    for i, pool, groups in _rdma_pools(cfg):
        assert pool.gpu is not None
        r = pool.gpu.rdma
        key = f"nodePools[{i}].gpu.rdma"
        names = ", ".join(m.name for _, m in groups)
        per_node = devices_per_node(pool)
        for j, m in groups:
            per_pod = devices_per_pod(pool, m.gpus_per_node)
            by_gpu = pool.gpu.count // m.gpus_per_node
            if per_node is not None and per_pod is not None and per_node // per_pod < by_gpu:
                out.warn(f"{key}.devicesPerPod", f"{m.name}: a node fits {by_gpu} of its pods by GPUs but only "
                         f"{per_node // per_pod} by RDMA devices ({per_pod} of {per_node} each): GPUs stay idle; "
                         f"lower devicesPerPod to {per_node // by_gpu}")
        if not cfg.is_tke:
            network = "" if r.host_network or r.primary_network else (
                " and whether the cluster's pod network is VPC-CNI (`tke-route-eni`, assumed; set primaryNetwork)")
            out.warn(key, f"the pods of {names} request {RDMA_RESOURCE}, which only TKE's rdma-agent add-on offers "
                     f"({RDMA_AGENT_DOC}); the stack neither installs it on an existing cluster nor can see it "
                     f"offline{network}. It must run on these nodes in {r.mode} mode "
                     f"(`kubectl get ds -n {RDMA_AGENT_DAEMONSET.replace('/', ' ')}`), or the pods stay Pending")
        elif isinstance(cfg.cluster, TkeCluster) and rdma_agent_addon(cfg) is None:
            out.warn("cluster.addons.rdmaAgent.install", f"the pods of {names} (`{pool.name}`) request "
                     f"{RDMA_RESOURCE}, which only TKE's rdma-agent add-on offers ({RDMA_AGENT_DOC}), and "
                     "`cluster.addons.rdmaAgent.install` is false: unless the cluster gets the add-on another way "
                     f"(the console), in {r.mode} mode, the pods stay Pending; set it to true")
        typed = (("gid_index", "gidIndex", r.gid_index), ("hca", "hca", r.hca))
        unsure = [f"{name} {value}" for field, name, value in typed if field not in r.model_fields_set]
        dynamic = r.mode == "shared" and not r.host_network
        if unsure or dynamic:
            why = (f"{' and '.join(unsure)} are the values of Tencent's playbook on TKE HCC nodes; the NIC names "
                   "and GID table of these nodes cannot be seen offline" if unsure else "")
            if dynamic:
                why += ("; " if why else "") + ("shared (IPVLAN) mode gives each pod a dynamic GID (rdma-agent "
                                                "doc), so a fixed gidIndex may not hold: prefer exclusive mode or "
                                                "hostNetwork")
            env_keys = " / ".join(f"`models[{j}].env`" for j, _ in groups)
            out.warn(key, f"{names}: {why}. On the group's first start NCCL must log `NET/IB`, not `NET/Socket` "
                     f"(set `NCCL_DEBUG: INFO` in {env_keys} to see it, on the leader and the workers; `show_gids` "
                     "on a node lists the GIDs); set hca and gidIndex to what the nodes show")


def summary_lines(cfg: StackConfig) -> list[str]:
    """The plan's RDMA section: what each group's pods request, and which defaults are unconfirmed."""
    pools = _rdma_pools(cfg)
    if not pools:
        return []
    lines = ["## RDMA", ""]
    for i, pool, groups in pools:
        assert pool.gpu is not None
        r = pool.gpu.rdma
        per_node = devices_per_node(pool)
        for _, m in groups:
            s = settings(cfg, m)
            assert s is not None
            variables = " ".join(f"{k}={v}" for k, v in env(s))
            lines.append(f"- `{m.name}` on `{pool.name}` ({m.nodes} nodes, rdma-agent {r.mode} mode): each pod, "
                         f"leader and workers, requests {devices_per_pod(pool, m.gpus_per_node)} `{RDMA_RESOURCE}` "
                         f"of the {per_node} a node offers, `{NETWORKS_ANNOTATION}: {networks(cfg, s)}`, "
                         f"{'the host network' if s.host_network else 'the pod network'}, IPC_LOCK, {variables}")
        assumed = []
        if r.mode == "exclusive" and r.devices_per_node is None:
            assumed.append(f"devicesPerNode {per_node} (one field report of an 8x H20 node)")
        if "gid_index" not in r.model_fields_set or "hca" not in r.model_fields_set:
            assumed.append(f"gidIndex {r.gid_index} / hca {r.hca} (Tencent's playbook, not these nodes)")
        if r.host_network:
            assumed.append("the networks annotation on host-network pods (the playbook renders both; "
                           "whether the CNI reads it there is not documented)")
        elif r.primary_network is None:
            assumed.append(f"primaryNetwork {networks(cfg, r).split(',')[0]} (from the cluster kind)")
        lines.append(f"- unconfirmed defaults in `nodePools[{i}].gpu.rdma`: {'; '.join(assumed)}" if assumed else
                     f"- `nodePools[{i}].gpu.rdma` sets every unconfirmed value explicitly")
    return lines + [""]
