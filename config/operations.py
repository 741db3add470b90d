"""Operations config: per-model autoscaling, the stack's monitoring target, alert thresholds, and the
autoscalers the stack may install; plus the capacity rules that keep them honest.

GPU autoscaling is not CPU autoscaling: `maxReplicas` x GPUs per replica must fit the pool's maximum,
and the pool must be allowed to grow, or extra replicas stay Pending forever; both are checked here at
plan time with the key to fix. Why: docs/operations.md, "GPU autoscaling is not CPU autoscaling".
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from catalog.images import KUBE_PROMETHEUS_STACK_RELEASE
from config.base import ConfigModel
from config.errors import AtKey
from config.formats import DNS_LABEL, Labels, NamespaceName, Url

QUEUE_TARGET = 5.0
"""Waiting requests per replica the autoscaler aims for: a queue that deep on a busy server means
seconds of extra time to first token, well before the waiting-queue alert (20 by default)."""
GPU_TARGET = 80.0
"""Percent GPU utilisation of the request (TKE's metric); the value of the reference TKE guide."""
DURATION = re.compile(r"^[0-9]+[smh]$")


def _namespace(v: str) -> str:
    if not DNS_LABEL.fullmatch(v):
        raise ValueError(f"{v!r} is not a namespace name (a lowercase DNS label)")
    return v

AlertName = Literal[
    "LLMModelNoReadyReplicas",
    "LLMModelDownloadFailed",
    "LLMRouterUnavailable",
    "LLMRouterSeesNoReplica",
    "LLMWaitingQueueHigh",
    "LLMTimeToFirstTokenHigh",
    "LLMKVCacheUsageHigh",
    "LLMPreemptions",
    "LLMRequestErrorRate",
    "LLMGateway5xxRate",
    "LLMGpuUtilisationLow",
    "LLMGpuPoolAtMaximum",
]


class ScaleUp(ConfigModel):
    pods: int = Field(1, ge=1, le=16)
    """Replicas added per step."""
    period_seconds: int = Field(300, ge=15, le=1800)
    """At most one step per period. A new GPU replica (node, image, weights) serves only after
    minutes; adding more before the last one serves buys GPUs the queue may no longer need."""
    stabilization_seconds: int = Field(60, ge=0, le=3600)
    """The queue must stay high this long before a step (filters a single burst)."""


class ScaleDown(ConfigModel):
    enabled: bool = True
    """`false` never removes a replica once added: released GPU instances may not be purchasable
    again (P11). Production stacks with scarce GPUs should ship it off."""
    pods: int = Field(1, ge=1, le=16)
    """Replicas removed per step."""
    period_seconds: int = Field(600, ge=15, le=1800)
    """At most one step per period."""
    stabilization_seconds: int = Field(1800, ge=0, le=3600)
    """Load must stay low this long (the HPA's maximum is one hour) before a replica goes."""


class Autoscaling(ConfigModel):
    """Replicas of one model follow load. `replicas` becomes the initial count (within min..max)."""

    metric: Literal["queue", "gpu"] = "queue"
    """`queue`: the engine's waiting requests per replica (vLLM `vllm:num_requests_waiting`, SGLang
    `sglang:num_queue_reqs`), from Prometheus. `gpu`: TKE's `k8s_pod_rate_gpu_used_request` (GPU
    utilisation as a share of the request), served by the cluster's own metrics API; TKE only."""
    scaler: Literal["keda", "hpa"] | None = None
    """`keda`: a KEDA ScaledObject with a Prometheus trigger (the only one that scales to zero).
    `hpa`: a HorizontalPodAutoscaler; for `queue` it reads the metric through the Prometheus Adapter
    (whose rule the stack renders). Default: `keda` for `queue`, `hpa` for `gpu`."""
    min_replicas: int = Field(1, ge=0, le=64)
    """0 scales to zero when idle (KEDA, behind the gateway, which sees requests while no replica runs)."""
    max_replicas: int = Field(ge=1, le=64)
    """Bounded by the GPU pool: maxReplicas x GPUs per replica must fit the pool's maximum."""
    target: float | None = Field(None, gt=0)
    """Per replica: waiting requests (`queue`, default 5) or percent GPU utilisation (`gpu`, default 80)."""
    scale_up: ScaleUp = ScaleUp()
    """Steps of `pods` replicas at most every `periodSeconds`, once the signal stayed high."""
    scale_down: ScaleDown = ScaleDown()
    """`enabled: false` keeps every GPU replica once added (P11)."""
    idle_minutes: int = Field(30, ge=5, le=1440)
    """Scale-to-zero only: minutes without requests before the last replica goes."""

    @model_validator(mode="after")
    def _coherent(self) -> "Autoscaling":
        if self.min_replicas > self.max_replicas:
            raise AtKey("min_replicas", f"{self.min_replicas} must be <= maxReplicas ({self.max_replicas})")
        if self.metric == "gpu" and self.scaler == "keda":
            raise AtKey("scaler", "TKE's GPU metric is served to HorizontalPodAutoscalers by the cluster's custom "
                             "metrics API, not from Prometheus; use `scaler: hpa` (or `metric: queue` with KEDA)")
        if self.min_replicas == 0 and self.via != "keda":
            raise AtKey("min_replicas", f"0: only KEDA scales to zero (an HPA stops at 1); use `scaler: keda`, "
                        f"not `{self.via}`")
        if self.min_replicas == 0 and not self.scale_down.enabled:
            raise AtKey(("scale_down", "enabled"), "false forbids scaling down, but minReplicas 0 scales down to "
                        "zero; choose one")
        if self.metric == "gpu" and self.target is not None and self.target > 100:
            raise AtKey("target", f"{self.target}: the GPU metric (`metric: gpu`) is a percentage (0-100)")
        return self

    @property
    def via(self) -> str:
        return self.scaler or ("keda" if self.metric == "queue" else "hpa")

    @property
    def effective_target(self) -> float:
        if self.target is not None:
            return self.target
        return QUEUE_TARGET if self.metric == "queue" else GPU_TARGET

    @property
    def needs_prometheus(self) -> bool:
        """KEDA and the Prometheus Adapter both query Prometheus for the queue metric."""
        return self.metric == "queue"


class TkeManagedPrometheus(ConfigModel):
    """TKE's managed Prometheus (TMP), associated with the cluster: its agent scrapes the
    ServiceMonitors and evaluates the PrometheusRules the stack renders."""

    kind: Literal["tke-managed"]
    """TKE's managed Prometheus (TMP), associated with the cluster."""
    instance_id: str
    """The instance, e.g. prom-abcd1234; by default its in-cluster agent is taken to run in a namespace
    of the same name (see `agentNamespace`)."""
    url: Url("Prometheus URL") | None = None  # type: ignore[valid-type]
    """A query endpoint for KEDA / the Prometheus Adapter, needed only by queue-based autoscaling.
    TMP's own HTTP API requires a token the stack cannot pass to KEDA (no TriggerAuthentication is
    rendered), so this must be an unauthenticated endpoint reachable from the cluster; on TKE prefer
    `metric: gpu`, which needs no Prometheus."""
    agent_namespace: NamespaceName | None = None
    """Where TMP's in-cluster agent runs (`kubectl get pods -A | grep prom-`), when it is not the
    namespace named after the instance; the model servers' NetworkPolicy admits scrapes from there."""

    @field_validator("instance_id")
    @classmethod
    def _instance(cls, v: str) -> str:
        if not re.fullmatch(r"^prom-[a-z0-9]+$", v):
            raise ValueError(f"{v!r} is not a TKE Prometheus instance id such as prom-abcd1234")
        return v

    @property
    def scrape_namespaces(self) -> list[str]:
        return [self.agent_namespace or self.instance_id]

    @property
    def query_url(self) -> str | None:
        return self.url


class _PrometheusInNamespace(ConfigModel):
    """A Prometheus that lives in one namespace of the cluster: the one the model servers' scrape
    NetworkPolicy admits."""

    namespace: str = "monitoring"

    @field_validator("namespace")
    @classmethod
    def _ns(cls, v: str) -> str:
        return _namespace(v)

    @property
    def scrape_namespaces(self) -> list[str]:
        return [self.namespace]


class InClusterPrometheus(_PrometheusInNamespace):
    """kube-prometheus-stack (Prometheus, Alertmanager, Grafana, kube-state-metrics), installed by
    the stack into `monitoring` from the pinned upstream chart."""

    kind: Literal["in-cluster"]
    """kube-prometheus-stack, installed by the stack."""
    namespace: str = "monitoring"
    """Where it is installed (a namespace the stack creates)."""


    @property
    def query_url(self) -> str:
        return f"http://{KUBE_PROMETHEUS_STACK_RELEASE}-prometheus.{self.namespace}.svc:9090"


class ExistingPrometheus(_PrometheusInNamespace):
    """A Prometheus Operator the cluster already runs."""

    kind: Literal["existing"]
    """A Prometheus Operator the cluster already runs."""
    url: Url("Prometheus URL") | None = None  # type: ignore[valid-type]
    """Its HTTP API, e.g. http://prometheus-operated.monitoring.svc:9090 (queue-based autoscaling)."""
    namespace: str = "monitoring"
    """Where it runs: the model servers' NetworkPolicy lets it scrape from there."""
    selector_labels: Labels = Field(default_factory=dict)
    """Labels its serviceMonitorSelector / ruleSelector require, e.g. `release: kube-prometheus-stack`."""


    @property
    def query_url(self) -> str | None:
        return self.url


PrometheusTarget = Annotated[TkeManagedPrometheus | InClusterPrometheus | ExistingPrometheus,
                             Field(discriminator="kind")]


class AlertsConfig(ConfigModel):
    """Thresholds of the default alert set; every alert is on unless listed in `disabled`."""

    waiting_requests: float = Field(20, gt=0)
    """Average waiting requests per server, for 10 minutes."""
    ttft_p95_seconds: float = Field(5, gt=0)
    """p95 time to first token over 5 minutes, for 10 minutes."""
    kv_cache_usage: float = Field(0.9, gt=0, le=1)
    """KV-cache share in use on a server, for 15 minutes."""
    preemptions_per_minute: float = Field(1, gt=0)
    """Sustained for 15 minutes (SGLang: any retraction, sustained)."""
    error_ratio: float = Field(0.05, gt=0, lt=1)
    """Share of a model's requests failing, for 10 minutes."""
    gateway_error_ratio: float = Field(0.05, gt=0, lt=1)
    """Share of the gateway's requests answered with a 5xx, for 10 minutes."""
    gpu_idle_percent: float = Field(10, gt=0, lt=100)
    """A node's GPUs averaging below this utilisation (DCGM) are idle..."""
    gpu_idle_hours: int = Field(3, ge=1, le=72)
    """...for this many hours: a cost alert."""
    disabled: list[AlertName] = Field(default_factory=list)
    """Alerts of the default set not to render, by name (e.g. LLMGpuUtilisationLow)."""

    @field_validator("disabled")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("alerts are listed more than once")
        return v


class MonitoringConfig(ConfigModel):
    prometheus: PrometheusTarget
    """Who scrapes and evaluates: `tke-managed` (TKE's managed Prometheus), `in-cluster`
    (kube-prometheus-stack installed by the stack) or `existing` (a Prometheus Operator already there)."""
    alerts: AlertsConfig = AlertsConfig()
    """Thresholds of the default alert set, and alerts to leave out."""
    dashboard: bool = True
    """A Grafana dashboard ConfigMap for the Grafana sidecar (engine, GPU and gateway panels)."""
    dashboard_labels: Labels = Field(default_factory=lambda: {"grafana_dashboard": "1"})
    """The label the Grafana dashboard sidecar looks for (kube-prometheus-stack's default)."""
    dcgm_exporter: bool = False
    """Install NVIDIA's DCGM exporter (pinned chart) on the GPU nodes: GPU utilisation panels and the
    idle-GPU cost alert read `DCGM_FI_DEV_GPU_UTIL`."""
    scrape_interval: str = "15s"
    """How often the engines' /metrics are scraped."""

    @field_validator("scrape_interval")
    @classmethod
    def _interval(cls, v: str) -> str:
        if not DURATION.fullmatch(v):
            raise ValueError(f"{v!r} is not a duration such as 15s")
        return v


class AutoscalersConfig(ConfigModel):
    """What the stack installs for the autoscalers (upstream charts, pinned). Leave off when the
    cluster already runs them."""

    install_keda: bool = False
    """KEDA, at the newest pinned release tested on the cluster's Kubernetes version."""
    install_prometheus_adapter: bool = False
    """The Prometheus Adapter serving the queue metric to HorizontalPodAutoscalers (custom metrics API)."""
