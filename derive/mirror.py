"""The config's weight mirror as the renderers' MirrorSpec: the region defaults to the cluster's region
(a TKE cluster's `cluster.region`), the endpoint to COS's for that region."""

from __future__ import annotations

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
