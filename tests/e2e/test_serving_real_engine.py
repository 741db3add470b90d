"""vLLM on a tainted GPU pool, one model on a Deployment with two replicas and one across two nodes on a
LeaderWorkerSet (the real LWS controller creates the leader and worker pods), the gateway behind a
LoadBalancer, OpenWebUI; under the real engine against a real API server, scheduler and controllers."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from e2e.engine import run

import copy

from .conftest import Harness, engine_stack, local_cluster_config, offline_actions, resource_steps, set_config
from .test_byo_real_engine import ts

STACK = "serving"
STACK_CONFIG = yaml.safe_load((Path(__file__).parent / "stacks" / "Pulumi.serving.yaml").read_text())["config"]
STORAGE_CLASSES = ["shared-rwx"]
LWS = True
NS = STACK_CONFIG["tke-llm:namespace"]

pytestmark = pytest.mark.real_engine


@pytest.fixture(scope="module")
def stack(local: Harness):
    config = local_cluster_config(STACK_CONFIG, local.cluster.kubeconfig, "local")
    config["tke-llm:cluster"]["leaderWorkerSetInstalled"] = True
    return engine_stack(local, STACK, config)


def test_up_schedules_deployments_and_leader_worker_groups_on_the_pool(local: Harness, stack) -> None:
    result, steps = run(stack, "up")
    assert result.summary.result == "succeeded", steps.diagnostics
    k = local.kube
    pool_nodes = {n["metadata"]["name"] for n in k.list("v1", "Node", label_selector="tke-llm.io/pool=l20")}
    pods = {p["metadata"]["name"]: p for p in k.list("v1", "Pod", NS)}

    # The LWS controller made one leader and one worker for the two-node model, each on its own GPU node.
    group = [p for p in pods.values()
             if p["metadata"].get("labels", {}).get("leaderworkerset.sigs.k8s.io/name") == "qwen3-14b-mn"]
    assert len(group) == 2, sorted(pods)
    roles = sorted(p["metadata"]["labels"]["leaderworkerset.sigs.k8s.io/worker-index"] for p in group)
    assert roles == ["0", "1"]
    assert len({p["spec"]["nodeName"] for p in group}) == 2
    for p in group:
        assert p["spec"]["nodeName"] in pool_nodes
        assert p["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == "2"
        assert p["status"]["phase"] == "Running"

    # Two single-node replicas on the pool, one GPU each.
    single = [p for p in pods.values() if p["metadata"].get("labels", {}).get("app.kubernetes.io/name") == "qwen3-14b"
              and "leaderworkerset.sigs.k8s.io/name" not in p["metadata"]["labels"]]
    assert len(single) == 2
    for p in single:
        assert p["spec"]["nodeName"] in pool_nodes
        assert p["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == "1"

    # Nothing else landed on the tainted GPU nodes.
    for p in pods.values():
        if p["spec"].get("nodeName") in pool_nodes:
            assert p["metadata"]["name"] in {x["metadata"]["name"] for x in group + single}, p["metadata"]["name"]

    # Each server was created after its download Job completed.
    jobs = {j["metadata"]["name"]: j for j in k.list("batch/v1", "Job", NS)}
    lws = k.get("leaderworkerset.x-k8s.io/v1", "LeaderWorkerSet", "qwen3-14b-mn", NS)
    dep = k.get("apps/v1", "Deployment", "qwen3-14b", NS)
    done = [ts(j["status"]["completionTime"]) for j in jobs.values() if j["status"].get("succeeded")]
    assert len(done) == len(jobs) >= 1
    assert ts(lws["metadata"]["creationTimestamp"]) >= min(done)
    assert ts(dep["metadata"]["creationTimestamp"]) >= min(done)

    outs = result.outputs
    assert outs["apiBaseUrl"].value.startswith("http://203.0.113.10")
    assert sorted(outs["models"].value) == ["Qwen3-14B", "Qwen3-14B-MN"]


def test_no_perpetual_diff(local: Harness, stack) -> None:
    _, steps = run(stack, "preview", expect_no_changes=True)
    assert set(steps.count()) <= {"same"}, steps.changed()


CHANGES = {
    "maxModelLen": lambda c: c["tke-llm:models"][0]["settings"].__setitem__("maxModelLen", 16384),
    "model revision": lambda c: c["tke-llm:models"][1]["source"].__setitem__(
        "revision", "0000000000000000000000000000000000000001"),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_change_steps_match_the_offline_diff(local: Harness, stack, change: str) -> None:
    base = copy.deepcopy(stack.config)
    head = copy.deepcopy(base)
    CHANGES[change](head)
    offline = offline_actions(local, STACK, base, head)
    set_config(local, STACK, stack, head)
    _, preview = run(stack, "preview", diff=True)
    real = resource_steps(preview)
    assert real and real == offline, f"{change}: engine {real} != offline {offline}"
    result, steps = run(stack, "up")
    assert result.summary.result == "succeeded", steps.diagnostics
    assert resource_steps(steps) == real


def test_destroy(local: Harness, stack) -> None:
    result, steps = run(stack, "destroy", exclude_protected=True)
    assert result.summary.result == "succeeded", steps.diagnostics
    k = local.kube
    assert not k.list("apps/v1", "Deployment", NS)
    assert not k.list("leaderworkerset.x-k8s.io/v1", "LeaderWorkerSet", NS)
    # The model volume is kept (protect + retainOnDelete), with its data.
    assert k.get("v1", "PersistentVolumeClaim", "models", NS) is not None
