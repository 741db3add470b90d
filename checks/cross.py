"""Rules that span sections (a model and its pool, its storage, the cluster version), reported with
the exact key to fix. Kept outside the pydantic models because a model-level validator can only
point at the whole stack, not at `tke-llm:models[1].pool`."""

from __future__ import annotations

from catalog import GPUS
from catalog.quantization import QUANTIZATIONS
from checks.access import access_issues
from checks.cold_start import cold_start_issues
from checks.adapters import adapter_issues
from checks.namespaces import namespace_issues
from checks.operations import operations_issues
from checks.overrides import override_issues
from checks.rdma import issues as rdma_issues
from checks.routing import routing_issues
from checks.streamer import streamer_issues
from config.errors import PROJECT, ConfigIssue, unknown_pool
from config.stack import StackConfig
from derive.capacity import dtype_for

LWS_MIN_MINOR = 28


def _key(i: int, field: str) -> str:
    return f"{PROJECT}:models[{i}].{field}"


def _quantization(i: int, m) -> list[ConfigIssue]:
    """The engine's own `--quantization` values; Ollama's quantization is part of its tag."""
    q = m.settings.quantization
    if q is None:
        return []
    if m.engine == "ollama":
        return [ConfigIssue(_key(i, "settings.quantization"), f"Ollama's quantization is part of the model tag (e.g. "
                            f"qwen3:14b-q4_K_M): unset quantization ({q!r}) and choose the tag in source.tag")]
    known = QUANTIZATIONS[m.engine]
    if q not in known:
        return [ConfigIssue(_key(i, "settings.quantization"), f"{q!r} is not a {m.engine} quantization method; "
                            f"{m.engine} knows {', '.join(known)}")]
    return []


def cross_check(cfg: StackConfig) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    pool_names = [p.name for p in cfg.node_pools]
    names, served = [m.name for m in cfg.models], [m.served_name for m in cfg.models]
    for camel, values in (("name", names), ("servedName", served)):
        for i, v in enumerate(values):
            if values.index(v) != i:
                issues.append(ConfigIssue(_key(i, camel), f"{v!r} is already used by models[{values.index(v)}]"))
    for i, m in enumerate(cfg.models):
        issues += _quantization(i, m)
        if not cfg.has_pool(m.pool):
            issues.append(ConfigIssue(_key(i, "pool"), unknown_pool(m.pool, pool_names)))
            continue
        pool = cfg.pool(m.pool)
        if pool.gpu is None:
            issues.append(ConfigIssue(_key(i, "pool"), f"pool {m.pool!r} has no GPUs; pick a GPU pool"))
            continue
        if m.gpus_per_node > pool.gpu.count:
            issues.append(ConfigIssue(_key(i, "gpusPerNode"),
                                      f"{m.gpus_per_node} exceeds the {pool.gpu.count} GPUs per node of pool {m.pool!r}"))
            continue
        if m.multi_node and cfg.cluster.minor < LWS_MIN_MINOR:
            issues.append(ConfigIssue(_key(i, "nodes"), f"a model across nodes needs a LeaderWorkerSet, which needs "
                                      f"Kubernetes >= 1.{LWS_MIN_MINOR} (cluster.kubernetesVersion is {cfg.cluster.kubernetes_version})"))
        if m.multi_node and pool.kind == "super":
            issues.append(ConfigIssue(_key(i, "pool"), "super nodes cannot host a multi-node group (no host network, no RDMA)"))
        if pool.kind == "super" and cfg.storage.kind == "local":
            issues.append(ConfigIssue("tke-llm:storage.kind", f"models[{i}] runs on super nodes, which have no local disk for `local` storage"))
        per_node = pool.gpu.count // m.gpus_per_node
        nodes_needed = -(-m.replicas * m.nodes // per_node) if m.nodes == 1 else m.replicas * m.nodes
        if pool.kind != "super" and nodes_needed > pool.max_size:
            issues.append(ConfigIssue(_key(i, "replicas"), f"{m.replicas} replica(s) x {m.nodes} node(s) need {nodes_needed} "
                                      f"nodes of pool {m.pool!r}, whose maxSize is {pool.max_size}"))
        gpu = GPUS.get(pool.gpu.type)
        if gpu is None:
            continue  # unknown GPUs are reported by the preflight as a warning
        if m.engine == "sglang" and gpu.compute_capability < (7, 5):
            issues.append(ConfigIssue(_key(i, "engine"), f"SGLang only supports sm75 and above; {gpu.name} is "
                                      f"{gpu.sm} (P6). Use vLLM or a newer GPU"))
        if m.engine != "ollama":
            try:
                dtype_for(gpu, m.settings.dtype)
            except ValueError as err:
                issues.append(ConfigIssue(_key(i, "settings.dtype"), f"{err}; use `half`"))
    issues += rdma_issues(cfg)
    issues += operations_issues(cfg)
    issues += access_issues(cfg)
    issues += cold_start_issues(cfg)
    issues += namespace_issues(cfg)
    issues += routing_issues(cfg)
    issues += override_issues(cfg)
    issues += adapter_issues(cfg)
    issues += streamer_issues(cfg)
    return issues
