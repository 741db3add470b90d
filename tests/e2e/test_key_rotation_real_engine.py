"""Key rotation under the real Pulumi engine and kubernetes provider, against a real API server and
controllers (kwok runs the pods): the `byo` stack with a vLLM model (whose pods read their key).

Rotating a key (`keys.rotate`, or `pulumi up --replace` of its GeneratedSecret) generates a new value,
updates its Secret in place, changes the pod templates of exactly the Deployments that read it, and the
Deployment controller replaces their pods: the pods running afterwards are the new ReplicaSet's."""

from __future__ import annotations

import base64
import copy
import time

import pytest

from components.generated_secret import TYPE as GENERATED_SECRET
from e2e.engine import run
from render import litellm, webui
from render.credentials import KEYS_CHECKSUM_ANNOTATION

from .conftest import (PREFIX, Harness, engine_stack, local_cluster_config, offline_actions, resource_steps, set_config,
                       shipped_config)

STACK = "rotation"
STACK_CONFIG = shipped_config("byo")
STACK_CONFIG[f"{PREFIX}models"] = [{
    "name": "qwen3-small", "servedName": "Qwen3-0.6B", "engine": "vllm", "pool": "gpu",
    "source": {"kind": "huggingface", "repo": "Qwen/Qwen3-0.6B", "revision": "c1899de289a04d12100db370d81485cdf75e47ca"},
    "settings": {"maxModelLen": 8192},
}]
STORAGE_CLASSES = ["standard-rwx"]
NS = STACK_CONFIG[f"{PREFIX}namespace"]
ENGINE = "qwen3-small"
DEPLOYMENTS = (ENGINE, litellm.NAME, webui.NAME)
ROLLOUT_SECONDS = 60

pytestmark = pytest.mark.real_engine


@pytest.fixture(scope="module")
def stack(local: Harness):
    return engine_stack(local, STACK, local_cluster_config(STACK_CONFIG, local.cluster.kubeconfig, "local"))


def _checksums(local: Harness) -> dict[str, str | None]:
    out = {}
    for name in DEPLOYMENTS:
        d = local.kube.get("apps/v1", "Deployment", name, NS)
        out[name] = (d["spec"]["template"]["metadata"].get("annotations") or {}).get(KEYS_CHECKSUM_ANNOTATION)
    return out


def _secret(local: Harness, name: str) -> tuple[str, dict[str, str]]:
    s = local.kube.get("v1", "Secret", name, NS)
    return s["metadata"]["uid"], {k: base64.b64decode(v).decode() for k, v in s["data"].items()}


def _pods(local: Harness, name: str) -> dict[str, dict]:
    """The live (not terminating) pods of a Deployment, by uid."""
    d = local.kube.get("apps/v1", "Deployment", name, NS)
    selector = ",".join(f"{k}={v}" for k, v in d["spec"]["selector"]["matchLabels"].items())
    return {p["metadata"]["uid"]: p for p in local.kube.list("v1", "Pod", NS, label_selector=selector)
            if not p["metadata"].get("deletionTimestamp")}


def _current_replicaset(local: Harness, name: str) -> dict:
    """The ReplicaSet of the Deployment's current template (the controller's `revision` annotation)."""
    d = local.kube.get("apps/v1", "Deployment", name, NS)
    revision = d["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
    (rs,) = [r for r in local.kube.list("apps/v1", "ReplicaSet", NS)
             if any(o["uid"] == d["metadata"]["uid"] for o in r["metadata"].get("ownerReferences", []))
             and r["metadata"]["annotations"].get("deployment.kubernetes.io/revision") == revision]
    return rs


def _running_only_current(local: Harness, name: str) -> dict[str, dict]:
    """Waits (bounded) until every live pod of the Deployment is the current ReplicaSet's and Running."""
    deadline = time.monotonic() + ROLLOUT_SECONDS
    while True:
        rs = _current_replicaset(local, name)
        pod_hash = rs["metadata"]["labels"]["pod-template-hash"]
        pods = _pods(local, name)
        if pods and all(p["metadata"]["labels"].get("pod-template-hash") == pod_hash
                        and p["status"].get("phase") == "Running" for p in pods.values()):
            return pods
        if time.monotonic() > deadline:
            raise AssertionError(f"{name}: pods not all of ReplicaSet {rs['metadata']['name']} and Running: "
                                 f"{[(p['metadata']['name'], p['status'].get('phase')) for p in pods.values()]}")
        time.sleep(1)


def _ops(steps) -> dict[tuple[str, str], str]:
    """The engine's resource changes as (type, name) -> op; the dynamic-provider host's own `update`
    (it is configured with the whole stack config, tests/e2e/conftest.py) left out."""
    out = {}
    for key, op in resource_steps(steps).items():
        qualified, name = key.rsplit("::", 1)
        out[(qualified.rsplit("$", 1)[-1], name)] = op
    return out


def _rotated(config: dict, **counters: int) -> dict:
    head = copy.deepcopy(config)
    head[f"{PREFIX}keys"] = {"rotate": {**head.get(f"{PREFIX}keys", {}).get("rotate", {}), **counters}}
    return head


def _rotate(local: Harness, stack, **counters: int) -> None:
    set_config(local, STACK, stack, _rotated(stack.config, **counters))


@pytest.fixture(scope="module")
def first_up(local: Harness, stack):
    result, steps = run(stack, "up")
    assert result.summary.result == "succeeded", steps.diagnostics
    return result


def test_every_pod_that_reads_a_key_carries_its_checksum_and_an_up_is_stable(local: Harness, stack, first_up):
    sums = _checksums(local)
    assert all(v and len(v) == 64 for v in sums.values()), sums
    _, again = run(stack, "preview", expect_no_changes=True)
    assert set(again.count()) <= {"same"}, again.changed()


def _state(local: Harness) -> dict:
    return {"sums": _checksums(local), "pods": {n: set(_running_only_current(local, n)) for n in DEPLOYMENTS},
            "secrets": {n: _secret(local, n) for n in (litellm.APP_KEY_SECRET, litellm.MASTER_KEY_SECRET,
                                                          f"{ENGINE}-api-key", webui.SECRET)}}


def _check_rotation(before: dict, after: dict, secrets: set[str], rolled: set[str]) -> None:
    for name, (uid, data) in before["secrets"].items():
        new_uid, new_data = after["secrets"][name]
        assert new_uid == uid, f"{name} is updated in place, never deleted under the pods that read it"
        assert (new_data != data) == (name in secrets), name
    for name in DEPLOYMENTS:
        changed = after["sums"][name] != before["sums"][name]
        assert changed == (name in rolled), (name, before["sums"][name], after["sums"][name])
        if name in rolled:
            assert not after["pods"][name] & before["pods"][name], f"{name}: an old pod is still running"
        else:
            assert after["pods"][name] == before["pods"][name], f"{name}: restarted without reading the key"


def test_rotating_the_app_key_rolls_the_gateway_and_the_ui(local: Harness, stack, first_up):
    before = _state(local)
    old_key = first_up.outputs["apiKey"].value
    head = _rotated(stack.config, appKey=1)
    offline = offline_actions(local, STACK, stack.config, head)  # the PR comment's plan diff
    set_config(local, STACK, stack, head)
    _, preview = run(stack, "preview", diff=True)
    assert resource_steps(preview) == offline, (resource_steps(preview), offline)
    assert _ops(preview) == {
        (GENERATED_SECRET, "gateway-app-key"): "replace",
        ("kubernetes:core/v1:Secret", "gateway-app-key"): "update",
        ("kubernetes:apps/v1:Deployment", "gateway-deployment"): "update",
        ("kubernetes:apps/v1:Deployment", "webui-deployment"): "update",
    }, preview.diffs
    result, steps = run(stack, "up")
    assert result.summary.result == "succeeded", steps.diagnostics
    assert result.outputs["apiKey"].value != old_key
    after = _state(local)
    _check_rotation(before, after, {litellm.APP_KEY_SECRET}, {litellm.NAME, webui.NAME})
    assert after["secrets"][litellm.APP_KEY_SECRET][1][litellm.APP_KEY_FIELD] == result.outputs["apiKey"].value


def test_rotating_the_engine_keys_rolls_the_engine_and_the_gateway(local: Harness, stack, first_up):
    before = _state(local)
    _rotate(local, stack, engineKeys=1)
    result, steps = run(stack, "up")
    assert result.summary.result == "succeeded", steps.diagnostics
    _check_rotation(before, _state(local), {f"{ENGINE}-api-key"}, {ENGINE, litellm.NAME})
    _, again = run(stack, "preview", expect_no_changes=True)
    assert set(again.count()) <= {"same"}, again.changed()


def test_replacing_a_generated_key_by_urn_rotates_it_too(local: Harness, stack, first_up):
    """`pulumi up --replace <urn>` of the UI's GeneratedSecret, the counter left as it is."""
    before = _state(local)
    (urn,) = [r["urn"] for r in stack.export_stack().deployment["resources"]
              if r["type"] == GENERATED_SECRET and r["urn"].endswith("::webui-secret-key")]
    result, steps = run(stack, "up", replace=[urn])
    assert result.summary.result == "succeeded", steps.diagnostics
    _check_rotation(before, _state(local), {webui.SECRET}, {webui.NAME})
