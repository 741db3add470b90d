"""TKE add-ons (components/tke_addon.py, components/tke_cluster.py, derive/addons.py): every add-on is a
`tencentcloud_kubernetes_addon` whose inputs are the provider's arguments; NetworkPolicy enforcement by
default; the rdma-agent for multi-node models on RDMA pools, with its node label and ordering."""

from __future__ import annotations

import json

import pytest

from tests.conftest import H20, R1, SYSTEM_POOL, TURBO, render_raw, tke_config

from .helpers import ADDON, ATTACHMENT, NODEPOOL, TMP_AGENT
from .provider_schema import ADDON as ADDON_ARGS
from .provider_schema import TMP_AGENT_AGENTS, misfits

RDMA_LABEL = "feature.node.kubernetes.io/tke-shared-rdma"


def _rdma(**cluster_addons):
    raw = tke_config(nodePools=[SYSTEM_POOL, H20], models=[R1], storage=TURBO)
    if cluster_addons:
        raw["cluster"]["addons"] = cluster_addons
    return render_raw(raw)


@pytest.fixture(scope="module")
def rdma_plan():
    return _rdma()


def _waits(plan, r) -> set[str]:
    """Everything `r` waits for, components expanded into their children."""
    out, todo = set(), list(plan.dependencies(r))
    while todo:
        d = todo.pop()
        if d in out:
            continue
        out.add(d)
        todo.extend(plan.dependencies(plan.by_urn[d]) if d in plan.by_urn else [])
        todo.extend(c.urn for c in plan.resources if c.parent == d)
    return out


def test_network_policy_addon_is_installed_by_default_after_the_system_pool(dev_like_plan):
    addon = dev_like_plan.one(ADDON, "tke-networkpolicy-addon")
    assert addon.inputs["addonName"] == "NetworkPolicy"
    assert addon.inputs["clusterId"].startswith("cls-") and "rawValues" not in addon.inputs
    assert addon.options["customTimeouts"]["create"] == "15m" and addon.options["ignoreChanges"] == ["rawValues"]
    assert dev_like_plan.one(NODEPOOL, "tke-pools-system").urn in _waits(dev_like_plan, addon)


def test_network_policy_addon_name_version_and_opt_out():
    raw = tke_config()
    raw["cluster"]["addons"] = {"networkPolicy": {"name": "networkpolicy", "version": "1.3.2"}}
    addon = render_raw(raw).one(ADDON, "tke-networkpolicy-addon")
    assert (addon.inputs["addonName"], addon.inputs["addonVersion"]) == ("networkpolicy", "1.3.2")
    raw["cluster"]["addons"] = {"networkPolicy": {"install": False}}
    assert [a.name for a in render_raw(raw).by_type(ADDON)] == ["storage-cfs-addon"]


def test_rdma_agent_serves_multi_node_models_on_rdma_pools(rdma_plan):
    agent = rdma_plan.one(ADDON, "tke-rdmaagent-addon")
    assert agent.inputs["addonName"] == "rdma-agent"
    assert rdma_plan.one(NODEPOOL, "tke-pools-system").urn in _waits(rdma_plan, agent)
    for att in rdma_plan.by_type(ATTACHMENT):
        assert RDMA_LABEL not in att.inputs["labels"], "a label on an attachment re-attaches (reinstalls) the machine"
    group = rdma_plan.manifest("LeaderWorkerSet", "r1")
    pods = [group["spec"]["leaderWorkerTemplate"][t]["spec"] for t in ("leaderTemplate", "workerTemplate")]
    assert all(RDMA_LABEL not in p.get("nodeSelector", {}) for p in pods), "no pod selects on the agent's label"
    lws = next(r for r in rdma_plan.k8s_objects if r.manifest["kind"] == "LeaderWorkerSet")
    assert agent.urn in _waits(rdma_plan, lws), "the group waits for the device plugin"


def test_no_rdma_agent_without_a_multi_node_rdma_model():
    plan = render_raw(tke_config(nodePools=[SYSTEM_POOL, H20], models=[{**R1, "nodes": 1}], storage=TURBO))
    assert "tke-rdmaagent-addon" not in [a.name for a in plan.by_type(ADDON)]
    assert all(RDMA_LABEL not in a.inputs["labels"] for a in plan.by_type(ATTACHMENT))


def test_rdma_agent_off_and_its_labels_settable():
    off = _rdma(rdmaAgent={"install": False})
    assert "tke-rdmaagent-addon" not in [a.name for a in off.by_type(ADDON)]
    assert all(RDMA_LABEL not in a.inputs["labels"] for a in off.by_type(ATTACHMENT))
    own = _rdma(rdmaAgent={"nodeLabels": {"rdma.example.com/agent": "on"}})
    assert all("rdma.example.com/agent" not in a.inputs["labels"] and RDMA_LABEL not in a.inputs["labels"]
               for a in own.by_type(ATTACHMENT)), "attached machines are never labelled through the attachment"


def test_node_pools_the_stack_creates_get_the_agents_label_in_place():
    """A normal pool's labels are updated in place (preview/diff.py has no force-new rule for them), so the
    stack labels RDMA pools it creates; the attachments of the same stack stay as they were."""
    hcc = {"kind": "normal", "name": "hcc", "instanceType": "HCCPNV6.96XLARGE2304", "minSize": 0, "maxSize": 2,
           "systemDiskGb": 300, "gpu": {"type": "H20", "count": 8, "rdma": {"mode": "exclusive"}}}
    plan = render_raw(tke_config(nodePools=[SYSTEM_POOL, hcc], models=[{**R1, "pool": "hcc"}], storage=TURBO))
    pool = plan.one(NODEPOOL, "gpu-pools-hcc")
    assert pool.inputs["labels"][RDMA_LABEL] == "true"
    assert plan.one(ADDON, "tke-rdmaagent-addon").inputs["addonName"] == "rdma-agent"
    own = render_raw(tke_config(nodePools=[SYSTEM_POOL, hcc], models=[{**R1, "pool": "hcc"}], storage=TURBO,
                                cluster={**tke_config()["cluster"], "addons": {"rdmaAgent": {"nodeLabels": {
                                    "rdma.example.com/agent": "on"}}}}))
    labels = own.one(NODEPOOL, "gpu-pools-hcc").inputs["labels"]
    assert labels["rdma.example.com/agent"] == "on" and RDMA_LABEL not in labels


def test_raw_values_are_plain_json_not_base64():
    plan = _rdma(rdmaAgent={"rawValues": {"NodeSelector": {"b": "2", "a": "1"}}})
    raw = plan.one(ADDON, "tke-rdmaagent-addon").inputs["rawValues"]
    assert json.loads(raw) == {"NodeSelector": {"a": "1", "b": "2"}}
    assert raw == '{"NodeSelector":{"a":"1","b":"2"}}', "keys sorted: the same values give the same string"


def test_every_addon_is_a_kubernetes_addon_with_provider_arguments(dev_like_plan, rdma_plan):
    for plan in (dev_like_plan, rdma_plan):
        assert not [r.type for r in plan.resources if "ttachment" in r.type and "addon" in r.type.lower()], \
            "tencentcloud_kubernetes_addon_attachment was removed in provider 1.82.4"
        addons = plan.by_type(ADDON)
        assert addons
        for a in addons:
            assert not misfits(ADDON_ARGS, a.inputs), (a.name, misfits(ADDON_ARGS, a.inputs))
    assert {a.inputs["addonName"] for a in rdma_plan.by_type(ADDON)} == {"NetworkPolicy", "rdma-agent", "cfsturbo"}


def test_tmp_agent_sends_no_computed_attribute():
    plan = render_raw(tke_config(monitoring={"prometheus": {"kind": "tke-managed", "instanceId": "prom-abcd1234"}}))
    agents = plan.one(TMP_AGENT).inputs["agents"]
    assert "clusterName" not in agents
    assert not misfits(TMP_AGENT_AGENTS, agents), misfits(TMP_AGENT_AGENTS, agents)
