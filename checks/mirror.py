"""The weight mirror's preflight: where the bucket is, and what the mirror cannot serve. An existing
cluster has no region of its own to default to; a bucket outside the cluster's region turns every fill
into billed cross-region traffic; Ollama pulls from its own registry. Design: docs/model-cache.md."""

from __future__ import annotations

from config import StackConfig

KEY = "modelCache.mirror"


def check(cfg: StackConfig, out) -> None:
    mirror = cfg.model_cache.mirror
    if mirror is None:
        return
    if not cfg.is_tke and mirror.region is None:
        out.error(f"{KEY}.region", "an existing cluster has no region the bucket could default to: set the "
                  "bucket's region, e.g. `region: ap-shanghai` (the cluster's own region keeps the fills on "
                  "the intranet)")
    cluster_region = cfg.cluster.region if cfg.is_tke else None  # type: ignore[union-attr]
    if cluster_region and mirror.region and mirror.region != cluster_region:
        out.warn(f"{KEY}.region", f"the bucket is in {mirror.region}, the cluster in {cluster_region}: every "
                 "fill from the mirror crosses regions over the public endpoint and is billed as COS public "
                 f"downstream traffic per GB; put the bucket in {cluster_region} (or leave `region` unset)")
    for i, m in enumerate(cfg.models):
        if m.source.kind == "ollama":
            out.warn(f"models[{i}].source.kind", f"{m.name} is pulled by Ollama from its own registry "
                     "(registry.ollama.ai): the weight mirror does not apply to it, it downloads through the "
                     "NAT as without a mirror")
        elif m.adapters:
            out.warn(f"models[{i}].adapters", f"the LoRA adapters of {m.name} are fetched from their hub, not "
                     "through the weight mirror (only the base weights are mirrored)")
