"""Where the composition puts the smoke gate (program/compose.py): each model's Job after its workload,
its Service, its group budget and the gateway; the budget awaited only for models with groups; the
model outputs unchanged in value."""

from __future__ import annotations

from render import smoke
from render.awaits import WAIT_FOR
from render.disruption import ALL_READY

from tests.behaviour.helpers import POOLS, VLLM
from tests.conftest import render_raw, tke_config

MULTI = {**VLLM, "name": "qwen3-8b-mn", "servedName": "Qwen3-8B-MN", "nodes": 2}
GROUP_POOLS = [POOLS[0], {**POOLS[1], "maxSize": 4}]


def _job(plan, model):
    return next(r for r in plan.k8s_objects if r.manifest["kind"] == "Job"
                and r.manifest["metadata"]["labels"].get(smoke.MODEL_LABEL) == model)


def _urn(plan, kind, name):
    return next(r.urn for r in plan.k8s_objects if r.manifest["kind"] == kind and r.manifest["metadata"]["name"] == name)


def test_each_job_waits_for_its_servers_groups_and_the_gateway():
    plan = render_raw(tke_config(nodePools=GROUP_POOLS, models=[VLLM, MULTI]))
    single, multi = _job(plan, "qwen3-8b"), _job(plan, "qwen3-8b-mn")
    gateway = {_urn(plan, "Deployment", "llm-gateway"), _urn(plan, "Service", "llm-gateway")}
    assert gateway | {_urn(plan, "Deployment", "qwen3-8b"), _urn(plan, "Service", "qwen3-8b-api")} \
        <= plan.dependencies(single)
    budget = _urn(plan, "PodDisruptionBudget", "qwen3-8b-mn")
    assert gateway | {_urn(plan, "LeaderWorkerSet", "qwen3-8b-mn"), budget} <= plan.dependencies(multi)
    assert plan.manifest("PodDisruptionBudget", "qwen3-8b-mn")["metadata"]["annotations"] == {WAIT_FOR: ALL_READY}
    assert plan.by_urn[budget].options["customTimeouts"]
    assert _urn(plan, "LeaderWorkerSet", "qwen3-8b-mn") in plan.dependencies(plan.by_urn[budget])
    assert not [r for r in plan.k8s_objects if r.manifest["kind"] == "PodDisruptionBudget"
                and r.manifest["metadata"]["name"] == "qwen3-8b"], "one replica: no budget, nothing to await"
    assert plan.outputs["models"] == ["Qwen3-8B", "Qwen3-8B-MN"]
    assert [s["url"] for s in plan.outputs["modelServers"]] == [
        "http://qwen3-8b-api.llm.svc:8000/v1", "http://qwen3-8b-mn-api.llm.svc:8000/v1"]


def test_a_parked_group_has_no_budget_to_wait_for():
    plan = render_raw(tke_config(nodePools=GROUP_POOLS, models=[{**MULTI, "replicas": 0}]))
    assert not [r for r in plan.k8s_objects if r.manifest["kind"] == "PodDisruptionBudget"
                and r.manifest["metadata"]["name"] == "qwen3-8b-mn"]


def test_without_a_gateway_the_engine_admits_the_smoke_job_only_while_the_gate_is_on():
    def sources(plan):
        rules = plan.manifest("NetworkPolicy", "qwen3-8b-ingress")["spec"]["ingress"]
        return [p["podSelector"]["matchLabels"] for r in rules for p in r.get("from", []) if "podSelector" in p]

    on = render_raw(tke_config(nodePools=POOLS, models=[VLLM], gateway="none", webui=True))
    assert smoke.peer() in sources(on) and _job(on, "qwen3-8b") is not None
    off = render_raw(tke_config(nodePools=POOLS, models=[VLLM], gateway="none", webui=True, smoke=False))
    assert smoke.peer() not in sources(off)
