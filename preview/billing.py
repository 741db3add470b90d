"""The plan's statement of what bills when: the billing model per GPU pool kind (which the bring-up
GPU-hours follow), what `modelCache.gpuNodesAfterDownload` changes for each, and what `pulumi destroy`
leaves behind and billing."""

from __future__ import annotations

from config import StackConfig
from preview.bringup import AFTER_DOWNLOAD_EFFECT, BILLING


def summary_lines(cfg: StackConfig) -> list[str]:
    lines = ["## Billing", ""]
    gpu = [p for p in cfg.node_pools if p.gpu]
    after = cfg.storage.kind != "local" and cfg.model_cache.gpu_nodes_after_download
    for p in gpu:
        effect = AFTER_DOWNLOAD_EFFECT[p.kind] if after else "off: the pool comes up with the cluster"
        lines.append(f"- pool `{p.name}` ({p.kind}): bills {BILLING[p.kind]}; gpuNodesAfterDownload: {effect}.")
    if not gpu:
        lines.append("No GPU pools.")
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
