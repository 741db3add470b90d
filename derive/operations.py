"""From typed config to the operations layer's specs: per model the rollout strategy, the autoscaler,
the disruption budget and the scrape target; per stack the alert set, the dashboard and the add-on
charts. Pure derivations, reused by the composition and by the plan summary.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from catalog import images
from catalog.storage import ENGINE_INIT_SECONDS, load_gbps
from config import StackConfig
from config.node_pools import GPU_LABEL
from config.operations import ExistingPrometheus, MonitoringConfig
from derive.charts import hook_free
from derive.cold_hold import hold
from derive.naming import derive
from derive.placement import cpu_placement
from derive.replicas import min_replicas, surge_capacity
from derive.inference_pool import pool_spec
from derive.routing import router_spec
from derive.smoke import smoke_seconds
from derive.serving import IMAGE_PULL_SECONDS, ServingPlan, serving_plan, tolerations
from render import litellm
from render.autoscaling import AutoscalerSpec, Behavior, adapter_rules
from render.cold_hold import Hold
from render.disruption import Rollout, needs_pdb
from render.engines import port
from render.engines import service as service_manifest
from render.engines import service_name
from render.engines.spec import COMPONENT_LABEL, NAME_LABEL, EngineSpec
from render.meta import image as mirrored
from render.model_cache import download_name
from render.inference_pool import PoolSpec
from render.router import RouterSpec
from render.monitoring import (
    GatewayTarget,
    ModelTarget,
    PoolTarget,
    Thresholds,
    alert_groups,
    dashboard,
    gateway_requests_query,
    grafana_admin_values,
)

GRAFANA_ADMIN_SECRET = f"{images.KUBE_PROMETHEUS_STACK_RELEASE}-grafana-admin"
"""The Secret holding the in-cluster Grafana's generated admin password (components/operations.py)."""
GPU_NODE_SECONDS = {"normal": 780, "native": 720, "super": 60}
"""Buying and booting a GPU node until it takes pods (instance, driver, device plugin); typical
Tencent Cloud figures. Attached and existing nodes are always there."""


@dataclass(frozen=True)
class ChartSpec:
    """An upstream Helm chart the stack installs, pinned."""

    name: str
    """Pulumi resource name and Helm release name."""
    chart: str
    version: str
    repo: str
    namespace: str
    privileged_namespace: bool
    values: dict[str, Any]
    admin_secret: str | None = None
    """A Secret (in the chart's namespace) the stack fills with a generated admin password and the
    chart's values name (never a chart's default password): the values themselves hold no secret, so
    previews show their changes instead of one opaque secret map."""


@dataclass(frozen=True)
class ColdStart:
    """Time from the first request to a served token when a model scaled to zero wakes up."""

    warm_node_seconds: int
    """A GPU node is still there with the image cached: read the weights, start the engine."""
    new_node_seconds: int | None
    """The pool released the node: buy and boot one, pull the image, then the above (None: the pool
    keeps its nodes)."""


@dataclass(frozen=True)
class ModelOps:
    name: str
    spec: EngineSpec
    rollout: Rollout
    autoscaler: AutoscalerSpec | None
    pdb: bool
    target: ModelTarget
    cold_start: ColdStart | None = None
    hold: Hold | None = None
    """How long the gateway holds a request while the model has no ready replica (None: no gateway)."""
    groups_seconds: int | None = None
    """Multi-node models: how long Pulumi waits, once the LeaderWorkerSet reports Available, for its
    budget to count every pod of every group ready (render/disruption.py `model_pdb`); None: no wait."""


@dataclass(frozen=True)
class MonitoringPlan:
    namespace: str
    scrape_namespaces: list[str]
    scrape_interval: str
    extra_labels: dict[str, str]
    groups: list[dict[str, Any]]
    dashboard: dict[str, Any] | None
    dashboard_labels: dict[str, str]


@dataclass(frozen=True)
class OperationsPlan:
    namespace: str
    k8s_minor: int
    models: dict[str, ModelOps]
    monitoring: MonitoringPlan | None
    charts: list[ChartSpec] = field(default_factory=list)
    adapter_engines: list[str] = field(default_factory=list)
    gateway: GatewayTarget | None = None

    def chart(self, name: str) -> ChartSpec | None:
        return next((c for c in self.charts if c.name == name), None)


def gateway_target(cfg: StackConfig) -> GatewayTarget | None:
    """The LiteLLM gateway's Service as a scrape, alert and wake-up target, when the stack runs one
    (`gateway.kind: litellm`). Its names come from its renderer (render/litellm.py); its /metrics
    needs the master key, read by Prometheus from the gateway's own Secret."""
    if not cfg.gateway.enabled:
        return None
    return GatewayTarget(
        name=litellm.NAME, namespace=cfg.namespace, service=litellm.NAME, service_labels=litellm.selector(),
        pod_selector=litellm.selector(), port=litellm.PORT,
        auth_secret=(litellm.MASTER_KEY_SECRET, litellm.MASTER_KEY_FIELD),
    )


def thresholds(mon: MonitoringConfig) -> Thresholds:
    a = mon.alerts
    return Thresholds(waiting_requests=a.waiting_requests, ttft_p95_seconds=a.ttft_p95_seconds,
                      kv_cache_usage=a.kv_cache_usage, preemptions_per_minute=a.preemptions_per_minute,
                      error_ratio=a.error_ratio, gateway_5xx_ratio=a.gateway_error_ratio,
                      gpu_idle_percent=a.gpu_idle_percent, gpu_idle_hours=a.gpu_idle_hours,
                      disabled=tuple(a.disabled))


def cold_start(cfg: StackConfig, plan: ServingPlan) -> ColdStart:
    m = plan.config
    read = plan.size_gb / m.nodes / load_gbps(cfg.storage)
    warm = math.ceil(read + ENGINE_INIT_SECONDS[m.engine])
    pool = cfg.pool(m.pool)
    boot = GPU_NODE_SECONDS.get(pool.kind)
    keeps_nodes = pool.kind in ("attached", "existing") or (pool.kind in ("normal", "native") and not pool.autoscaling)
    new = None if keeps_nodes or boot is None else math.ceil(boot + IMAGE_PULL_SECONDS + warm)
    return ColdStart(warm_node_seconds=warm, new_node_seconds=new)


def model_target(plan: ServingPlan, storage_kind: str, router: RouterSpec | PoolSpec | None = None) -> ModelTarget:
    """Selectors taken from the model's own Service manifest, so the monitor and the Service agree.
    `router`: the model's router, or its InferencePool (whose endpoint picker is watched instead)."""
    spec = plan.spec
    svc = service_manifest(spec)
    name, kind = ((router.epp, "lwepp") if isinstance(router, PoolSpec) else (router.name, router.router)) \
        if router else (None, None)
    return ModelTarget(
        router=name, router_kind=kind,
        name=spec.name, namespace=spec.namespace, engine=spec.engine, service=svc["metadata"]["name"],
        service_labels={k: svc["metadata"]["labels"][k] for k in (NAME_LABEL, COMPONENT_LABEL)},
        server_selector=dict(svc["spec"]["selector"]), port=port(spec.engine),
        workload_kind="Deployment" if spec.nodes == 1 else "LeaderWorkerSet",
        download_job=None if storage_kind == "local" else download_name(spec.name, plan.source),
    )


def autoscaler_spec(cfg: StackConfig, plan: ServingPlan, gateway: GatewayTarget | None) -> AutoscalerSpec | None:
    m = plan.config
    a = m.autoscaling
    if a is None:
        return None
    up, down = a.scale_up, a.scale_down
    mon = cfg.monitoring
    return AutoscalerSpec(
        name=m.name, namespace=cfg.namespace, workload_kind="Deployment" if m.nodes == 1 else "LeaderWorkerSet",
        engine=m.engine, service=service_name(plan.spec), metric=a.metric, scaler=a.via,  # type: ignore[arg-type]
        min_replicas=a.min_replicas, max_replicas=a.max_replicas, target=a.effective_target,
        behavior=Behavior(up.pods, up.period_seconds, up.stabilization_seconds, down.enabled, down.pods,
                          down.period_seconds, down.stabilization_seconds),
        prometheus_url=mon.prometheus.query_url if mon else None,
        wake_query=gateway_requests_query(gateway, m.served_name, *(ad.name for ad in m.adapters)) if a.min_replicas == 0 and gateway else None,
        idle_seconds=a.idle_minutes * 60,
    )


def model_ops(cfg: StackConfig, plan: ServingPlan, gateway: GatewayTarget | None) -> ModelOps:
    m = plan.config
    a = m.autoscaling
    # `replicas: 0` without an autoscaler parks the model (its GPUs are free, its config stays): the
    # Service then has no endpoints to wait for, exactly as at an autoscaler's zero.
    rollout = Rollout(surge=surge_capacity(cfg, m), min_replicas=min_replicas(m),
                      max_replicas=a.max_replicas if a else m.replicas, autoscaled=a is not None,
                      scale_to_zero=min_replicas(m) == 0)
    # "Serving" is every pod of every group ready, which the LeaderWorkerSet's own Available does not
    # mean before LWS v0.9 (docs/smoke.md): its budget, which counts them, is awaited instead.
    groups = m.nodes > 1 and min_replicas(m) > 0
    return ModelOps(
        name=m.name, spec=plan.spec, rollout=rollout, autoscaler=autoscaler_spec(cfg, plan, gateway),
        pdb=needs_pdb(a.max_replicas if a else m.replicas) or groups, target=model_target(plan, cfg.storage.kind, router_spec(cfg, plan) or pool_spec(cfg, plan)),
        cold_start=cold_start(cfg, plan) if a and a.min_replicas == 0 else None,
        hold=hold(cfg, plan, cold_start(cfg, plan)) if gateway else None,
        groups_seconds=smoke_seconds(cfg, plan) if groups else None,
    )


def pool_targets(cfg: StackConfig) -> list[PoolTarget]:
    """Pools that can grow and so can reach a maximum worth alerting on."""
    return [PoolTarget(p.name, p.max_size, cfg.namespace,
                       tuple((m.name, "Deployment" if m.nodes == 1 else "LeaderWorkerSet")
                             for m in cfg.models if m.pool == p.name))
            for p in cfg.node_pools
            if p.is_gpu and p.kind in ("normal", "native") and p.autoscaling and p.max_size > 0]


def monitoring_plan(cfg: StackConfig, targets: list[ModelTarget], gateway: GatewayTarget | None) -> MonitoringPlan | None:
    mon = cfg.monitoring
    if mon is None:
        return None
    groups = alert_groups(targets, pool_targets(cfg), gateway, thresholds(mon))
    board = dashboard(targets, gateway, cfg.namespace) if mon.dashboard else None
    extra = dict(mon.prometheus.selector_labels) if isinstance(mon.prometheus, ExistingPrometheus) else {}
    return MonitoringPlan(namespace=cfg.namespace, scrape_namespaces=mon.prometheus.scrape_namespaces,
                          scrape_interval=mon.scrape_interval, extra_labels=extra, groups=groups,
                          dashboard=board, dashboard_labels=dict(mon.dashboard_labels))


# ------------------------------------------------------------------------------------------ charts


def keda_chart_version(minor: int) -> str:
    if minor in images.KEDA_CHART_BY_MINOR:
        return images.KEDA_CHART_BY_MINOR[minor]
    return images.KEDA_CHART_BY_MINOR[max(images.KEDA_CHART_BY_MINOR)]


def _gpu_placement(cfg: StackConfig) -> dict[str, Any]:
    """Affinity to every GPU pool's nodes (the pools' own labels) and tolerations of their taints."""
    gpu_pools = [p for p in cfg.node_pools if p.is_gpu]
    terms = [{"matchExpressions": [{"key": k, "operator": "In", "values": [v]} for k, v in sorted(
        ({GPU_LABEL: p.gpu.type} if p.kind != "existing" else p.node_labels).items())]} for p in gpu_pools]
    tols: list[dict[str, Any]] = []
    for p in gpu_pools:
        tols += [t for t in tolerations(p) if t not in tols]
    out: dict[str, Any] = {"tolerations": tols}
    if terms:
        out["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": terms}}}
    return out


def charts(cfg: StackConfig, adapter_engines: list[str]) -> list[ChartSpec]:
    reg = cfg.image_registry
    system = cpu_placement(cfg).chart_values  # nodeSelector (+ tolerations, affinity) of each pod
    out: list[ChartSpec] = []
    mon = cfg.monitoring
    in_cluster = mon is not None and mon.prometheus.kind == "in-cluster"
    if in_cluster:
        ns = mon.prometheus.namespace  # type: ignore[union-attr]
        values: dict[str, Any] = {
            "fullnameOverride": images.KUBE_PROMETHEUS_STACK_RELEASE,
            # Pick up every ServiceMonitor and PrometheusRule, not only those labelled for this release.
            "prometheus": {"prometheusSpec": {"serviceMonitorSelectorNilUsesHelmValues": False,
                                              "podMonitorSelectorNilUsesHelmValues": False,
                                              "ruleSelectorNilUsesHelmValues": False,
                                              **system()}},
            "alertmanager": {"alertmanagerSpec": system()},
            "prometheusOperator": system(),
            "grafana": {**system(), **grafana_admin_values(GRAFANA_ADMIN_SECRET), "sidecar": {"dashboards": {
                "enabled": True, "label": next(iter(mon.dashboard_labels), "grafana_dashboard"),
                "labelValue": next(iter(mon.dashboard_labels.values()), "1"), "searchNamespace": "ALL"}}},
            # The pool-at-maximum alert counts nodes by their pool label.
            "kube-state-metrics": {**system(), "metricLabelsAllowlist": ["nodes=[tke-llm.io/pool]"]},
        }
        if reg:
            values["global"] = {"imageRegistry": reg}
        out.append(ChartSpec(images.KUBE_PROMETHEUS_STACK_RELEASE, images.KUBE_PROMETHEUS_STACK_CHART,
                             images.KUBE_PROMETHEUS_STACK_CHART_VERSION, images.PROMETHEUS_COMMUNITY_REPO, ns, True,
                             values, admin_secret=GRAFANA_ADMIN_SECRET))
    if mon is not None and mon.dcgm_exporter:
        ns = mon.prometheus.namespace if in_cluster else "dcgm-exporter"  # type: ignore[union-attr]
        values = {"image": {"repository": mirrored(images.DCGM_EXPORTER_IMAGE, reg)},
                  "serviceMonitor": {"enabled": True, "interval": mon.scrape_interval, "honorLabels": True},
                  **_gpu_placement(cfg)}
        out.append(ChartSpec("dcgm-exporter", images.DCGM_EXPORTER_CHART, images.DCGM_EXPORTER_CHART_VERSION,
                             images.DCGM_EXPORTER_REPO, ns, True, values))
    if cfg.autoscalers.install_keda:
        image_values = {key: {"registry": reg or images.KEDA_REGISTRY, "repository": repo}
                        for key, repo in images.KEDA_IMAGES.items()}
        out.append(ChartSpec("keda", images.KEDA_CHART, keda_chart_version(cfg.cluster.minor),
                             images.KEDA_CHART_REPO, "keda", False,
                             {"image": image_values, **system()}))
    if cfg.autoscalers.install_prometheus_adapter and mon is not None and mon.prometheus.query_url:
        url = urlsplit(mon.prometheus.query_url)
        rules = adapter_rules(cfg.namespace, adapter_engines)["rules"]
        values = {
            "prometheus": {"url": f"{url.scheme}://{url.hostname}", "port": url.port or (443 if url.scheme == "https" else 80),
                           "path": url.path.rstrip("/")},
            "rules": {"default": False, "custom": rules},
            "image": {"repository": mirrored(images.PROMETHEUS_ADAPTER_IMAGE, reg)},
            **system(),
        }
        out.append(ChartSpec("prometheus-adapter", images.PROMETHEUS_ADAPTER_CHART,
                             images.PROMETHEUS_ADAPTER_CHART_VERSION, images.PROMETHEUS_COMMUNITY_REPO,
                             "custom-metrics", False, values))
    # Chart v4 never runs Helm hooks: every chart gets the values that keep its pods off them.
    return [replace(c, values=hook_free(c.chart, c.version, c.values)) for c in out]


def operations_plan(cfg: StackConfig, plans: list[ServingPlan]) -> OperationsPlan:
    gateway = gateway_target(cfg)
    models = {p.spec.name: model_ops(cfg, p, gateway) for p in plans}
    adapter_engines = sorted({o.spec.engine for o in models.values()
                              if o.autoscaler and o.autoscaler.scaler == "hpa" and o.autoscaler.metric == "queue"})
    return OperationsPlan(
        namespace=cfg.namespace, k8s_minor=cfg.cluster.minor, models=models,
        monitoring=monitoring_plan(cfg, [o.target for o in models.values()], gateway),
        charts=charts(cfg, adapter_engines), adapter_engines=adapter_engines, gateway=gateway,
    )


# ------------------------------------------------------------------------------------ plan summary


def _minutes(seconds: int) -> str:
    h, m = divmod(round(seconds / 60), 60)
    return f"{h} h {m:02d} min" if h else f"{m} min"


def _held(h: Hold | None, c: ColdStart) -> str:
    if h is None or h.seconds == 0:
        return "requests fail meanwhile (no hold at the gateway: `coldStart.holdSeconds` 0)"
    text = (f"requests wait at the gateway meanwhile, up to {h.seconds} s (`coldStart.holdSeconds`), then get 503 "
            f"with Retry-After {h.retry_after_seconds} s")
    longest = max(c.warm_node_seconds, c.new_node_seconds or 0)
    if h.seconds < longest:
        text += (f" (shorter than the {_minutes(longest)} cold start: the first requests get that 503; a client "
                 "retrying after Retry-After is served once a replica is up)")
    return text


def describe_rollout(o: ModelOps) -> str:
    if o.spec.nodes > 1:
        return "group by group (LeaderWorkerSet, no surge group)"
    if o.rollout.surge:
        return "rolling, one surge pod (a spare GPU slot exists at the pool's maximum)"
    if (o.rollout.max_replicas or o.rollout.min_replicas) >= 2:
        return "rolling, one pod at a time without surge (no spare GPU slot at the pool's maximum)"
    return "Recreate (no spare GPU slot for a surge pod at the pool's maximum)"


def summary_section(ops: OperationsPlan) -> list[str]:
    """The plan summary's `Operations` section: per model how it scales, rolls out and is protected,
    and for scale-to-zero models how long the first request waits."""
    lines = ["## Operations", ""]
    if not ops.models:
        return lines + ["No models.", ""]
    lines += ["| model | autoscaling | rollout | disruption budget |", "|---|---|---|---|"]
    for o in ops.models.values():
        a = o.autoscaler
        if a is None:
            scaling = f"fixed at {o.rollout.min_replicas}"
        else:
            signal = ("queue (KEDA)" if a.scaler == "keda" else "queue (HPA via Prometheus Adapter)") \
                if a.metric == "queue" else "TKE GPU utilisation (HPA)"
            down = "scale-down disabled" if not a.behavior.down_enabled else "scale-down on"
            scaling = f"{a.min_replicas}..{a.max_replicas} on {signal}, target {a.target:g}, {down}"
        budget = "maxUnavailable 1" if o.pdb else "none (one replica)"
        lines.append(f"| {o.name} | {scaling} | {describe_rollout(o)} | {budget} |")
    lines.append("")
    for o in ops.models.values():
        if o.cold_start is None:
            continue
        c = o.cold_start
        text = f"Cold start of `{o.name}` from zero: about {_minutes(c.warm_node_seconds)} while a GPU node is up"
        if c.new_node_seconds is not None:
            text += f", about {_minutes(c.new_node_seconds)} when a GPU node must be bought and the image pulled"
        lines += [text + "; " + _held(o.hold, c) + ".", ""]
    holds = [f"`{o.name}` up to {o.hold.seconds} s" for o in ops.models.values() if o.hold and o.hold.seconds]
    if holds:
        lines += ["The gateway holds a request while its model has no ready replica (starting, loading), then serves "
                  f"it: {', '.join(holds)}; past that 503 with Retry-After (`coldStart`).", ""]
    if ops.monitoring is not None:
        rules = Counter(r["alert"] for g in ops.monitoring.groups for r in g["rules"])
        names = [name + (f" ×{n}" if n > 1 else "") for name, n in sorted(rules.items())]
        per_model = "; ×n: one rule per model or pool" if any(n > 1 for n in rules.values()) else ""
        lines += [f"Alerts ({rules.total()} rules{per_model}): {', '.join(names)}.", ""]
    if ops.charts:
        lines += ["Add-ons: " + ", ".join(f"{c.chart} {c.version} in `{c.namespace}`" for c in ops.charts) + ".", ""]
    return lines


def section_for_plan(plan: Any) -> list[str]:
    """Summary section from a rendered plan (re-derives the specs from its config)."""
    cfg = plan.config
    names = derive(cfg, plan.stack)
    plans = [serving_plan(cfg, names, m, api_key_secret=f"{m.name}-api-key") for m in cfg.models]
    return summary_section(operations_plan(cfg, plans))

