"""One stack per autoscaler kind under the real engine, against a real API server and controller manager
(CRDs from ../shared/crds): KEDA on the queue, KEDA scaling to zero, an HPA on the queue (the Prometheus
Adapter's metric), none (a fixed count), and an HPA on TKE's GPU metric (an existing cluster declared
`provider: tke`). The API server accepts what each renders, with its bounds, triggers and target; the
real HPA controller finds the target's scale and asks the custom metrics API for the metric, and a second
preview is empty. KEDA's own controller is not built here (docs/testing.md, "KEDA")."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from e2e.engine import run
from render.autoscaling import TKE_GPU_METRIC, adapter_metric_name

from .conftest import PREFIX, Harness, engine_stack, local_cluster_config

STACK_CONFIG = yaml.safe_load((Path(__file__).parent / "stacks" / "Pulumi.autoscalers.yaml").read_text())["config"]
STORAGE_CLASSES = ["shared-rwx"]
NS = STACK_CONFIG[f"{PREFIX}namespace"]
PROMETHEUS = STACK_CONFIG[f"{PREFIX}monitoring"]["prometheus"]["url"]
GPU_NS = "gpu-scaler"
KEDA = "keda.sh/v1alpha1"
HPA = "autoscaling/v2"

pytestmark = pytest.mark.real_engine


def _up(local: Harness, name: str, config: dict[str, Any]):
    stack = engine_stack(local, name, config)
    result, steps = run(stack, "up")
    assert result.summary.result == "succeeded", steps.diagnostics
    return stack


@pytest.fixture(scope="module")
def scalers(local: Harness):
    return _up(local, "scalers", local_cluster_config(STACK_CONFIG, local.cluster.kubeconfig, "local"))


@pytest.fixture(scope="module")
def gpu(local: Harness):
    """TKE's GPU metric: the same cluster declared TKE's, one model scaling on GPU utilisation."""
    config = local_cluster_config(STACK_CONFIG, local.cluster.kubeconfig, "local")
    config[f"{PREFIX}cluster"]["provider"] = "tke"
    config[f"{PREFIX}namespace"] = GPU_NS
    fixed = next(m for m in config[f"{PREFIX}models"] if m["name"] == "fixed")
    config[f"{PREFIX}models"] = [{**copy.deepcopy(fixed), "name": "by-gpu", "servedName": "By-Gpu",
                                  "autoscaling": {"metric": "gpu", "minReplicas": 1, "maxReplicas": 3, "target": 70}}]
    del config[f"{PREFIX}monitoring"]
    return _up(local, "gpu", config)


def _target(name: str) -> dict[str, str]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}


def _hpa_controller_sees(local: Harness, name: str, namespace: str, metric: str) -> dict[str, Any]:
    """The controller manager's HPA controller read the target's scale subresource and asked the custom
    metrics API (absent here: the Prometheus Adapter's or TKE's role) for the Pods metric."""

    def conditions() -> dict[str, dict[str, Any]] | None:
        hpa = local.kube.get(HPA, "HorizontalPodAutoscaler", name, namespace)
        found = {c["type"]: c for c in (hpa or {}).get("status", {}).get("conditions", [])}
        return found if {"AbleToScale", "ScalingActive"} <= set(found) else None

    found = local.kube.wait(f"the HPA controller to evaluate {name}", conditions, timeout=90)
    assert found["AbleToScale"]["status"] == "True" and found["AbleToScale"]["reason"] == "SucceededGetScale", found
    active = found["ScalingActive"]
    assert active["status"] == "False" and active["reason"] == "FailedGetPodsMetric", active
    assert metric in active["message"], active
    return local.kube.get(HPA, "HorizontalPodAutoscaler", name, namespace)


def test_keda_scaled_objects_are_accepted_with_their_bounds_and_triggers(local: Harness, scalers) -> None:
    k = local.kube
    so = k.get(KEDA, "ScaledObject", "by-keda", NS)
    spec = so["spec"]
    assert spec["scaleTargetRef"] == _target("by-keda") and k.get("apps/v1", "Deployment", "by-keda", NS)
    assert (spec["minReplicaCount"], spec["maxReplicaCount"]) == (1, 2) and "cooldownPeriod" not in spec
    (trigger,) = spec["triggers"]
    assert (trigger["type"], trigger["name"], trigger["metricType"]) == ("prometheus", "waiting-requests", "AverageValue")
    meta = trigger["metadata"]
    assert meta["serverAddress"] == PROMETHEUS and meta["threshold"] == "4"
    assert meta["query"] == 'sum(vllm:num_requests_waiting{namespace="scalers",service="by-keda-api"})'
    behavior = spec["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]
    assert behavior["scaleUp"]["policies"] == [{"type": "Pods", "value": 1, "periodSeconds": 300}]

    zero = k.get(KEDA, "ScaledObject", "to-zero", NS)["spec"]
    assert (zero["minReplicaCount"], zero["maxReplicaCount"], zero["cooldownPeriod"]) == (0, 2, 600)
    assert zero["scaleTargetRef"] == _target("to-zero")
    waiting, wake = zero["triggers"]
    assert waiting["name"] == "waiting-requests" and wake["name"] == "gateway-requests"
    assert 'requested_model="To-Zero"' in wake["metadata"]["query"] and wake["metadata"]["serverAddress"] == PROMETHEUS


def test_an_hpa_on_the_queue_is_accepted_and_evaluated(local: Harness, scalers) -> None:
    hpa = _hpa_controller_sees(local, "by-hpa", NS, adapter_metric_name("vllm"))
    spec = hpa["spec"]
    assert spec["scaleTargetRef"] == _target("by-hpa")
    assert (spec["minReplicas"], spec["maxReplicas"]) == (1, 2)
    assert spec["metrics"] == [{"type": "Pods", "pods": {
        "metric": {"name": "vllm_num_requests_waiting"}, "target": {"type": "AverageValue", "averageValue": "5"}}}]
    assert spec["behavior"]["scaleDown"]["selectPolicy"] == "Disabled"  # scaleDown.enabled: false
    assert hpa["status"]["currentReplicas"] == 1


def test_a_fixed_model_has_no_autoscaler(local: Harness, scalers) -> None:
    k = local.kube
    assert {o["metadata"]["name"] for o in k.list(KEDA, "ScaledObject", NS)} == {"by-keda", "to-zero"}
    assert {o["metadata"]["name"] for o in k.list(HPA, "HorizontalPodAutoscaler", NS)} == {"by-hpa"}
    assert k.get("apps/v1", "Deployment", "fixed", NS)["spec"]["replicas"] == 1


def test_an_hpa_on_tkes_gpu_metric_is_accepted_and_evaluated(local: Harness, gpu) -> None:
    hpa = _hpa_controller_sees(local, "by-gpu", GPU_NS, TKE_GPU_METRIC)
    spec = hpa["spec"]
    assert spec["scaleTargetRef"] == _target("by-gpu") and (spec["minReplicas"], spec["maxReplicas"]) == (1, 3)
    assert spec["metrics"] == [{"type": "Pods", "pods": {
        "metric": {"name": "k8s_pod_rate_gpu_used_request"}, "target": {"type": "AverageValue", "averageValue": "70"}}}]
    assert not local.kube.list(KEDA, "ScaledObject", GPU_NS)


@pytest.mark.parametrize("which", ["scalers", "gpu"])
def test_a_second_preview_is_empty(which: str, request) -> None:
    stack = request.getfixturevalue(which)
    _, again = run(stack, "preview", expect_no_changes=True)
    assert set(again.count()) <= {"same"}, again.changed()
