"""Observability for what the stack deployed: ServiceMonitors, the NetworkPolicy that lets Prometheus
scrape, the default alert set (a PrometheusRule) and a Grafana dashboard (a ConfigMap for the Grafana
sidecar). Pure functions of the deployed models, pools and gateway.

ServiceMonitors scrape the Service's *named* port `http` (the reference guide's cannot match). Every
alert has a severity, a summary and a description saying what to do, without `$value`. The metric
names per engine, with their sources: docs/operations.md, "Monitoring objects and metric names".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from render.cold_hold import EXPIRED_CLASS, HELD_METRIC
from render.credentials import opaque_secret
from render.meta import labels, metadata

COMPONENT = "monitoring"
RULE_NAME = "tke-llm-alerts"
DASHBOARD_NAME = "tke-llm-dashboard"
POOL_LABEL_METRIC = "label_tke_llm_io_pool"
"""kube-state-metrics' name for the node label `tke-llm.io/pool`."""

ENGINE_SERIES: dict[str, dict[str, str]] = {
    "vllm": {
        "waiting": "vllm:num_requests_waiting",
        "running": "vllm:num_requests_running",
        "kv": "vllm:kv_cache_usage_perc",
        "ttft": "vllm:time_to_first_token_seconds_bucket",
        "tokens": "vllm:generation_tokens_total",
        "preemptions": "vllm:num_preemptions_total",
        "requests": "http_requests_total",
    },
    "sglang": {
        "waiting": "sglang:num_queue_reqs",
        "running": "sglang:num_running_reqs",
        "kv": "sglang:token_usage",
        "ttft": "sglang:time_to_first_token_seconds_bucket",
        "tokens": "sglang:generation_tokens_total",
        "preemptions": "sglang:num_retracted_reqs",
        "requests": "sglang:num_requests_total",
        "aborted": "sglang:num_aborted_requests_total",
    },
}
METRIC_ENGINES = tuple(ENGINE_SERIES)
ROUTER_HEALTH: dict[str, str] = {"vllm-router": "vllm_router_worker_health", "sglang-router": "smg_worker_health"}
"""Per replica a router has discovered, 1 while its health checks pass and 0 once they fail (read off the
real vllm-router 0.1.17 and sglang-router 0.3.2 /metrics; tests/behaviour/test_router_proxy.py follows them
as a replica stops). No replica discovered: no series at all."""


@dataclass(frozen=True)
class ModelTarget:
    name: str
    namespace: str
    engine: str
    service: str
    service_labels: dict[str, str]
    """Labels of the model's Service (what the ServiceMonitor selects)."""
    server_selector: dict[str, str]
    """Pods that serve HTTP (and /metrics): the NetworkPolicy opens their port to the scraper."""
    port: int
    workload_kind: Literal["Deployment", "LeaderWorkerSet"]
    download_job: str | None = None
    """Name of the download Job (None with local storage, which downloads through a DaemonSet)."""
    router: str | None = None
    """The model's router (its Deployment and Service name), when the gateway calls one."""
    router_kind: str | None = None
    """`vllm-router` or `sglang-router` (ROUTER_HEALTH), or `lwepp` for an InferencePool's endpoint picker
    (`router` is then the picker's Deployment: it exports no per-replica health, only its own)."""

    @property
    def has_metrics(self) -> bool:
        return self.engine in ENGINE_SERIES

    @property
    def selector(self) -> str:
        return f'namespace="{self.namespace}",service="{self.service}"'


@dataclass(frozen=True)
class GatewayTarget:
    """The LiteLLM gateway, when the stack deploys one."""

    name: str
    namespace: str
    service: str
    service_labels: dict[str, str]
    pod_selector: dict[str, str]
    port: int
    port_name: str = "http"
    metrics_path: str = "/metrics/"
    auth_secret: tuple[str, str] | None = None
    """(Secret, key) of a bearer token /metrics requires (LiteLLM: the master key)."""
    total_metric: str = "litellm_proxy_total_requests_metric_total"
    failed_metric: str = "litellm_proxy_failed_requests_metric_total"
    held_metric: str = HELD_METRIC
    hold_expired_class: str = EXPIRED_CLASS
    """`exception_class` of a request whose cold-start hold ran out: the model's alerts report that."""

    @property
    def failed_5xx(self) -> str:
        """Selector of the gateway's 5xx, without the 503s of cold-start holds that ran out."""
        return f'{self.selector},exception_status=~"5..",exception_class!="{self.hold_expired_class}"'

    @property
    def selector(self) -> str:
        return f'namespace="{self.namespace}",service="{self.service}"'


@dataclass(frozen=True)
class PoolTarget:
    name: str
    max_nodes: int
    namespace: str = "llm"
    workloads: tuple[tuple[str, str], ...] = ()
    """(name, kind) of the workloads of the models on the pool: their pods are what stays Pending."""

    @property
    def pod_pattern(self) -> str:
        """Pod names of those workloads: Deployment pods are `<name>-<template hash>-<suffix>`, LeaderWorkerSet
        pods `<name>-<group>` (leaders) and `<name>-<group>-<index>` (workers)."""
        parts = [f"{n}-[a-z0-9]+-[a-z0-9]+" if k == "Deployment" else f"{n}-[0-9]+(-[0-9]+)?"
                 for n, k in self.workloads]
        return "|".join(parts)


@dataclass(frozen=True)
class Thresholds:
    waiting_requests: float = 20
    ttft_p95_seconds: float = 5
    kv_cache_usage: float = 0.9
    preemptions_per_minute: float = 1
    error_ratio: float = 0.05
    gateway_5xx_ratio: float = 0.05
    gpu_idle_percent: float = 10
    gpu_idle_hours: int = 3
    disabled: tuple[str, ...] = field(default_factory=tuple)


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def _pct(ratio: float) -> str:
    return f"{_num(round(ratio * 100, 4))}%"


# ----------------------------------------------------------------------------------- scraping


def service_monitor(name: str, namespace: str, service_labels: dict[str, str], *, port: str = "http",
                    path: str = "/metrics", interval: str = "15s", extra_labels: dict[str, str] | None = None,
                    bearer_secret: tuple[str, str] | None = None) -> dict[str, Any]:
    endpoint: dict[str, Any] = {"port": port, "path": path, "interval": interval, "scheme": "http"}
    if bearer_secret:
        endpoint["authorization"] = {"type": "Bearer",
                                     "credentials": {"name": bearer_secret[0], "key": bearer_secret[1]}}
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": metadata(name, namespace, labels(COMPONENT, **{"app.kubernetes.io/name": name,
                                                                   **(extra_labels or {})})),
        "spec": {
            "selector": {"matchLabels": dict(service_labels)},
            "namespaceSelector": {"matchNames": [namespace]},
            "endpoints": [endpoint],
        },
    }


def model_service_monitor(m: ModelTarget, interval: str = "15s",
                          extra_labels: dict[str, str] | None = None) -> dict[str, Any]:
    if not m.has_metrics:
        raise ValueError(f"{m.name}: {m.engine} exports no Prometheus metrics")
    return service_monitor(m.name, m.namespace, m.service_labels, interval=interval, extra_labels=extra_labels)


def gateway_service_monitor(g: GatewayTarget, interval: str = "15s",
                            extra_labels: dict[str, str] | None = None) -> dict[str, Any]:
    return service_monitor(g.name, g.namespace, g.service_labels, port=g.port_name, path=g.metrics_path,
                           interval=interval, extra_labels=extra_labels, bearer_secret=g.auth_secret)


def allow_scrape(name: str, namespace: str, pod_selector: dict[str, str], port: int,
                 from_namespaces: list[str]) -> dict[str, Any]:
    """The namespace denies all ingress by default (render/network_policy.py); Prometheus scrapes
    from its own namespace, so the metrics port is opened to that namespace only. (Metrics share the
    API port; the API itself still requires the engine key.)"""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata(f"{name}-scrape", namespace, labels("network-policy")),
        "spec": {
            "podSelector": {"matchLabels": dict(pod_selector)},
            "policyTypes": ["Ingress"],
            "ingress": [{
                "from": [{"namespaceSelector": {"matchExpressions": [
                    {"key": "kubernetes.io/metadata.name", "operator": "In", "values": sorted(set(from_namespaces))},
                ]}}],
                "ports": [{"protocol": "TCP", "port": port}],
            }],
        },
    }


def _re2_literal(text: str) -> str:
    """`text` as an RE2 literal: its metacharacters escaped (backquotes cannot occur in a served name)."""
    return "".join("\\" + c if c in r"\.+*?()|[]{}^$" else c for c in text)


def gateway_requests_query(g: GatewayTarget, served_name: str, *adapters: str, window: str = "2m") -> str:
    """Requests the gateway received for one model or its LoRA `adapters` (counted under their own names),
    and those it holds now. LiteLLM counts a request only once it has finished, so a request held for the
    model to start shows only in the hold's gauge (render/cold_hold.py); either side may be absent."""
    names = [served_name, *adapters]
    if len(names) == 1:
        where = f'{g.selector},requested_model="{served_name}"'
    else:  # a raw (backquoted) PromQL string: the RE2 escapes stay as written; RE2 anchors the match
        where = f'{g.selector},requested_model=~`{"|".join(_re2_literal(n) for n in names)}`'
    return (f"(sum(rate({g.total_metric}{{{where}}}[{window}])) or vector(0)) + "
            f"(sum({g.held_metric}{{{where}}}) or vector(0))")


# ---------------------------------------------------------------------------------------- alerts


def _rule(alert: str, expr: str, for_: str, severity: str, summary: str, description: str,
          extra: dict[str, str] | None = None) -> dict[str, Any]:
    rule: dict[str, Any] = {"alert": alert, "expr": expr}
    if for_:
        rule["for"] = for_
    rule["labels"] = {"severity": severity, **(extra or {})}
    rule["annotations"] = {"summary": summary, "description": description}
    return rule


def model_rules(m: ModelTarget, t: Thresholds) -> list[dict[str, Any]]:
    """The alerts one model gets: its Kubernetes state always, its engine's signals when it exports them."""
    ns, sel = m.namespace, m.selector
    tag = {"model": m.name, "engine": m.engine}
    pods = f"kubectl -n {ns} get pods -l app.kubernetes.io/name={m.name}"
    rules = []
    if m.workload_kind == "Deployment":
        wanted = f'kube_deployment_spec_replicas{{namespace="{ns}",deployment="{m.name}"}}'
        ready = f'kube_deployment_status_replicas_available{{namespace="{ns}",deployment="{m.name}"}}'
        on = "namespace, deployment"
    else:
        # LeaderWorkerSet names its leader StatefulSet after itself; a ready leader is a serving group.
        wanted = f'kube_statefulset_replicas{{namespace="{ns}",statefulset="{m.name}"}}'
        ready = f'kube_statefulset_status_replicas_ready{{namespace="{ns}",statefulset="{m.name}"}}'
        on = "namespace, statefulset"
    rules.append(_rule(
        "LLMModelNoReadyReplicas", f"({wanted} > 0) unless on ({on}) ({ready} > 0)", "5m", "critical",
        f"{m.name}: no ready replica",
        f"The {m.workload_kind} {ns}/{m.name} wants replicas but none has been ready for 5 minutes, so every "
        f"request to {m.service} fails. Run `{pods}` and describe the pods: Pending means no free GPU (pool at "
        "its maximum, or instances sold out); CrashLoopBackOff means read the engine log (CUDA OOM, dtype, "
        "maxModelLen larger than the KV cache); a failing startup probe means the weights are still loading "
        "or the storage is slower than planned.", tag))
    if m.download_job:
        rules.append(_rule(
            "LLMModelDownloadFailed",
            f'kube_job_failed{{namespace="{ns}",job_name="{m.download_job}",condition="true"}} == 1', "1m",
            "critical", f"{m.name}: weight download failed",
            f"The download Job {ns}/{m.download_job} failed, so {m.name} cannot start (and its GPU pool may be "
            f"waiting for it). Read `kubectl -n {ns} logs job/{m.download_job}`: no egress (node pool public "
            "bandwidth or a NAT gateway, P8), a missing or wrong hub token, a revision that does not exist, or a "
            "full volume. Fix it, delete the Job and run `pulumi up` again: completed files are kept.", tag))
    if m.router:
        rules += router_rules(m, ready, on)
    if not m.has_metrics:
        return rules
    s = ENGINE_SERIES[m.engine]
    by = "namespace, service"
    rules.append(_rule(
        "LLMWaitingQueueHigh", f"avg by ({by}) ({s['waiting']}{{{sel}}}) > {_num(t.waiting_requests)}", "10m",
        "warning", f"{m.name}: requests are queueing",
        f"More than {_num(t.waiting_requests)} requests on average have waited for a batch slot on each "
        f"{m.name} server for 10 minutes, so time to first token grows. If the autoscaler is at maxReplicas or "
        "the GPU pool at its maximum, raise them (GPUs permitting); otherwise check maxNumSeqs and the "
        "KV-cache alert: a full KV cache also stops admission.", tag))
    rules.append(_rule(
        "LLMTimeToFirstTokenHigh",
        f"histogram_quantile(0.95, sum by ({by}, le) (rate({s['ttft']}{{{sel}}}[5m]))) > {_num(t.ttft_p95_seconds)}",
        "10m", "warning", f"{m.name}: slow time to first token",
        f"The 95th percentile time to first token of {m.name} has been above {_num(t.ttft_p95_seconds)} s for "
        "10 minutes. Look at the waiting queue and KV-cache usage: queueing calls for replicas, long prompts "
        "for chunked prefill or a lower maxBatchedTokens, a full KV cache for a shorter maxModelLen.", tag))
    rules.append(_rule(
        "LLMKVCacheUsageHigh", f"max by ({by}, pod) ({s['kv']}{{{sel}}}) > {_num(t.kv_cache_usage)}", "15m",
        "warning", f"{m.name}: KV cache nearly full",
        f"{{{{ $labels.pod }}}} has used more than {_pct(t.kv_cache_usage)} of its KV cache for 15 minutes: new "
        "requests wait and running ones get preempted. Lower maxModelLen or maxNumSeqs, raise "
        "gpuMemoryFraction if the GPU has room, or add replicas.", tag))
    if m.engine == "vllm":
        preempt = (f"sum by ({by}) (rate({s['preemptions']}{{{sel}}}[5m])) * 60 "
                   f"> {_num(t.preemptions_per_minute)}")
        what = f"more than {_num(t.preemptions_per_minute)} request(s) per minute are preempted"
        errors = (f'sum by ({by}) (rate({s["requests"]}{{{sel},status="5xx"}}[5m])) / '
                  f'sum by ({by}) (rate({s["requests"]}{{{sel}}}[5m])) > {_num(t.error_ratio)}')
    else:
        preempt = f"max by ({by}) (max_over_time({s['preemptions']}{{{sel}}}[5m])) > 0"
        what = "requests keep being retracted (SGLang's preemption)"
        errors = (f"sum by ({by}) (rate({s['aborted']}{{{sel}}}[5m])) / "
                  f"sum by ({by}) (rate({s['requests']}{{{sel}}}[5m])) > {_num(t.error_ratio)}")
    rules.append(_rule(
        "LLMPreemptions", preempt, "15m", "warning", f"{m.name}: requests are being preempted",
        f"On {m.name} {what}, sustained for 15 minutes: the KV cache cannot hold the running batch and work "
        "is recomputed, wasting GPU time. Lower maxNumSeqs or maxModelLen, or add replicas.", tag))
    rules.append(_rule(
        "LLMRequestErrorRate", errors, "10m", "critical", f"{m.name}: requests are failing",
        f"More than {_pct(t.error_ratio)} of the requests to {m.service} have failed for 10 minutes. Read the "
        f"engine log (`kubectl -n {ns} logs -l app.kubernetes.io/name={m.name} --tail=200`): a dead engine "
        "(CUDA error, out of memory) restarts the pod; timeouts under load call for replicas.", tag))
    return rules


def router_rules(m: ModelTarget, ready: str, on: str) -> list[dict[str, Any]]:
    """A router that is down, or up but with no healthy replica while Kubernetes has ready ones (its pod
    discovery, RBAC or NetworkPolicy broke): either way every request to the model fails at the router."""
    ns, r = m.namespace, m.router
    assert r is not None and (m.router_kind in ROUTER_HEALTH or m.router_kind == "lwepp"), m
    tag = {"model": m.name, "engine": m.engine, "component": "router"}
    if m.router_kind == "lwepp":
        return [_rule(
            "LLMRouterUnavailable",
            f'(kube_deployment_spec_replicas{{namespace="{ns}",deployment="{r}"}} > 0) unless on (namespace, '
            f'deployment) (kube_deployment_status_replicas_available{{namespace="{ns}",deployment="{r}"}} > 0)',
            "5m", "critical", f"{m.name}: endpoint picker down",
            f"The endpoint picker {ns}/{r} of {m.name}'s InferencePool has had no available pod for 5 minutes; "
            f"the pool fails closed, so the Gateway refuses every request to {m.name}. Run `kubectl -n {ns} get "
            f"pods -l app.kubernetes.io/name={r}` and read `kubectl -n {ns} logs deploy/{r} --tail=200`: an image "
            "that cannot be pulled (set imageRegistry), RBAC on inferencepools, or a CPU pool without room.", tag)]
    wanted = f'kube_deployment_spec_replicas{{namespace="{ns}",deployment="{r}"}}'
    available = f'kube_deployment_status_replicas_available{{namespace="{ns}",deployment="{r}"}}'
    health = f'{ROUTER_HEALTH[m.router_kind]}{{namespace="{ns}",service="{r}"}}'
    scraped = f'up{{namespace="{ns}",service="{r}"}}'
    logs = f"kubectl -n {ns} logs deploy/{r} --tail=200"
    return [
        _rule("LLMRouterUnavailable", f"({wanted} > 0) unless on (namespace, deployment) ({available} > 0)", "5m",
              "critical", f"{m.name}: router down",
              f"The router {ns}/{r} has had no available pod for 5 minutes, so the gateway cannot reach {m.name}. "
              f"Run `kubectl -n {ns} get pods -l app.kubernetes.io/name={r}` and read `{logs}`: an image that "
              "cannot be pulled (set imageRegistry), or a CPU pool without room for its requests.", tag),
        _rule("LLMRouterSeesNoReplica",
              f"(({ready} > 0) unless on (namespace) (sum by (namespace) ({health}) > 0)) "
              f"and on (namespace) (max by (namespace) ({scraped}) == 1)", "5m", "critical",
              f"{m.name}: the router sees no healthy replica",
              f"{m.name} has ready replicas, but its router {ns}/{r} has seen none healthy for 5 minutes, so "
              f"every request fails at the router. Read `{logs}`; check that it may list pods (`kubectl auth "
              f"can-i list pods -n {ns} --as system:serviceaccount:{ns}:{r}`) and that the NetworkPolicy "
              "lets it reach the engines' port; a replica that answers /health slowly is dropped after three "
              "failed checks.", tag),
    ]


def gateway_rules(g: GatewayTarget, t: Thresholds) -> list[dict[str, Any]]:
    by = "namespace, service"
    expr = (f"sum by ({by}) (rate({g.failed_metric}{{{g.failed_5xx}}}[5m])) / "
            f"sum by ({by}) (rate({g.total_metric}{{{g.selector}}}[5m])) > {_num(t.gateway_5xx_ratio)}")
    return [_rule(
        "LLMGateway5xxRate", expr, "10m", "critical", "gateway: requests are failing",
        f"The gateway {g.namespace}/{g.name} has answered more than {_pct(t.gateway_5xx_ratio)} of its requests "
        "with a 5xx for 10 minutes. Check the model alerts first (no ready replica, error rate): the gateway "
        "reports its backends' failures; otherwise read the gateway log for upstream timeouts or config errors. "
        "Requests held through a cold start that outlast their model's hold (503 with Retry-After) are left out: "
        "the model's own alerts say why it did not start.",
        {"component": "gateway"})]


def cluster_rules(pools: list[PoolTarget], t: Thresholds) -> list[dict[str, Any]]:
    rules = [_rule(
        "LLMGpuUtilisationLow",
        f"avg by (Hostname) (avg_over_time(DCGM_FI_DEV_GPU_UTIL[1h])) < {_num(t.gpu_idle_percent)}",
        f"{t.gpu_idle_hours}h", "info", "GPUs idle for hours",
        f"The GPUs of node {{{{ $labels.Hostname }}}} have averaged under {_num(t.gpu_idle_percent)}% utilisation "
        f"for {t.gpu_idle_hours} hours while billed. Lower the model's minReplicas, enable scale-down or "
        "scale-to-zero, or move the model to a smaller GPU.", {"component": "gpu"})]
    for p in pools:
        if not p.workloads:
            continue
        # Pods of the pool's models that the scheduler cannot place: kube-state-metrics exports
        # kube_pod_status_unschedulable by default (internal/store/pod.go), unlike the node-label metric
        # kube_node_labels{label_...}, which needs an allow-list no managed or existing Prometheus is known to set.
        rules.append(_rule(
            "LLMGpuPoolAtMaximum",
            f'sum(kube_pod_status_unschedulable{{namespace="{p.namespace}", pod=~"{p.pod_pattern}"}}) > 0',
            "15m", "warning", f"GPU pool {p.name} at its maximum",
            f"Pods of the models on node pool {p.name} have been unschedulable for 15 minutes: the pool is at its "
            f"maximum of {p.max_nodes} node(s) or cannot get instances, so the scale-up stays Pending. Raise the "
            "pool's maxSize if instances are available, or lower the models' maxReplicas.",
            {"component": "node-pool", "pool": p.name}))
    return rules


def alert_groups(models: list[ModelTarget], pools: list[PoolTarget], gateway: GatewayTarget | None,
                 t: Thresholds) -> list[dict[str, Any]]:
    groups = [{"name": f"tke-llm.{m.name}", "rules": model_rules(m, t)} for m in models]
    if gateway is not None:
        groups.append({"name": "tke-llm.gateway", "rules": gateway_rules(gateway, t)})
    if models:
        groups.append({"name": "tke-llm.gpu", "rules": cluster_rules(pools, t)})
    for g in groups:
        g["rules"] = [r for r in g["rules"] if r["alert"] not in t.disabled]
    return [g for g in groups if g["rules"]]


def prometheus_rule(namespace: str, groups: list[dict[str, Any]],
                    extra_labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": metadata(RULE_NAME, namespace, labels(COMPONENT, **{"app.kubernetes.io/name": RULE_NAME,
                                                                        **(extra_labels or {})})),
        "spec": {"groups": groups},
    }


# ------------------------------------------------------------------------------------- dashboard


def _panel(pid: int, title: str, targets: list[tuple[str, str]], x: int, y: int, unit: str = "short",
           description: str = "") -> dict[str, Any]:
    return {
        "id": pid,
        "type": "timeseries",
        "title": title,
        "description": description,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"h": 8, "w": 12, "x": x, "y": y},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom"}},
        "targets": [{"refId": chr(ord("A") + i), "expr": expr, "legendFormat": legend}
                    for i, (expr, legend) in enumerate(targets)],
    }


def dashboard(models: list[ModelTarget], gateway: GatewayTarget | None, namespace: str) -> dict[str, Any]:
    """One row of panels per concern, each query covering every engine deployed."""
    engines = sorted({m.engine for m in models if m.has_metrics})
    sel = f'namespace="{namespace}"'

    def each(key: str, template: str, legend: str = "{{service}}") -> list[tuple[str, str]]:
        return [(template.format(series=ENGINE_SERIES[e][key], sel=sel), f"{e} {legend}") for e in engines]

    specs: list[tuple[str, list[tuple[str, str]], str, str]] = []
    if engines:
        specs += [
            ("Waiting requests", each("waiting", "sum by (service) ({series}{{{sel}}})"), "short",
             "Requests waiting for a batch slot (the queue autoscaling follows)."),
            ("Running requests", each("running", "sum by (service) ({series}{{{sel}}})"), "short", ""),
            ("Time to first token p95",
             each("ttft", "histogram_quantile(0.95, sum by (service, le) (rate({series}{{{sel}}}[5m])))"), "s", ""),
            ("KV-cache usage", each("kv", "max by (service, pod) ({series}{{{sel}}})", "{{pod}}"), "percentunit",
             "Share of the KV cache in use; near 100% requests queue and get preempted."),
            ("Generated tokens per second", each("tokens", "sum by (service) (rate({series}{{{sel}}}[5m]))"),
             "short", ""),
        ]
        pre = []
        if "vllm" in engines:
            pre.append((f'sum by (service) (rate(vllm:num_preemptions_total{{{sel}}}[5m])) * 60',
                        "vllm {{service}} preemptions/min"))
        if "sglang" in engines:
            pre.append((f"max by (service) (sglang:num_retracted_reqs{{{sel}}})", "sglang {{service}} retracted"))
        specs.append(("Preemptions", pre, "short", ""))
        errs = []
        if "vllm" in engines:
            errs.append((f'sum by (service) (rate(http_requests_total{{{sel},status="5xx"}}[5m])) / '
                         f"sum by (service) (rate(http_requests_total{{{sel}}}[5m]))", "vllm {{service}}"))
        if "sglang" in engines:
            errs.append((f"sum by (service) (rate(sglang:num_aborted_requests_total{{{sel}}}[5m])) / "
                         f"sum by (service) (rate(sglang:num_requests_total{{{sel}}}[5m]))", "sglang {{service}}"))
        specs.append(("Request error ratio", errs, "percentunit", ""))
    specs.append(("Ready replicas", [
        (f"kube_deployment_status_replicas_available{{{sel}}}", "{{deployment}}"),
        (f"kube_statefulset_status_replicas_ready{{{sel}}}", "{{statefulset}} (LWS groups)"),
    ], "short", ""))
    specs.append(("GPU utilisation", [("avg by (Hostname) (DCGM_FI_DEV_GPU_UTIL)", "{{Hostname}}")], "percent",
                  "DCGM exporter, per node."))
    if gateway is not None:
        gsel = gateway.selector
        specs.append(("Gateway requests per second", [
            (f"sum by (requested_model) (rate({gateway.total_metric}{{{gsel}}}[5m]))", "{{requested_model}}")],
            "reqps", ""))
        specs.append(("Gateway 5xx ratio", [
            (f"sum(rate({gateway.failed_metric}{{{gateway.failed_5xx}}}[5m])) / "
             f"sum(rate({gateway.total_metric}{{{gsel}}}[5m]))", "5xx")], "percentunit", ""))
        specs.append(("Requests held through cold starts", [
            (f"sum by (requested_model) ({gateway.held_metric}{{{gsel}}})", "held {{requested_model}}"),
            (f"sum by (requested_model) (rate({gateway.failed_metric}{{{gsel},"
             f'exception_class="{gateway.hold_expired_class}"}}[5m]))', "hold ran out /s {{requested_model}}")],
            "short", "Requests waiting at the gateway for their model's first ready replica, and those answered "
            "503 when the hold ran out."))
    panels = [_panel(i + 1, title, targets, (i % 2) * 12, (i // 2) * 8, unit, desc)
              for i, (title, targets, unit, desc) in enumerate(specs)]
    return {
        "uid": f"tke-llm-{namespace}",
        "title": f"tke-llm: LLM serving ({namespace})",
        "tags": ["tke-llm", "llm"],
        "timezone": "browser",
        "schemaVersion": 39,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": [{"name": "datasource", "type": "datasource", "query": "prometheus",
                                 "label": "Data source"}]},
        "panels": panels,
    }


GRAFANA_ADMIN_USER = "admin"
GRAFANA_USER_KEY = "admin-user"
GRAFANA_PASSWORD_KEY = "admin-password"
"""The fields of the Grafana admin Secret: the grafana chart's defaults for `admin.userKey` and
`admin.passwordKey` (grafana-community/helm-charts, chart 12.10.0, `charts/grafana/values.yaml`)."""


def grafana_admin_values(secret_name: str) -> dict[str, Any]:
    """The grafana chart's values that make its containers read the admin user and password from
    `secret_name` (and the chart render no admin Secret of its own)."""
    return {"admin": {"existingSecret": secret_name, "userKey": GRAFANA_USER_KEY, "passwordKey": GRAFANA_PASSWORD_KEY}}


def grafana_admin_secret(name: str, namespace: str, password: Any) -> dict[str, Any]:
    """The Secret `grafana_admin_values` names; `password` is a Pulumi secret, so only this Secret's
    data is secret in previews, not the chart's values."""
    return opaque_secret(name, namespace, {GRAFANA_USER_KEY: GRAFANA_ADMIN_USER, GRAFANA_PASSWORD_KEY: password},
                         COMPONENT)


def dashboard_config_map(namespace: str, board: dict[str, Any], sidecar_labels: dict[str, str]) -> dict[str, Any]:
    """The Grafana sidecar loads every ConfigMap carrying its label (kube-prometheus-stack:
    `grafana_dashboard: "1"`) from the namespaces it watches."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata(DASHBOARD_NAME, namespace, labels(COMPONENT, **sidecar_labels)),
        "data": {"tke-llm.json": json.dumps(board, indent=2, sort_keys=True)},
    }
