"""Egress preflight and its plan line: which pool downloads, what it fetches from outside Tencent
Cloud's network, and through which path (a NAT gateway, public addresses on the pool, the VPC's own).

A host counts as inside Tencent's network only when it is one of Tencent Cloud's intranet endpoints
(`*.tencentyun.com`, e.g. the `ccr.ccs.tencentyun.com` registry, `mirrors.tencentyun.com`): every
other host, Tencent's public mirrors included, needs a path to the internet from a node without a
public address (reference pitfall P8).
"""

from __future__ import annotations

from urllib.parse import urlparse

from catalog.regions import in_mainland_china
from config import StackConfig
from config.node_pools import NativePool, NormalPool

INTRANET_SUFFIX = ".tencentyun.com"
UPSTREAM_REGISTRIES = "ghcr.io, quay.io, docker.io, registry.k8s.io"


def _outside(host: str) -> bool:
    return not host.endswith(INTRANET_SUFFIX)


def _source_host(m) -> str:
    src = m.source
    if src.kind == "huggingface":
        return urlparse(src.endpoint).hostname if src.endpoint else "huggingface.co"  # type: ignore[return-value]
    if src.kind == "modelscope":
        return "www.modelscope.cn"
    return "registry.ollama.ai"


def outside_hosts(cfg: StackConfig, pool: str, downloads: bool) -> list[str]:
    """Hosts outside Tencent's network that `pool` fetches from: images always, weights and the
    download tools' PyPI index when it runs the downloads."""
    hosts: list[str] = []
    registry = (cfg.image_registry or "").split("/")[0]
    if not registry or _outside(registry):
        hosts.append(registry or UPSTREAM_REGISTRIES)
    if downloads:
        for m in cfg.models:
            if cfg.storage.kind == "local" and _hub_pool(cfg, m) != pool:
                continue
            hosts.append(_source_host(m))
            if m.source.kind != "ollama":
                pip = urlparse(cfg.model_cache.pip_index_url).hostname if cfg.model_cache.pip_index_url else "pypi.org"
                hosts.append(pip)  # type: ignore[arg-type]
    return sorted({h for h in hosts if h and (h == UPSTREAM_REGISTRIES or _outside(h))})


def downloading_pools(cfg: StackConfig) -> list[str]:
    """The pools the model downloads from the hubs run on: the CPU system pool on shared storage, the GPU
    pools themselves with `storage.kind: local` (the system pool for what the weight mirror carries)."""
    if not cfg.models:
        return []
    if cfg.storage.kind == "local":
        return sorted({p for m in cfg.models if (p := _hub_pool(cfg, m))})
    return [cfg.system_pool.name] if cfg.system_pool else []


def _hub_pool(cfg: StackConfig, m) -> str | None:
    """The pool that fetches `m` from its hub on local storage: its own GPU pool, or with the weight mirror
    the CPU system pool, whose seed Job fills the mirror the GPU nodes then read (Ollama keeps its registry)."""
    if cfg.model_cache.mirror is not None and m.source.kind != "ollama":
        return cfg.system_pool.name if cfg.system_pool else None
    return m.pool


def _hub_from_mainland(cfg: StackConfig, out) -> None:
    """Hugging Face without a mirror, from a region in mainland China: a warning naming the mirrors."""
    region = cfg.cluster.region if cfg.is_tke else None  # type: ignore[union-attr]
    if region is None or not in_mainland_china(region):
        return
    for i, m in enumerate(cfg.models):
        if m.source.kind == "huggingface" and m.source.endpoint is None:
            out.warn(f"models[{i}].source.endpoint", f"{m.name} downloads from huggingface.co, which is unreachable or "
                     f"throttled from {region} (mainland China): the download would stall or fail. Set "
                     "`endpoint: https://hf-mirror.com` (a public mirror), or download from ModelScope "
                     "(`source.kind: modelscope`, `model: <org>/<name>`)")


def check(cfg: StackConfig, out) -> None:
    """Refuse a stack whose pools cannot reach what they fetch (errors into preflight's `out`); warn
    about Hugging Face without a mirror from mainland China."""
    _hub_from_mainland(cfg, out)
    if not cfg.is_tke:
        return
    net = cfg.cluster.network  # type: ignore[union-attr]
    kind = net.egress_kind
    if kind in ("nat", "existing"):
        return
    downloaders = downloading_pools(cfg)
    for i, pool in enumerate(cfg.node_pools):
        if not isinstance(pool, (NormalPool, NativePool)):
            continue  # attached machines keep their own network; super nodes pull through TKE's
        runs_models = any(m.pool == pool.name for m in cfg.models)
        downloads = pool.name in downloaders
        if not (downloads or runs_models or not pool.is_gpu):
            continue
        hosts = outside_hosts(cfg, pool.name, downloads)
        if not hosts:
            continue
        what = "downloads the weights and pulls images" if downloads else "pulls images"
        if kind == "none":
            out.error("cluster.network.egress.kind", f"pool {pool.name} {what} from {', '.join(hosts)}, outside "
                      "Tencent Cloud's network, but egress is `none`: use `nat` (a NAT gateway), or `publicIp` "
                      "with publicBandwidthMbps on the pool, or mirror them (imageRegistry on *.tencentyun.com) (P8)")
        elif kind == "publicIp" and not pool.public_bandwidth_mbps:
            out.error(f"nodePools[{i}].publicBandwidthMbps", f"pool {pool.name} {what} from {', '.join(hosts)} "
                      "and egress is `publicIp`, but the pool has no public bandwidth: set e.g. "
                      "publicBandwidthMbps: 100, or use egress `nat` (P8)")


def summary_lines(cfg: StackConfig) -> list[str]:
    """The Egress section of the plan summary."""
    lines = ["## Egress", ""]
    if not cfg.is_tke:
        return lines + ["Existing cluster: its nodes' own path to the internet is assumed.", ""]
    net = cfg.cluster.network  # type: ignore[union-attr]
    kind = net.egress_kind
    path = {
        "nat": f"a NAT gateway (elastic IP, {net.egress.bandwidth_mbps} Mbit/s) and a default route for the "
               "subnets the stack creates",
        "existing": (f"the existing NAT gateway `{net.egress.nat_gateway_id}` (a default route for created subnets)"
                     if net.egress.nat_gateway_id else "the existing VPC's own routes (assumed to reach the internet)"),
        "publicIp": "public bandwidth on each pool that fetches from outside (no NAT gateway)",
        "none": "none: every source and image must be inside Tencent Cloud's network",
    }[kind]
    lines.append(f"Egress `{kind}`: {path}.")
    for name in downloading_pools(cfg):
        hosts = outside_hosts(cfg, name, True)
        lines.append(f"- pool `{name}` downloads the weights"
                     + (f" from outside Tencent Cloud: {', '.join(hosts)}" if hosts else " from inside Tencent Cloud"))
    return lines + mirror_lines(cfg) + [""]


def mirror_lines(cfg: StackConfig) -> list[str]:
    """Which pools fill from the weight mirror, and that those fills stay off the NAT."""
    m = cfg.model_cache.mirror
    if m is None or not cfg.models:
        return []
    region = m.region or (cfg.cluster.region if cfg.is_tke else "?")  # type: ignore[union-attr]
    where = f"COS `{m.bucket}` in {region}"
    if cfg.storage.kind == "local":
        pools = ", ".join(f"`{p}`" for p in sorted({x.pool for x in cfg.models if x.source.kind != "ollama"}))
        fills = (f"- the weight mirror ({where}): a Job on the CPU pool fills it from the hub once per revision; "
                 f"the nodes of {pools} fill their disks from it only, never from the hub")
    else:
        fills = (f"- the weight mirror ({where}): the download Job fills the volume from it when it holds the "
                 "revision (another stack, a lost volume), else from the hub and then fills it")
    cross = cfg.is_tke and m.region is not None and m.region != cfg.cluster.region  # type: ignore[union-attr]
    return [fills + ("; the bucket is in another region: those fills cross regions (billed traffic)" if cross
                     else "; mirror fills use the region's COS endpoint and do not cross the NAT")]
