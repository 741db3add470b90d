"""The smoke gate under the real Pulumi engine, the real LWS controller (v0.7.0, built by e2e/tools)
and the real disruption controller of the local kube-controller-manager.

kwok runs no containers: it completes every Job's pod by its default `pod-complete` stage, the smoke
Jobs' as the download Jobs', so here the gate's order, its waits and its recovery are what is real (the
script's own verdicts are tests/behaviour/test_smoke_script.py's). A kwok Stage fails the smoke pods
when a test needs the script to have failed. The tests run in file order and build on each other.
"""

from __future__ import annotations

import copy

import pytest
from pulumi import automation as auto

from e2e.cluster import nodes_for, parse_stack
from e2e.engine import run
from render import smoke

from .conftest import PREFIX, Harness, engine_stack, local_cluster_config, set_config
from .test_byo_real_engine import FAIL_DOWNLOADS, ts
from .test_serving_real_engine import STACK_CONFIG as SERVING

STACK = "smoke"
STACK_CONFIG = copy.deepcopy(SERVING)
STACK_CONFIG[f"{PREFIX}namespace"] = "smoke"
(POOL,) = STACK_CONFIG[f"{PREFIX}nodePools"]
POOL["maxSize"] = 3
(MODEL,) = [m for m in STACK_CONFIG[f"{PREFIX}models"] if m.get("nodes", 1) > 1]
MODEL["nodes"] = 3
STACK_CONFIG[f"{PREFIX}models"] = [MODEL]
STACK_CONFIG[f"{PREFIX}webui"] = {"enabled": False}
STACK_CONFIG[f"{PREFIX}exposure"] = {}
STACK_CONFIG[f"{PREFIX}smoke"] = {"timeoutSeconds": 20}
STORAGE_CLASSES = ["shared-rwx"]
LWS = True
NS = "smoke"
NAME = MODEL["name"]
SET_LABEL = "leaderworkerset.sigs.k8s.io/name"
LWS_API = "leaderworkerset.x-k8s.io/v1"

# kwok fails the smoke pods while this Stage exists: what a pod whose script failed reports.
FAIL_SMOKE = copy.deepcopy(FAIL_DOWNLOADS)
FAIL_SMOKE["metadata"]["name"] = "smoke-fails"
FAIL_SMOKE["spec"]["selector"]["matchExpressions"][0]["values"] = [smoke.COMPONENT]

pytestmark = pytest.mark.real_engine


@pytest.fixture(scope="module")
def stack(local: Harness):
    config = local_cluster_config(STACK_CONFIG, local.cluster.kubeconfig, "local")
    config[f"{PREFIX}cluster"]["leaderWorkerSetInstalled"] = True
    return engine_stack(local, STACK, config)


def _gpu_nodes(local: Harness) -> list:
    return [n for n in nodes_for(parse_stack(STACK_CONFIG)) if n.gpus]


def _smoke_jobs(local: Harness) -> list[dict]:
    return [j for j in local.kube.list("batch/v1", "Job", NS)
            if j["metadata"]["labels"].get("app.kubernetes.io/component") == smoke.COMPONENT]


def test_a_group_that_cannot_be_placed_fails_the_up_naming_the_model(local: Harness, stack) -> None:
    k = local.kube
    missing = _gpu_nodes(local)[-1]
    k.delete("v1", "Node", missing.name)  # two GPU machines for a three-node group
    with pytest.raises(auto.CommandError) as failed:
        run(stack, "up")
    message = str(failed.value)
    assert f"{NAME}-ops-pdb" in message, message[-3000:]
    pods = k.list("v1", "Pod", NS, label_selector=f"{SET_LABEL}={NAME}")
    assert sorted(p["status"].get("phase") for p in pods) == ["Pending", "Running", "Running"], \
        [(p["metadata"]["name"], p["status"].get("phase")) for p in pods]
    # What the LWS controller reports meanwhile: v0.7.0 counts a worker StatefulSet whose pods exist
    # (not ready) as a ready group (docs/smoke.md), so its own Available condition is no gate.
    lws = k.get(LWS_API, "LeaderWorkerSet", NAME, NS)
    conditions = {c["type"]: c["status"] for c in lws["status"].get("conditions", [])}
    assert conditions.get("Available") == "True" and lws["status"].get("readyReplicas") == 1, lws["status"]
    assert not _smoke_jobs(local), "no request is sent to a model whose group is not whole"


def test_after_the_node_is_added_the_next_up_succeeds_and_the_smoke_job_ran(local: Harness, stack) -> None:
    k = local.kube
    local.cluster.add_nodes([_gpu_nodes(local)[-1]])
    result, steps = run(stack, "up")
    assert result.summary.result == "succeeded", steps.diagnostics
    pods = k.list("v1", "Pod", NS, label_selector=f"{SET_LABEL}={NAME}")
    assert [p["status"].get("phase") for p in pods] == ["Running"] * 3
    (job,) = _smoke_jobs(local)
    assert job["metadata"]["name"].startswith(f"smoke-{NAME}-") and job["status"].get("succeeded") == 1
    # Sent after the gateway and the model's budget were ready, through the URL apps are given.
    gateway = k.get("apps/v1", "Deployment", "llm-gateway", NS)
    assert ts(job["metadata"]["creationTimestamp"]) >= ts(gateway["metadata"]["creationTimestamp"])
    env = {e["name"]: e.get("value") for e in job["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["SMOKE_URL"] == result.outputs["apiBaseUrlInCluster"].value
    assert result.outputs["models"].value == [MODEL["servedName"]]


def test_a_failed_smoke_job_fails_the_up_naming_the_model_and_the_next_up_replaces_it(local: Harness, stack) -> None:
    k = local.kube
    head = copy.deepcopy(stack.config)
    head[f"{PREFIX}smoke"] = {"timeoutSeconds": 25}  # a changed test: a new Job
    local.cluster.create(FAIL_SMOKE)
    try:
        set_config(local, STACK, stack, head)
        with pytest.raises(auto.CommandError) as failed:
            run(stack, "up")
        message = str(failed.value)
        assert f"smoke-{NAME}-" in message, message[-3000:]
        assert "failed" in message.lower()
    finally:
        k.delete("kwok.x-k8s.io/v1alpha1", "Stage", "smoke-fails")
    (job,) = _smoke_jobs(local)
    assert job["status"].get("failed") == 1, job["status"]
    result, steps = run(stack, "up")
    assert result.summary.result == "succeeded", steps.diagnostics
    (job,) = _smoke_jobs(local)
    assert job["status"].get("succeeded") == 1, job["status"]
    _, again = run(stack, "preview", expect_no_changes=True)
    assert set(again.count()) <= {"same"}, again.changed()


def test_smoke_false_removes_the_jobs(local: Harness, stack) -> None:
    head = copy.deepcopy(stack.config)
    head[f"{PREFIX}smoke"] = False
    set_config(local, STACK, stack, head)
    result, steps = run(stack, "up")
    assert result.summary.result == "succeeded", steps.diagnostics
    assert not _smoke_jobs(local)
    result, steps = run(stack, "destroy", exclude_protected=True)
    assert result.summary.result == "succeeded", steps.diagnostics
