"""What a streaming engine needs from the mirror's config: a region to address it by (an existing cluster
has none of its own), and a buffer that fits the engine pod: CPU memory charged to the pod (a node total
shared by its ranks, runai-model-streamer 0.17.1 distributed_streamer.py `rank_memory_limit`), so a
`memoryLimitGb` at or above the pod's memory gets the engine OOM-killed while it loads. docs/cold-start.md."""

from __future__ import annotations

from config.errors import PROJECT, ConfigIssue
from config.formats import quantity_value
from config.stack import StackConfig
from derive.bringup import streams
from derive.serving import pod_memory, shm_gi


def streamer_issues(cfg: StackConfig) -> list[ConfigIssue]:
    mirror = cfg.model_cache.mirror
    if mirror is None:
        return []
    if mirror.region is None and not cfg.is_tke:
        return [ConfigIssue(f"{PROJECT}:modelCache.mirror.region", "an existing cluster has no region of its own: "
                            "name the bucket's region, e.g. ap-shanghai")]
    if mirror.streamer.memory_limit_gb is None:
        return []
    limit = mirror.streamer.memory_limit_gb * 1e9
    out = []
    for i, m in enumerate(cfg.models):
        if not streams(cfg, m):
            continue
        usable = float(quantity_value(pod_memory(m))) - shm_gi(m) * 2**30
        if limit >= usable:
            out.append(ConfigIssue(f"{PROJECT}:modelCache.mirror.streamer.memoryLimitGb",
                                   f"{mirror.streamer.memory_limit_gb:g} GB does not fit models[{i}] ({m.name}): its "
                                   f"pod has {usable / 1e9:.1f} GB besides /dev/shm; lower it, or raise "
                                   f"models[{i}].memory"))
    return out
