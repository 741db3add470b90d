"""The plan's TKE add-ons section and the warnings for add-ons turned off (checks/addons.py)."""

from __future__ import annotations

from checks import checked
from checks.addons import summary_lines
from checks.preflight import preflight

from tests.conftest import SYSTEM_POOL, existing_config, tke_config

from .helpers import H20, R1

RDMA_STACK = dict(nodePools=[SYSTEM_POOL, H20], models=[R1],
                  storage={"kind": "cfs-turbo", "capacityGib": 10240, "sizeGi": 1000})


def _text(raw) -> str:
    return "\n".join(summary_lines(checked(raw)))


def test_each_addon_says_how_its_name_is_known():
    text = _text(tke_config(**RDMA_STACK))
    assert "- `NetworkPolicy`, latest version (`cluster.addons.networkPolicy`): enforces NetworkPolicy" in text
    assert "- `rdma-agent`, latest version (`cluster.addons.rdmaAgent`)" in text
    assert "- `cfsturbo`, latest version (`cluster.addons.cfsTurboCsi`)" in text
    assert text.count("name unconfirmed (source: ") == 3
    assert "serves pools `h20` shared (IPVLAN) (`nodePools[].gpu.rdma.mode`)" in text
    assert ("does NOT put `feature.node.kubernetes.io/tke-shared-rdma=true` on the attached machines of `h20`" in text and "`kubectl label nodes -l tke-llm.io/pool=h20 "
            "feature.node.kubernetes.io/tke-shared-rdma=true --overwrite` once they have joined" in text)
    cfs = _text(tke_config())
    assert "- `cfs`, latest version (`cluster.addons.cfsCsi`): the CFS CSI driver" in cfs
    assert "name confirmed (source: terraform-provider-tencentcloud's own test" in cfs
    assert "rdma-agent" not in cfs


def test_a_changed_name_is_reported_as_set_by_config():
    raw = tke_config()
    raw["cluster"]["addons"] = {"networkPolicy": {"name": "networkpolicy", "version": "1.3.2"}}
    text = _text(raw)
    assert ("- `networkpolicy`, version 1.3.2 (`cluster.addons.networkPolicy`): enforces NetworkPolicy (kube-router, "
            "DaemonSet kube-system/networkpolicy); name set by `cluster.addons.networkPolicy.name` (default "
            "`NetworkPolicy`") in text


def test_addons_turned_off_are_listed_and_warned_about():
    raw = tke_config(**RDMA_STACK)
    raw["cluster"]["addons"] = {"networkPolicy": {"install": False}, "rdmaAgent": {"install": False}}
    text = _text(raw)
    assert "- not installed: NetworkPolicy (`cluster.addons.networkPolicy.install: false`)" in text
    assert "- not installed: rdma-agent (`cluster.addons.rdmaAgent.install: false`)" in text
    warnings = {w.key: w.message for w in preflight(checked(raw)).warnings}
    assert "tke-llm:cluster.addons.networkPolicy.install" in warnings
    agent = warnings["tke-llm:cluster.addons.rdmaAgent.install"]
    assert "the pods of r1 (`h20`) request tke.cloud.tencent.com/tke-shared-rdma" in agent
    assert "in shared mode, the pods stay Pending" in agent
    assert "tke-llm:nodePools[1].labels" not in warnings, "no agent, no label to put on"


def test_the_default_stack_warns_about_no_addon_but_the_attached_nodes_label():
    """The agent is installed on a new cluster: no "install it" warning. Its label is not put on attached
    machines (that would reinstall them): a warning keyed to the pool says how to label them."""
    warnings = {w.key: w.message for w in preflight(checked(tke_config(**RDMA_STACK))).warnings}
    assert not [k for k in warnings if "cluster.addons" in k]
    assert not [m for m in warnings.values() if "Install TKE's rdma-agent" in m]
    label = warnings["tke-llm:nodePools[1].labels"]
    assert label.startswith("the rdma-agent's DaemonSet runs only on nodes labelled "
                            "feature.node.kubernetes.io/tke-shared-rdma=true, which the stack does not put on the "
                            "attached machines of `h20`")
    assert "`kubectl label nodes -l tke-llm.io/pool=h20 feature.node.kubernetes.io/tke-shared-rdma=true --overwrite`" \
        in label


def test_attached_nodes_that_carry_the_label_or_an_empty_selector_need_no_kubectl():
    own = tke_config(**{**RDMA_STACK, "nodePools": [SYSTEM_POOL, {**H20, "labels": {
        "feature.node.kubernetes.io/tke-shared-rdma": "true"}}]})
    assert "tke-llm:nodePools[1].labels" not in [w.key for w in preflight(checked(own)).warnings]
    assert "`h20` carry `feature.node.kubernetes.io/tke-shared-rdma=true` in their own `labels`" in _text(own)
    empty = tke_config(**RDMA_STACK)
    empty["cluster"]["addons"] = {"rdmaAgent": {"nodeLabels": {}}}
    assert "tke-llm:nodePools[1].labels" not in [w.key for w in preflight(checked(empty)).warnings]
    assert "labels no nodes (`cluster.addons.rdmaAgent.nodeLabels` is empty)" in _text(empty)


def test_existing_cluster_has_no_addon_section():
    assert summary_lines(checked(existing_config())) == []
