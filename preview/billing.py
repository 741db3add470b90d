"""The plan's statement of what bills when: the billing model per GPU pool kind (which the bring-up
GPU-hours follow), what `modelCache.gpuNodesAfterDownload` changes for each, and what `pulumi destroy`
leaves behind and billing."""

from __future__ import annotations

from config import StackConfig
from config.formats import quantity_value
from preview.bringup import AFTER_DOWNLOAD_EFFECT, BILLING
from render.router import RouterSpec


def router_lines(cfg: StackConfig, routers: dict[str, RouterSpec]) -> list[str]:
    """What the routers add to the CPU pool's bill: their requests, which that pool's nodes carry."""
    if not routers:
        return []
    cpu = float(sum(quantity_value(r.cpu) * r.replicas for r in routers.values()))
    mem = float(sum(quantity_value(r.memory) * r.replicas for r in routers.values())) / 2 ** 30
    where = f"the CPU system pool `{cfg.system_pool.name}`" if cfg.system_pool else "the cluster's CPU nodes"
    return [f"- routers ({len(routers)}): request {cpu:g} CPU and {mem:g} GiB in total on {where}, billed with "
            "its nodes; size that pool for them (see the capacity table)."]


def summary_lines(cfg: StackConfig, routers: dict[str, RouterSpec] | None = None) -> list[str]:
    lines = ["## Billing", ""]
    gpu = [p for p in cfg.node_pools if p.gpu]
    after = cfg.storage.kind != "local" and cfg.model_cache.gpu_nodes_after_download
    for p in gpu:
        effect = AFTER_DOWNLOAD_EFFECT[p.kind] if after else "off: the pool comes up with the cluster"
        lines.append(f"- pool `{p.name}` ({p.kind}): bills {BILLING[p.kind]}; gpuNodesAfterDownload: {effect}.")
    if not gpu:
        lines.append("No GPU pools.")
    lines += router_lines(cfg, routers or {})
    lines += ["", "`pulumi destroy` leaves, still billing until deleted by hand:"]
    leaves = []
    if cfg.storage.kind == "cfs":
        leaves.append("the CFS file system the CSI driver created for the model volume (outside the stack's "
                      "state, tagged with the stack's tags; the volume is retained)")
    if cfg.storage.kind == "cfs-turbo":
        leaves.append("the CFS-Turbo file system (protected and retained)")
    for p in cfg.node_pools:
        if p.kind == "attached":
            leaves.append(f"the attached machines of pool `{p.name}` ({', '.join(p.instance_ids)}): detached, "
                          "not terminated")
    if cfg.webui.enabled:
        leaves.append("the OpenWebUI volume (protected and retained)")
    lines += [f"- {x}" for x in leaves] or ["- nothing"]
    return lines + [""]
