"""Bring-up estimate: time from `pulumi up` to the first token per model, the critical path, and the
GPU-hours billed before it, computed over the plan's real dependency graph with a duration model.

The same graph is rewired into the reference guides' order (GPU nodes first) to show what the
download-first order saves. Cloud resources take DURATIONS; a model's download Job and its servers take
the terms of derive/bringup.py (each with its source). See docs/plan.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.model_cache import UPLOAD_RESOURCE
from config.node_pools import NodePool, SuperPool
from derive.bringup import Column, ModelTerms, terms
from derive.serving import model_size_gb
from preview.runner import Plan, PlannedResource

DURATIONS = {
    "tencentcloud:Kubernetes/cluster:Cluster": 600,
    "tencentcloud:Kubernetes/clusterEndpoint:ClusterEndpoint": 180,
    "tencentcloud:Kubernetes/nodePool:NodePool": 480,
    "tencentcloud:Kubernetes/nativeNodePool:NativeNodePool": 420,
    "tencentcloud:Kubernetes/serverlessNodePool:ServerlessNodePool": 60,
    "tencentcloud:Kubernetes/clusterAttachment:ClusterAttachment": 1200,
    "tencentcloud:Kubernetes/addon:Addon": 120,
    "tencentcloud:Cfs/fileSystem:FileSystem": 900,
    "tencentcloud:Ccn/instance:Instance": 30,
    "tencentcloud:Ccn/attachmentV2:AttachmentV2": 30,
    "tencentcloud:Vpc/instance:Instance": 10,
    "tencentcloud:Subnet/instance:Instance": 10,
    "kubernetes:helm.sh/v4:Chart": 90,
    "kubernetes:core/v1:PersistentVolumeClaim": 60,
}
BILLING = {
    "normal": "from creation: the pool's instances bill from when they are created until deleted",
    "native": "from creation: the pool's instances bill from when they are created until deleted",
    "attached": "from purchase: the machines are bought outside the stack and bill before `pulumi up` "
                "(counted here from its start) and after `pulumi destroy` detaches them",
    "super": "per pod: a super node bills only while a pod runs on it",
    "existing": "outside the stack: the cluster's own nodes",
}
"""Billing model per pool kind, stated in the summary; the bring-up GPU-hours follow it."""
AFTER_DOWNLOAD_EFFECT = {
    "normal": "the pool is created after its models' weights are down: its GPUs bill only from then",
    "native": "the pool is created after its models' weights are down: its GPUs bill only from then",
    "attached": "none: the machines bill from purchase, so they are attached while the weights download",
    "super": "no effect on billing: super nodes bill per pod, and the servers wait for the weights anyway",
    "existing": "no effect: the nodes exist already",
}
GPU_POOL_EXTRA = 300
"""GPU nodes also install the driver and device plugin before they take pods."""
POOL_TYPES = {k for k in DURATIONS if k.split(":")[-1] in ("NodePool", "NativeNodePool", "ServerlessNodePool",
                                                          "ClusterAttachment")}


def billing_start(kind: str, created: int, workload_start: int) -> int:
    """When a pool's GPUs start to bill (seconds after `pulumi up` starts), per BILLING."""
    return {"attached": 0, "super": workload_start}.get(kind, created)


GBIT_MBPS = 1000.0
"""The what-if bandwidth of the plan's "cold at 1 Gbit/s" figure (issue 17's goal: under 2 h 30 for R1)."""


@dataclass(frozen=True)
class ModelBringUp:
    model: str
    first_token_s: int
    critical_path: list[str]
    gpu_hours: float
    reference_first_token_s: int
    reference_gpu_hours: float
    warm_first_token_s: int | None = None
    """The same graph with the weight mirror already filled (a new stack in the region, a lost volume)."""
    gbit_first_token_s: int | None = None
    """Cold, with the download at GBIT_MBPS from the hub and through the egress."""


@dataclass(frozen=True)
class BringUp:
    models: list[ModelBringUp]
    hourly_cost: list[tuple[str, float]]
    terms: list[ModelTerms]


def _gpu_pool_name(r: PlannedResource, by_urn: dict[str, PlannedResource]) -> str | None:
    if r.type in POOL_TYPES and r.parent and by_urn[r.parent].name == "gpu-pools":
        return r.inputs.get("name") or r.name.removeprefix("gpu-pools-").split("-ins-")[0]
    return None


def _initial_nodes(pool: NodePool) -> int:
    """Nodes a pool starts with; super nodes have no count of their own and are taken as one."""
    return 1 if isinstance(pool, SuperPool) else pool.initial_size


def _nodes_needed(cfg, pool_name: str) -> int:
    """Nodes the pool runs once every model on it is up (pods of one model may share a node)."""
    pool = cfg.pool(pool_name)
    total = 0
    for m in cfg.models:
        if m.pool == pool_name:
            per_node = max(1, pool.gpu.count // m.gpus_per_node)
            total += m.replicas * m.nodes if m.nodes > 1 else -(-m.replicas // per_node)
    return total


def estimate(plan: Plan) -> BringUp:
    cfg = plan.config
    by_urn = {r.urn: r for r in plan.resources}
    models = {m.name: m for m in cfg.models}
    model_terms = {m.name: terms(cfg, m, model_size_gb(m)) for m in cfg.models}
    gbit_terms = {m.name: terms(cfg, m, model_size_gb(m), GBIT_MBPS) for m in cfg.models}
    scenarios: dict[str, dict[str, Column | None]] = {
        "cold": {n: t.cold for n, t in model_terms.items()},
        "warm": {n: t.warm for n, t in model_terms.items()},
        "gbit": {n: t.cold for n, t in gbit_terms.items()},
    }
    pool_names = [p.name for p in cfg.node_pools]

    def pool_of(r: PlannedResource) -> str | None:
        name = _gpu_pool_name(r, by_urn)
        if name is None:
            return None
        return next((p for p in pool_names if r.name == f"gpu-pools-{p}" or r.name.startswith(f"gpu-pools-{p}-")), name)

    def component(r: PlannedResource) -> str | None:
        node = by_urn.get(r.parent or "")
        return node.name if node else None

    def duration(r: PlannedResource, scenario: str = "cold") -> int:
        if r.is_k8s_object:
            kind = r.manifest.get("kind")
            owner = component(r) or ""
            m = models.get(owner.removesuffix("-cache")) or models.get(owner)
            column = scenarios[scenario].get(m.name) if m else None
            if kind == "Job" and m and r.name.endswith(UPLOAD_RESOURCE):
                return column.upload if column else 0
            if kind in ("Job", "DaemonSet") and m:
                return column.job if column else 0
            if kind in ("Deployment", "LeaderWorkerSet") and m:
                return column.server if column else 0
            return DURATIONS.get(r.type, 5)
        base = DURATIONS.get(r.type, 0 if not r.custom else 5)
        return base + (GPU_POOL_EXTRA if pool_of(r) else 0)

    gpu_pool_urns = {r.urn for r in plan.resources if pool_of(r)}
    system = [r.urn for r in plan.resources if r.type in POOL_TYPES and r.urn not in gpu_pool_urns]
    downloads = {r.urn for r in plan.resources if r.is_k8s_object and r.manifest.get("kind") in ("Job", "DaemonSet")}

    def expand(deps: set[str]) -> set[str]:
        """Depending on a component means depending on all its children."""
        out = set()
        for d in deps:
            kids = [r.urn for r in plan.resources if r.parent == d]
            out |= expand(set(kids)) if kids else {d}
        return out

    direct = {r.urn: expand(plan.dependencies(r)) for r in plan.resources}

    def reference_deps() -> dict[str, set[str]]:
        """The guides' order: GPU nodes join with the cluster, the endpoint and everything in-cluster
        after them, the download only once GPU nodes exist."""
        deps = {u: set(d) for u, d in direct.items()}
        for u in gpu_pool_urns:
            deps[u] = {d for d in deps[u] if by_urn[d].type.startswith("tencentcloud:") and by_urn[d].urn not in downloads
                       and d not in system} - downloads
            deps[u] = {d for d in deps[u] if not by_urn[d].is_k8s_object}
        for r in plan.resources:
            if r.type == "tencentcloud:Kubernetes/clusterEndpoint:ClusterEndpoint" or r.urn in downloads:
                deps[r.urn] |= gpu_pool_urns
        return deps

    def schedule(deps: dict[str, set[str]], scenario: str = "cold") -> tuple[dict[str, int], dict[str, int],
                                                                             dict[str, str | None]]:
        start: dict[str, int] = {}
        finish: dict[str, int] = {}
        pred: dict[str, str | None] = {}

        def visit(u: str, stack: tuple[str, ...] = ()) -> int:
            if u in finish:
                return finish[u]
            if u in stack:
                raise ValueError(f"dependency cycle at {u}")
            best, who = 0, None
            for d in sorted(deps.get(u, ())):  # sorted: ties resolve the same in every run
                f = visit(d, stack + (u,))
                if f > best:
                    best, who = f, d
            start[u], pred[u] = best, who
            finish[u] = best + duration(by_urn[u], scenario)
            return finish[u]

        for r in plan.resources:
            visit(r.urn)
        return start, finish, pred

    ours, ref = schedule(direct), schedule(reference_deps())
    warm = schedule(direct, "warm") if cfg.model_cache.mirror is not None else None
    gbit = schedule(direct, "gbit")
    results = []
    for m in cfg.models:
        workload = next((r for r in plan.k8s_objects if component(r) == m.name
                         and r.manifest.get("kind") in ("Deployment", "LeaderWorkerSet")), None)
        if workload is None:
            continue
        path, node = [], workload.urn
        while node:
            r = by_urn[node]
            if r.custom and duration(r) >= 60:
                path.append(f"{r.manifest['kind'] if r.is_k8s_object else r.type.split(':')[-1]} {r.name} "
                            f"({duration(r) // 60} min)")
            node = ours[2][node]

        def gpu_hours(sched: tuple[dict[str, int], dict[str, int], dict[str, str | None]]) -> float:
            end = sched[1][workload.urn]
            total = 0.0
            for u in gpu_pool_urns:
                pname = pool_of(by_urn[u])
                if pname != m.pool:
                    continue
                pool = cfg.pool(m.pool)
                nodes = 1 if by_urn[u].type.endswith("ClusterAttachment") else max(m.nodes * max(m.replicas, 1),
                                                                                     _initial_nodes(pool))
                total += pool.gpu.count * nodes * max(0, end - billing_start(pool.kind, sched[0][u],
                                                                             sched[0][workload.urn])) / 3600
            return round(total, 1)

        results.append(ModelBringUp(
            model=m.name,
            first_token_s=ours[1][workload.urn],
            critical_path=list(reversed(path)),
            gpu_hours=gpu_hours(ours),
            reference_first_token_s=ref[1][workload.urn],
            reference_gpu_hours=gpu_hours(ref),
            warm_first_token_s=warm[1][workload.urn] if warm and scenarios["warm"][m.name] else None,
            gbit_first_token_s=gbit[1][workload.urn],
        ))
    cost = [(p.name, p.hourly_price * max(_initial_nodes(p), _nodes_needed(cfg, p.name)))
            for p in cfg.node_pools if p.gpu and p.hourly_price is not None]
    return BringUp(models=results, hourly_cost=cost, terms=list(model_terms.values()))
