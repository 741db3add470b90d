"""One stack per autoscaler kind under the real engine, against a real API server and controller manager
(CRDs from ../shared/crds), with KEDA's own operator and admission webhooks running (e2e/keda.py): KEDA on
the queue, KEDA scaling to zero, an HPA on the queue (the Prometheus Adapter's metric), none (a fixed
count), and an HPA on TKE's GPU metric (an existing cluster declared `provider: tke`). The API server and
KEDA's webhook accept what each renders; KEDA's operator turns each ScaledObject into the HPA its bounds
promise and the real HPA controller evaluates every HPA; a model switched between the two scalers comes up
both ways; KEDA's webhook refuses what it must; a second preview is empty."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from e2e.engine import run
from e2e.keda import KEDA_API
from e2e.kube import ApiError
from render.autoscaling import TKE_GPU_METRIC, adapter_metric_name

from tests.config.helpers import errors

from .conftest import PREFIX, Harness, engine_stack, local_cluster_config, set_config

STACK_CONFIG = yaml.safe_load((Path(__file__).parent / "stacks" / "Pulumi.autoscalers.yaml").read_text())["config"]
STORAGE_CLASSES = ["shared-rwx"]
NS = STACK_CONFIG[f"{PREFIX}namespace"]
PROMETHEUS = STACK_CONFIG[f"{PREFIX}monitoring"]["prometheus"]["url"]
GPU_NS = "gpu-scaler"
SWITCH_NS = "switching"
HPA = "autoscaling/v2"

KEDA = True
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


@pytest.fixture(scope="module")
def switch(local: Harness):
    """A model on an HPA, in a stack of its own: the switch tests change its scaler."""
    config = local_cluster_config(STACK_CONFIG, local.cluster.kubeconfig, "local")
    config[f"{PREFIX}namespace"] = SWITCH_NS
    by_hpa = next(m for m in config[f"{PREFIX}models"] if m["name"] == "by-hpa")
    config[f"{PREFIX}models"] = [{**copy.deepcopy(by_hpa), "name": "switch", "servedName": "Switch"}]
    return _up(local, "switch", config)


def _target(name: str) -> dict[str, str]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}


def _hpa_controller_sees(local: Harness, name: str, namespace: str, metric: str,
                         reason: str = "FailedGetPodsMetric") -> dict[str, Any]:
    """The controller manager's HPA controller read the target's scale subresource and asked the custom
    metrics API (absent here: the Prometheus Adapter's or TKE's role) for the Pods metric, or the external
    metrics API (absent here: KEDA's metrics server) for KEDA's."""

    def conditions() -> dict[str, dict[str, Any]] | None:
        hpa = local.kube.get(HPA, "HorizontalPodAutoscaler", name, namespace)
        found = {c["type"]: c for c in (hpa or {}).get("status", {}).get("conditions", [])}
        return found if {"AbleToScale", "ScalingActive"} <= set(found) else None

    found = local.kube.wait(f"the HPA controller to evaluate {name}", conditions, timeout=90)
    assert found["AbleToScale"]["status"] == "True" and found["AbleToScale"]["reason"] == "SucceededGetScale", found
    active = found["ScalingActive"]
    assert active["status"] == "False" and active["reason"] == reason, active
    assert metric in active["message"], active
    return local.kube.get(HPA, "HorizontalPodAutoscaler", name, namespace)


def test_keda_scaled_objects_are_accepted_with_their_bounds_and_triggers(local: Harness, scalers) -> None:
    k = local.kube
    so = k.get(KEDA_API, "ScaledObject", "by-keda", NS)
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

    zero = k.get(KEDA_API, "ScaledObject", "to-zero", NS)["spec"]
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


def _keda_hpa(local: Harness, scaled_object: str, namespace: str) -> dict[str, Any]:
    """The HPA KEDA's operator made for a ScaledObject, once the ScaledObject's status names it."""
    def made():
        so = local.kube.get(KEDA_API, "ScaledObject", scaled_object, namespace)
        name = (so or {}).get("status", {}).get("hpaName")
        return name and local.kube.get(HPA, "HorizontalPodAutoscaler", name, namespace)
    return local.kube.wait(f"KEDA's HPA for {scaled_object}", made, timeout=90)


def _external(metric: str, scaled_object: str, value: str) -> dict[str, Any]:
    return {"type": "External", "external": {
        "metric": {"name": metric, "selector": {"matchLabels": {"scaledobject.keda.sh/name": scaled_object}}},
        "target": {"type": "AverageValue", "averageValue": value}}}


def test_kedas_operator_makes_the_hpas_the_bounds_promise(local: Harness, scalers) -> None:
    by_keda = _keda_hpa(local, "by-keda", NS)
    assert by_keda["metadata"]["name"] == "keda-hpa-by-keda"
    (owner,) = by_keda["metadata"]["ownerReferences"]
    assert (owner["kind"], owner["name"], owner.get("controller")) == ("ScaledObject", "by-keda", True)
    spec = by_keda["spec"]
    assert spec["scaleTargetRef"] == _target("by-keda") and (spec["minReplicas"], spec["maxReplicas"]) == (1, 2)
    assert spec["metrics"] == [_external("s0-prometheus", "by-keda", "4")]
    assert spec["behavior"]["scaleUp"]["policies"] == [{"type": "Pods", "value": 1, "periodSeconds": 300}]
    _hpa_controller_sees(local, "keda-hpa-by-keda", NS, "s0-prometheus", reason="FailedGetExternalMetric")

    # An HPA cannot go below one: KEDA's HPA for a scale-to-zero model floors at one, zero is KEDA's own step.
    to_zero = _keda_hpa(local, "to-zero", NS)["spec"]
    assert to_zero["scaleTargetRef"] == _target("to-zero") and (to_zero["minReplicas"], to_zero["maxReplicas"]) == (1, 2)
    assert [m["external"]["metric"]["name"] for m in to_zero["metrics"]] == ["s0-prometheus", "s1-prometheus"]


def test_a_fixed_model_has_no_autoscaler(local: Harness, scalers) -> None:
    k = local.kube
    assert {o["metadata"]["name"] for o in k.list(KEDA_API, "ScaledObject", NS)} == {"by-keda", "to-zero"}
    targets = {o["spec"]["scaleTargetRef"]["name"] for o in k.list(HPA, "HorizontalPodAutoscaler", NS)}
    assert targets == {"by-hpa", "by-keda", "to-zero"}
    assert k.get("apps/v1", "Deployment", "fixed", NS)["spec"]["replicas"] == 1


def test_an_hpa_on_tkes_gpu_metric_is_accepted_and_evaluated(local: Harness, gpu) -> None:
    hpa = _hpa_controller_sees(local, "by-gpu", GPU_NS, TKE_GPU_METRIC)
    spec = hpa["spec"]
    assert spec["scaleTargetRef"] == _target("by-gpu") and (spec["minReplicas"], spec["maxReplicas"]) == (1, 3)
    assert spec["metrics"] == [{"type": "Pods", "pods": {
        "metric": {"name": "k8s_pod_rate_gpu_used_request"}, "target": {"type": "AverageValue", "averageValue": "70"}}}]
    assert not local.kube.list(KEDA_API, "ScaledObject", GPU_NS)


def _refused(local: Harness, obj: dict[str, Any]) -> str:
    """What the API server answered when KEDA's webhook refused `obj` (it must not have been stored)."""
    try:
        local.kube.create(obj)
    except ApiError as err:
        message = json.loads(err.body)["message"]
        assert err.status == 403 and message.startswith('admission webhook "vscaledobject.kb.io" denied'), err
        return message
    local.kube.delete(KEDA_API, "ScaledObject", obj["metadata"]["name"], NS)
    raise AssertionError(f"KEDA's webhook let {obj['metadata']['name']} through")


def test_kedas_webhook_refuses_what_would_fight_over_a_workload(local: Harness, scalers) -> None:
    """Shapes of the stack's own ScaledObject that KEDA refuses: the program never renders them (one
    autoscaler per model, triggers named once), and the webhook is live."""
    live = local.kube.get(KEDA_API, "ScaledObject", "by-keda", NS)
    base = {"apiVersion": KEDA_API, "kind": "ScaledObject", "spec": copy.deepcopy(live["spec"])}

    def variant(name: str, **spec: Any) -> dict[str, Any]:
        return {**copy.deepcopy(base), "metadata": {"name": name, "namespace": NS},
                "spec": {**copy.deepcopy(base["spec"]), **spec}}

    fixed = _target("fixed")
    assert "already managed by the ScaledObject 'by-keda'" in _refused(local, variant("again"))
    # An HPA that is not the stack's (the stack's own say KEDA may take over their target: the switch below).
    rival = {"apiVersion": HPA, "kind": "HorizontalPodAutoscaler", "metadata": {"name": "rival", "namespace": NS},
             "spec": {"scaleTargetRef": fixed, "minReplicas": 1, "maxReplicas": 2}}
    local.kube.create(rival)
    try:
        assert "already managed by the hpa 'rival'" in _refused(local, variant("over-rival", scaleTargetRef=fixed))
    finally:
        local.kube.delete(HPA, "HorizontalPodAutoscaler", "rival", NS)
    twice = base["spec"]["triggers"] * 2
    assert 'triggerName "waiting-requests" is defined multiple times' in _refused(
        local, variant("twice", scaleTargetRef=fixed, triggers=twice))
    assert {o["metadata"]["name"] for o in local.kube.list(KEDA_API, "ScaledObject", NS)} == {"by-keda", "to-zero"}


def test_bounds_kedas_webhook_only_logs_are_refused_offline(local: Harness, scalers) -> None:
    """KEDA v2.17.2 (the release on 1.30) logs minReplicaCount above maxReplicaCount and admits it
    (verifyReplicaCount returns nil there; later releases refuse): the stack's own check is what stops it."""
    live = local.kube.get(KEDA_API, "ScaledObject", "by-keda", NS)
    bad = {"apiVersion": KEDA_API, "kind": "ScaledObject", "metadata": {"name": "bounds", "namespace": NS},
           "spec": {**copy.deepcopy(live["spec"]), "scaleTargetRef": _target("fixed"), "minReplicaCount": 3}}
    local.kube.create(bad)
    try:
        assert "MinReplicaCount=3 must be less than MaxReplicaCount=2" in local.cluster.logs("keda-webhooks")
    finally:
        local.kube.delete(KEDA_API, "ScaledObject", "bounds", NS)
        local.kube.wait("no autoscaler left on the fixed model", lambda: not any(
            o["spec"]["scaleTargetRef"]["name"] == "fixed" for o in local.kube.list(HPA, "HorizontalPodAutoscaler", NS))
            and not local.kube.get(KEDA_API, "ScaledObject", "bounds", NS), timeout=60)
    raw = {key.removeprefix(PREFIX): copy.deepcopy(value) for key, value in STACK_CONFIG.items()}
    index, model = next((i, m) for i, m in enumerate(raw["models"]) if m["name"] == "by-keda")
    model["autoscaling"]["minReplicas"] = 3
    assert f"tke-llm:models[{index}].autoscaling.minReplicas: 3 must be <= maxReplicas (2)" in errors(raw)


def _autoscalers_of(local: Harness, deployment: str, namespace: str) -> list[tuple[str, str]]:
    hpas = [(o["metadata"]["name"], (o["metadata"].get("ownerReferences") or [{"kind": "stack"}])[0]["kind"])
            for o in local.kube.list(HPA, "HorizontalPodAutoscaler", namespace)
            if o["spec"]["scaleTargetRef"]["name"] == deployment]
    return sorted(hpas)


def test_a_model_switched_from_an_hpa_to_keda_and_back_comes_up(local: Harness, switch) -> None:
    """The ScaledObject is created before the old HPA is deleted (the engine deletes last), so KEDA's webhook
    must not take the stack's own outgoing HPA for a rival; back, the two HPAs overlap until the end."""
    assert _autoscalers_of(local, "switch", SWITCH_NS) == [("switch", "stack")]
    config = copy.deepcopy(switch.config)
    (model,) = config[f"{PREFIX}models"]
    model["autoscaling"] = {**model["autoscaling"], "scaler": "keda"}
    set_config(local, "switch", switch, config)
    result, steps = run(switch, "up")
    assert result.summary.result == "succeeded", steps.diagnostics
    assert local.kube.get(KEDA_API, "ScaledObject", "switch", SWITCH_NS)
    local.kube.wait("KEDA's HPA alone on the switched model",
                    lambda: _autoscalers_of(local, "switch", SWITCH_NS) == [("keda-hpa-switch", "ScaledObject")], timeout=90)

    model["autoscaling"] = {**model["autoscaling"], "scaler": "hpa"}
    set_config(local, "switch", switch, config)
    result, steps = run(switch, "up")
    assert result.summary.result == "succeeded", steps.diagnostics
    assert not local.kube.get(KEDA_API, "ScaledObject", "switch", SWITCH_NS)
    local.kube.wait("the stack's HPA alone on the switched model",
                    lambda: _autoscalers_of(local, "switch", SWITCH_NS) == [("switch", "stack")], timeout=90)


@pytest.mark.parametrize("which", ["scalers", "gpu"])
def test_a_second_preview_is_empty(which: str, request) -> None:
    stack = request.getfixturevalue(which)
    _, again = run(stack, "preview", expect_no_changes=True)
    assert set(again.count()) <= {"same"}, again.changed()
