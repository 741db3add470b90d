"""The plan's statement of what bills when: the billing model per GPU pool kind (which the bring-up
GPU-hours follow), what `modelCache.gpuNodesAfterDownload` changes for each, and what `pulumi destroy`
leaves behind and billing."""

from __future__ import annotations

from catalog.cos import REQUESTS_USD_PER_10K, STANDARD_USD_PER_GB_MONTH
from config import StackConfig
from derive.serving import model_size_gb
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


def mirror_lines(cfg: StackConfig) -> list[str]:
    """The weight mirror's storage (the mirrored models' sizes) and requests: one PUT per file for the fill,
    per consumer one GET per file (files counted as one per 5 GB shard, plus 10 small ones, an estimate)."""
    m = cfg.model_cache.mirror
    models = [x for x in cfg.models if x.source.kind != "ollama"]
    if m is None or not models:
        return []
    gb = sum(model_size_gb(x) for x in models)
    files = sum(int(model_size_gb(x) // 5) + 11 for x in models)
    storage = gb * STANDARD_USD_PER_GB_MONTH
    per_fill = files * REQUESTS_USD_PER_10K / 10_000
    return [f"- weight mirror `{m.bucket}`: {gb:g} GB of STANDARD storage, about {storage:.2f} USD a month "
            f"(at {STANDARD_USD_PER_GB_MONTH} USD/GB-month, ASSUMED: catalog/cos.py); requests: about {files} PUTs "
            f"once to fill it and {files} GETs per consumer fill ({per_fill:.4f} USD each, at "
            f"{REQUESTS_USD_PER_10K} USD/10,000, ASSUMED); same-region intranet reads bill no traffic."]


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
    lines += mirror_lines(cfg)
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
    if cfg.model_cache.mirror is not None and cfg.model_cache.mirror.create:
        leaves.append(f"the weight mirror's COS bucket `{cfg.model_cache.mirror.bucket}` and its objects "
                      "(protected and retained)")
    lines += [f"- {x}" for x in leaves] or ["- nothing"]
    return lines + [""]
