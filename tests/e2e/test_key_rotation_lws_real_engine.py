"""An engine key rotation on a LeaderWorkerSet, under the real engine and the real LWS controller: only
the leader template reads the key and carries its checksum, and the changed template is a new LWS
revision, so the controller replaces the whole group (leader and worker) with pods of that revision."""

from __future__ import annotations

import copy
import time

import pytest

from e2e.engine import run
from render.credentials import KEYS_CHECKSUM_ANNOTATION

from .conftest import Harness, engine_stack, local_cluster_config, set_config
from .test_serving_real_engine import STACK_CONFIG as SERVING

STACK = "rotation-lws"
STACK_CONFIG = copy.deepcopy(SERVING)
STACK_CONFIG["tke-llm:models"] = [m for m in SERVING["tke-llm:models"] if m.get("nodes", 1) > 1]
STORAGE_CLASSES = ["shared-rwx"]
LWS = True
NS = STACK_CONFIG["tke-llm:namespace"]
(MODEL,) = STACK_CONFIG["tke-llm:models"]
NAME = MODEL["name"]
LWS_API = "leaderworkerset.x-k8s.io/v1"
SET_LABEL, INDEX_LABEL = "leaderworkerset.sigs.k8s.io/name", "leaderworkerset.sigs.k8s.io/worker-index"
ROLLOUT_SECONDS = 120

pytestmark = pytest.mark.real_engine


@pytest.fixture(scope="module")
def stack(local: Harness):
    config = local_cluster_config(STACK_CONFIG, local.cluster.kubeconfig, "local")
    config["tke-llm:cluster"]["leaderWorkerSetInstalled"] = True
    return engine_stack(local, STACK, config)


def _template_sums(local: Harness) -> dict[str, str | None]:
    lwt = local.kube.get(LWS_API, "LeaderWorkerSet", NAME, NS)["spec"]["leaderWorkerTemplate"]
    return {part: (lwt[part].get("metadata", {}).get("annotations") or {}).get(KEYS_CHECKSUM_ANNOTATION)
            for part in ("leaderTemplate", "workerTemplate")}


def _group(local: Harness) -> dict[str, dict]:
    """The live pods of the set by uid."""
    pods = local.kube.list("v1", "Pod", NS, label_selector=f"{SET_LABEL}={NAME}")
    return {p["metadata"]["uid"]: p for p in pods if not p["metadata"].get("deletionTimestamp")}


def _settled(local: Harness, leader_sum: str, exclude: set[str] = frozenset()) -> dict[str, dict]:
    """Waits (bounded) for a whole group (leader and worker) of pods not in `exclude`, Running, the
    leader carrying `leader_sum`; returns it."""
    deadline = time.monotonic() + ROLLOUT_SECONDS
    while True:
        pods = _group(local)
        leaders = [p for p in pods.values() if p["metadata"]["labels"].get(INDEX_LABEL) == "0"]
        if (len(pods) == MODEL["nodes"] and not set(pods) & exclude and len(leaders) == 1
                and all(p["status"].get("phase") == "Running" for p in pods.values())
                and leaders[0]["metadata"].get("annotations", {}).get(KEYS_CHECKSUM_ANNOTATION) == leader_sum):
            return pods
        if time.monotonic() > deadline:
            seen = [(p["metadata"]["name"], p["status"].get("phase")) for p in pods.values()]
            raise AssertionError(f"the group did not settle: {seen}")
        time.sleep(1)


def test_an_engine_key_rotation_replaces_the_whole_group(local: Harness, stack) -> None:
    result, steps = run(stack, "up")
    assert result.summary.result == "succeeded", steps.diagnostics
    before = _template_sums(local)
    assert before["leaderTemplate"] and before["workerTemplate"] is None, before
    old = _settled(local, before["leaderTemplate"])

    head = copy.deepcopy(stack.config)
    head["tke-llm:keys"] = {"rotate": {"engineKeys": 1}}
    set_config(local, STACK, stack, head)
    result, steps = run(stack, "up")
    assert result.summary.result == "succeeded", steps.diagnostics
    after = _template_sums(local)
    assert after["leaderTemplate"] != before["leaderTemplate"] and after["workerTemplate"] is None, after
    new = _settled(local, after["leaderTemplate"], exclude=set(old))
    assert len(new) == len(old) == MODEL["nodes"]
    _, again = run(stack, "preview", expect_no_changes=True)
    assert set(again.count()) <= {"same"}, again.changed()
