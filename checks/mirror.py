"""The weight mirror's preflight: where the bucket is, and what the mirror cannot serve. An existing
cluster has no region of its own to default to; a bucket outside the cluster's region turns every fill
into billed cross-region traffic; Ollama pulls from its own registry; local storage's seed Job stages the
whole model on the CPU node's system disk. Design: docs/model-cache.md."""

from __future__ import annotations

import math

from config import StackConfig
from config.node_pools import NativePool, NormalPool, effective_system_disk
from derive.mirror import seed_scratch_gi
from derive.serving import model_size_gb

DISK_HEADROOM_GB = 30
"""The system disk's own use beside the scratch: the OS, the kubelet and the CPU pods' images (the same
margin preflight keeps beside an engine image)."""

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
    _seed_disk(cfg, out)


def _seed_disk(cfg: StackConfig, out) -> None:
    """Local storage: the seed Job stages each model on an emptyDir of the system pool's node, which the
    kubelet keeps on the system disk (a pool's data disk is containerd's, components/node_pools.py); a
    model larger than that disk would evict the Job at run time, after the hub download began."""
    pool = cfg.system_pool if cfg.storage.kind == "local" and cfg.is_tke else None
    if not isinstance(pool, (NormalPool, NativePool)):
        return
    i = cfg.pool_index(pool.name)
    sizes = [(m.name, model_size_gb(m)) for m in cfg.models if m.source.kind != "ollama"]
    if not sizes or not all(size for _, size in sizes):
        return  # an unknown size is refused at models[i].sizeGb
    name, size = max(sizes, key=lambda s: s[1])
    scratch = seed_scratch_gi(size)
    need = math.ceil(scratch * 2**30 / 1e9) + DISK_HEADROOM_GB
    have = effective_system_disk(pool)
    if have < need:
        out.error(f"nodePools[{i}].systemDiskGb", f"{have} GB cannot hold the weight mirror's seed of {name}: "
                  f"its Job stages the whole model ({scratch} Gi) on an emptyDir of a `{pool.name}` "
                  f"node, on its system disk, beside the system's own {DISK_HEADROOM_GB} GB; use >= {need}")
