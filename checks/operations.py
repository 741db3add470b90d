"""Rules between autoscaling, monitoring and the node pools, each with the key to fix: the bound
that matters is what the GPU pool can hold (derive/replicas.py), checked at plan time."""

from __future__ import annotations

from config import StackConfig
from config.errors import PROJECT, ConfigIssue
from derive.replicas import max_replicas, nodes_for, pool_node_bound

KEDA_MIN_MINOR = 28
"""The oldest Kubernetes minor a pinned KEDA chart is tested on (catalog/images.py)."""


def _model_key(i: int, field: str) -> str:
    return f"{PROJECT}:models[{i}].{field}"


def operations_issues(cfg: StackConfig) -> list[ConfigIssue]:
    """Cross-section rules of autoscaling and monitoring, each with the key to fix."""
    issues: list[ConfigIssue] = []
    mon = cfg.monitoring
    scalers = cfg.autoscalers
    gateway = cfg.gateway.enabled
    scaled = [(i, m) for i, m in enumerate(cfg.models) if m.autoscaling]
    pool_reported: set[str] = set()
    for i, m in scaled:
        a = m.autoscaling
        key = _model_key(i, "autoscaling")
        if "replicas" in m.model_fields_set and not a.min_replicas <= m.replicas <= a.max_replicas:
            issues.append(ConfigIssue(_model_key(i, "replicas"), f"{m.replicas} is the initial count and must lie "
                                      f"within autoscaling.minReplicas..maxReplicas ({a.min_replicas}..{a.max_replicas})"))
        if a.metric == "queue" and m.engine == "ollama":
            issues.append(ConfigIssue(f"{key}.metric", "Ollama exports no Prometheus metrics, so it has no queue "
                                      "to scale on; use `metric: gpu` on TKE, or vLLM / SGLang"))
        if a.metric == "gpu" and not cfg.on_tke:
            issues.append(ConfigIssue(f"{key}.metric", "k8s_pod_rate_gpu_used_request is served by TKE's own "
                                      f"metrics API: on an existing TKE cluster set `{PROJECT}:cluster.provider: "
                                      "tke`; on another cluster use `metric: queue`"))
        if a.needs_prometheus and (mon is None or mon.prometheus.query_url is None):
            issues.append(ConfigIssue(f"{PROJECT}:monitoring.prometheus.url", f"models[{i}] scales on the engine's "
                                      f"queue, which {'KEDA' if a.via == 'keda' else 'the Prometheus Adapter'} "
                                      "reads from Prometheus: give its query URL"
                                      + (" (the monitoring section is missing)" if mon is None else "")))
        if a.min_replicas == 0 and not gateway:
            issues.append(ConfigIssue(f"{key}.minReplicas", "0 scales to zero, but with no replica running no "
                                      "engine metric exists to wake it: only the gateway sees those requests. "
                                      "Add the gateway, or use minReplicas >= 1"))
        if not cfg.has_pool(m.pool) or cfg.pool(m.pool).gpu is None:
            continue  # reported by the serving checks
        j, pool = cfg.pool_index(m.pool), cfg.pool(m.pool)
        if pool.kind in ("normal", "native") and not pool.autoscaling:
            issues.append(ConfigIssue(f"{PROJECT}:nodePools[{j}].autoscaling", f"models[{i}] autoscales on this "
                                      "pool, so the pool must autoscale too (otherwise scaled-out replicas stay "
                                      "Pending: P11); set it to true"))
        bound = pool_node_bound(pool)
        if bound is None:
            continue
        gpus = m.gpus_per_node * m.nodes
        own = nodes_for(m, pool, a.max_replicas)
        if own > bound:
            issues.append(ConfigIssue(f"{key}.maxReplicas", f"{a.max_replicas} replica(s) x {gpus} GPU(s) need "
                                      f"{own} node(s) of pool {m.pool!r} ({pool.gpu.count} GPU(s) each), whose "
                                      f"maximum is {bound}; lower maxReplicas or raise the pool's maxSize"))
            continue
        together = [x for x in cfg.models if x.pool == m.pool]
        total = sum(nodes_for(x, pool, max_replicas(x)) for x in together)
        if total > bound and m.pool not in pool_reported:
            pool_reported.add(m.pool)
            others = ", ".join(f"{x.name} ({max_replicas(x)})" for x in together if x is not m)
            issues.append(ConfigIssue(f"{key}.maxReplicas", f"at their maxima the models of pool {m.pool!r} "
                                      f"({m.name} ({a.max_replicas}), {others}) need {total} nodes; the pool's "
                                      f"maximum is {bound}"))
    hpa_queue = [i for i, m in scaled if m.autoscaling.metric == "queue" and m.autoscaling.via == "hpa"]
    gpu_hpa = [i for i, m in scaled if m.autoscaling.metric == "gpu"]
    if hpa_queue and gpu_hpa:
        issues.append(ConfigIssue(_model_key(hpa_queue[0], "autoscaling.scaler"), "the Prometheus Adapter and "
                                  f"TKE's GPU metric (models[{gpu_hpa[0]}]) would both serve the custom metrics API, "
                                  "which has one provider per cluster; use `scaler: keda` for the queue"))
    if scalers.install_prometheus_adapter and gpu_hpa:
        issues.append(ConfigIssue(f"{PROJECT}:autoscalers.installPrometheusAdapter", "the adapter would take over "
                                  "the custom metrics API that serves TKE's GPU metric to "
                                  f"models[{gpu_hpa[0]}]; scale the queue through KEDA instead"))
    if scalers.install_prometheus_adapter and (mon is None or mon.prometheus.query_url is None):
        issues.append(ConfigIssue(f"{PROJECT}:autoscalers.installPrometheusAdapter", "the adapter queries "
                                  "Prometheus: add the monitoring section with the Prometheus URL"))
    if scalers.install_keda and cfg.cluster.minor < KEDA_MIN_MINOR:
        issues.append(ConfigIssue(f"{PROJECT}:autoscalers.installKeda", "no pinned KEDA release is tested on "
                                  f"Kubernetes {cfg.cluster.kubernetes_version} (oldest: 1.{KEDA_MIN_MINOR}); "
                                  "install a compatible KEDA yourself"))
    if mon is not None and mon.prometheus.kind == "tke-managed" and not cfg.is_tke:
        issues.append(ConfigIssue(f"{PROJECT}:monitoring.prometheus.kind", "TKE's managed Prometheus needs a TKE "
                                  "cluster; use `in-cluster` or `existing`"))
    return issues
