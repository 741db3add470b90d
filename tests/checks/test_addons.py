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
    assert "serves pools `h20` shared (IPVLAN) (`nodePools[].gpu.rdmaMode`)" in text
    assert "labels those pools' nodes `feature.node.kubernetes.io/tke-shared-rdma=true`" in text
    assert "on attached machines (h20) adding it replaces the attachments, a reinstall" in text
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
    keys = [w.key for w in preflight(checked(raw)).warnings]
    assert {"tke-llm:cluster.addons.networkPolicy.install", "tke-llm:cluster.addons.rdmaAgent.install"} <= set(keys)


def test_the_default_stack_warns_about_no_addon():
    keys = [w.key for w in preflight(checked(tke_config(**RDMA_STACK))).warnings]
    assert not [k for k in keys if "cluster.addons" in k]


def test_existing_cluster_has_no_addon_section():
    assert summary_lines(checked(existing_config())) == []
