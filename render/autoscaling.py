"""Autoscalers for model servers: a KEDA ScaledObject (Prometheus trigger) or a HorizontalPodAutoscaler
(on the Prometheus Adapter's translation of the queue metric, or on TKE's GPU metric), plus the
adapter's rule.

Signals `queue` (the engine's waiting requests) or `gpu` (TKE's metric, no Prometheus); scale-up in
steps, scale-down stepped or `Disabled` (P11); a LeaderWorkerSet scales by groups. Why, and the
adapter's metric names: docs/operations.md, "Autoscalers".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import yaml

from render.meta import labels, metadata

QUEUE_METRICS = {"vllm": "vllm:num_requests_waiting", "sglang": "sglang:num_queue_reqs"}
TKE_GPU_METRIC = "k8s_pod_rate_gpu_used_request"
WORKLOAD_API = {"Deployment": "apps/v1", "LeaderWorkerSet": "leaderworkerset.x-k8s.io/v1"}
ADAPTER_CONFIG_MAP = "prometheus-adapter-rules"
POLLING_SECONDS = 30
WAKE_TARGET = "1000000"
"""Per-replica target of the scale-to-zero wake trigger: so large that the trigger never asks for more
than one replica; it only activates the ScaledObject (activationThreshold 0) when requests arrive."""
COMPONENT = "autoscaler"
KEDA_MAY_TAKE_OVER = {"validations.keda.sh/hpa-ownership": "false"}
"""On the stack's own HPAs. A model switched from `scaler: hpa` to `keda` gets its ScaledObject before the
engine deletes the old HPA (deletes run last), and KEDA's admission webhook refuses a ScaledObject whose
target an HPA it does not own already scales ("already managed by the hpa"), so the switch would fail
half-way. With this annotation the webhook skips that HPA (kedacore/keda v2.21.1,
apis/keda/v1alpha1/scaledobject_webhook.go verifyHpas; the constant ValidationsHpaOwnershipAnnotation in
scaledobject_types.go); the two overlap until the update ends. Only the stack's own HPAs carry it: any other
HPA on a model is still refused."""


@dataclass(frozen=True)
class Behavior:
    up_pods: int
    up_period_seconds: int
    up_stabilization_seconds: int
    down_enabled: bool
    down_pods: int
    down_period_seconds: int
    down_stabilization_seconds: int


@dataclass(frozen=True)
class AutoscalerSpec:
    name: str
    """The model (and workload) name; the autoscaler object takes the same name."""
    namespace: str
    workload_kind: Literal["Deployment", "LeaderWorkerSet"]
    engine: str
    service: str
    """The model's Service: the scrape job's `service` label selects the model's series."""
    metric: Literal["queue", "gpu"]
    scaler: Literal["keda", "hpa"]
    min_replicas: int
    max_replicas: int
    target: float
    behavior: Behavior
    prometheus_url: str | None = None
    wake_query: str | None = None
    """PromQL of the requests the gateway receives for this model (scale from zero)."""
    idle_seconds: int = 1800

    def __post_init__(self) -> None:
        if not 0 <= self.min_replicas <= self.max_replicas or self.max_replicas < 1:
            raise ValueError(f"{self.name}: replicas {self.min_replicas}..{self.max_replicas} are not a range")
        if self.metric == "queue" and self.engine not in QUEUE_METRICS:
            raise ValueError(f"{self.name}: {self.engine} exports no queue metric")
        if self.metric == "queue" and not self.prometheus_url and self.scaler == "keda":
            raise ValueError(f"{self.name}: KEDA needs the Prometheus URL to read the queue")
        if self.metric == "gpu" and self.scaler != "hpa":
            raise ValueError(f"{self.name}: TKE's GPU metric is read by an HPA only")
        if self.min_replicas == 0 and (self.scaler != "keda" or not self.wake_query):
            raise ValueError(f"{self.name}: scale to zero needs KEDA and a wake signal from the gateway")


def _quantity(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def adapter_metric_name(engine: str) -> str:
    """`vllm:num_requests_waiting` -> `vllm_num_requests_waiting`: the name the HPA asks for."""
    return QUEUE_METRICS[engine].replace(":", "_")


def queue_query(spec: AutoscalerSpec) -> str:
    """Total waiting requests of the model; KEDA divides by the target to get replicas."""
    return f'sum({QUEUE_METRICS[spec.engine]}{{namespace="{spec.namespace}",service="{spec.service}"}})'


def scale_target_ref(spec: AutoscalerSpec) -> dict[str, str]:
    return {"apiVersion": WORKLOAD_API[spec.workload_kind], "kind": spec.workload_kind, "name": spec.name}


def behavior(b: Behavior) -> dict[str, Any]:
    up = {
        "stabilizationWindowSeconds": b.up_stabilization_seconds,
        "selectPolicy": "Max",
        "policies": [{"type": "Pods", "value": b.up_pods, "periodSeconds": b.up_period_seconds}],
    }
    if not b.down_enabled:
        down: dict[str, Any] = {"selectPolicy": "Disabled"}
    else:
        down = {
            "stabilizationWindowSeconds": b.down_stabilization_seconds,
            "selectPolicy": "Min",
            "policies": [{"type": "Pods", "value": b.down_pods, "periodSeconds": b.down_period_seconds}],
        }
    return {"scaleUp": up, "scaleDown": down}


def _labels(spec: AutoscalerSpec) -> dict[str, str]:
    return labels(COMPONENT, **{"app.kubernetes.io/name": spec.name})


def hpa(spec: AutoscalerSpec) -> dict[str, Any]:
    if spec.scaler != "hpa":
        raise ValueError(f"{spec.name}: scaler {spec.scaler} renders a ScaledObject")
    name = TKE_GPU_METRIC if spec.metric == "gpu" else adapter_metric_name(spec.engine)
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": metadata(spec.name, spec.namespace, _labels(spec), KEDA_MAY_TAKE_OVER),
        "spec": {
            "scaleTargetRef": scale_target_ref(spec),
            "minReplicas": spec.min_replicas,
            "maxReplicas": spec.max_replicas,
            "metrics": [{
                "type": "Pods",
                "pods": {"metric": {"name": name},
                         "target": {"type": "AverageValue", "averageValue": _quantity(spec.target)}},
            }],
            "behavior": behavior(spec.behavior),
        },
    }


def scaled_object(spec: AutoscalerSpec) -> dict[str, Any]:
    """KEDA creates and owns the HPA (`keda-hpa-<name>`) from this, with the same behaviour."""
    if spec.scaler != "keda":
        raise ValueError(f"{spec.name}: scaler {spec.scaler} renders a HorizontalPodAutoscaler")
    triggers: list[dict[str, Any]] = [{
        "type": "prometheus",
        "name": "waiting-requests",
        "metricType": "AverageValue",
        "metadata": {
            "serverAddress": spec.prometheus_url,
            "query": queue_query(spec),
            "threshold": _quantity(spec.target),
            "activationThreshold": "0",
        },
    }]
    if spec.wake_query:
        triggers.append({
            "type": "prometheus",
            "name": "gateway-requests",
            "metricType": "AverageValue",
            "metadata": {
                "serverAddress": spec.prometheus_url,
                "query": spec.wake_query,
                "threshold": WAKE_TARGET,
                "activationThreshold": "0",
            },
        })
    body: dict[str, Any] = {
        "scaleTargetRef": scale_target_ref(spec),
        "minReplicaCount": spec.min_replicas,
        "maxReplicaCount": spec.max_replicas,
        "pollingInterval": POLLING_SECONDS,
        "advanced": {
            "restoreToOriginalReplicaCount": False,
            "horizontalPodAutoscalerConfig": {"behavior": behavior(spec.behavior)},
        },
        "triggers": triggers,
    }
    if spec.min_replicas == 0:
        body["cooldownPeriod"] = spec.idle_seconds
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": metadata(spec.name, spec.namespace, _labels(spec)),
        "spec": body,
    }


def autoscaler(spec: AutoscalerSpec) -> dict[str, Any]:
    return scaled_object(spec) if spec.scaler == "keda" else hpa(spec)


def adapter_rules(namespace: str, engines: list[str]) -> dict[str, Any]:
    """Prometheus Adapter config (`rules` = the custom metrics API): each engine's queue metric per
    pod of the stack's namespace, renamed without the colon."""
    rules = []
    for engine in sorted(set(engines)):
        series = QUEUE_METRICS[engine]
        prefix = series.split(":", 1)[0]
        rules.append({
            "seriesQuery": f'{series}{{namespace="{namespace}",pod!=""}}',
            "resources": {"overrides": {"namespace": {"resource": "namespace"}, "pod": {"resource": "pod"}}},
            "name": {"matches": f"^{prefix}:(.*)$", "as": f"{prefix}_${{1}}"},
            "metricsQuery": "sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)",
        })
    return {"rules": rules}


def adapter_config_map(namespace: str, engines: list[str]) -> dict[str, Any]:
    """The adapter rule as a ConfigMap (key `config.yaml`, the adapter's format): what the stack passes
    to the adapter it installs, and what to merge into an adapter the cluster already runs."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata(ADAPTER_CONFIG_MAP, namespace, labels(COMPONENT)),
        "data": {"config.yaml": yaml.safe_dump(adapter_rules(namespace, engines), sort_keys=False)},
    }
