"""The config's weight mirror as the renderers' MirrorSpec: the region defaults to the cluster's region
(a TKE cluster's `cluster.region`), the endpoint to COS's for that region."""

from __future__ import annotations

import math

from config import StackConfig
from render.mirror import MirrorSpec, cos_endpoint


def mirror_spec(cfg: StackConfig) -> MirrorSpec | None:
    """None without `modelCache.mirror`. On an existing cluster the region must be given (checks/ refuse a
    mirror without one, keyed)."""
    m = cfg.model_cache.mirror
    if m is None:
        return None
    region = m.region or (cfg.cluster.region if cfg.is_tke else None)
    if region is None:
        raise ValueError("modelCache.mirror.region is needed on an existing cluster")
    return MirrorSpec(bucket=m.bucket, region=region, endpoint=m.endpoint or cos_endpoint(region),
                      prefix=m.prefix, stream=m.load == "stream")


def seed_scratch_gi(size_gb: float) -> int:
    """The seed Job's emptyDir (local storage with a mirror): the whole model staged once, plus 1 Gi for
    the tools' metadata. It lives on the CPU node's system disk (data disks hold containerd's images)."""
    return math.ceil(size_gb * 1e9 / 2**30) + 1
