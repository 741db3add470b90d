"""The node pools against the cluster and the storage: names, kinds, the one CPU system pool, zones.

Rules over the whole stack, so they live here rather than in a model validator of StackConfig, which
could only raise one error keyed to the whole stack (`tke-llm:`): each finding here names the key to
change (`nodePools[2].name`) and, in its message, the key it conflicts with. Any finding here keeps
the preflight from running (checks.validate): it reads the pools and zones these rules vouch for."""

from __future__ import annotations

from config.errors import PROJECT, ConfigIssue
from config.node_pools import CLOUD_POOL_KINDS, NativePool, NormalPool, SuperPool
from config.stack import StackConfig
from config.storage import CfsStorage, CfsTurboStorage


def _pool(i: int, field: str = "") -> str:
    return f"{PROJECT}:nodePools[{i}]{'.' + field if field else ''}"


def pool_issues(cfg: StackConfig) -> list[ConfigIssue]:
    """Every finding, one per key: each repeated name, each pool of the wrong kind or zone."""
    issues: list[ConfigIssue] = []
    names = [p.name for p in cfg.node_pools]
    for i, name in enumerate(names):
        if names.index(name) != i:
            issues.append(ConfigIssue(_pool(i, "name"), f"{name!r} is already used by nodePools[{names.index(name)}]"))
    if cfg.is_tke:
        issues += _tke(cfg)
    else:
        for i, p in enumerate(cfg.node_pools):
            if p.kind != "existing":
                issues.append(ConfigIssue(_pool(i, "kind"), f"{p.kind!r}: an existing cluster (cluster.kind: existing) "
                                          "only takes pools of kind `existing` (nodes it already has)"))
        if cfg.storage.kind not in ("existing", "local"):
            issues.append(ConfigIssue(f"{PROJECT}:storage.kind", f"{cfg.storage.kind!r} creates Tencent Cloud "
                                      "resources; an existing cluster (cluster.kind: existing) takes `existing` "
                                      "(a StorageClass name) or `local`"))
    return issues


def _tke(cfg: StackConfig) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    for i, p in enumerate(cfg.node_pools):
        if p.kind not in CLOUD_POOL_KINDS:
            issues.append(ConfigIssue(_pool(i, "kind"), f"`{p.kind}` is only for `cluster.kind: existing`; a new "
                                      f"TKE cluster takes {', '.join(CLOUD_POOL_KINDS)}"))
    cpu = [i for i, p in enumerate(cfg.node_pools) if not p.is_gpu and p.kind in ("normal", "native")]
    if not cpu:
        issues.append(ConfigIssue(f"{PROJECT}:nodePools", "add a CPU system pool (kind normal or native, no `gpu`): "
                                  "add-ons, the gateway, the UI and the model downloads run there"))
    for i in cpu[1:]:
        issues.append(ConfigIssue(_pool(i), f"a second CPU system pool (nodePools[{cpu[0]}] is one): exactly one "
                                  "pool of kind normal or native without `gpu` is allowed; remove it or give it a `gpu`"))
    zones = cfg.cluster.network.zones  # type: ignore[union-attr]
    have = f"cluster.network.subnets has {', '.join(zones)}"
    for i, p in enumerate(cfg.node_pools):
        placed = p.zones if isinstance(p, (NormalPool, NativePool, SuperPool)) else None
        for j, zone in enumerate(placed or []):
            if zone not in zones:
                issues.append(ConfigIssue(_pool(i, f"zones[{j}]"), f"{zone!r} has no subnet ({have})"))
    st = cfg.storage
    if isinstance(st, (CfsStorage, CfsTurboStorage)) and st.zone not in (None, *zones):
        issues.append(ConfigIssue(f"{PROJECT}:storage.zone", f"{st.zone!r} has no subnet ({have})"))
    return issues
