"""The plan diff's replacement rules for the egress path, the managed Prometheus association and the TKE
add-ons: a change to an input the provider marks ForceNew is a replacement, one its Update rejects is
refused, one the resource ignores (ignoreChanges) is no change, any other is an update in place (rules and
sources in preview/diff.py)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from preview.diff import diff_plans

from .test_diff import _rendered, change

NAT = "tencentcloud:Nat/gateway:Gateway"
EIP = "tencentcloud:Eip/instance:Instance"
TABLE = "tencentcloud:Route/table:Table"
ENTRY = "tencentcloud:Route/tableEntry:TableEntry"
AGENT = "tencentcloud:Monitor/tmpTkeClusterAgent:TmpTkeClusterAgent"
ADDON = "tencentcloud:Kubernetes/addon:Addon"


def _changed(plan: str, typ: str, name: str, path: str, value: Any):
    """The diff from the shipped stack's plan to the same plan with one input of one resource changed."""
    records, manifests = _rendered(plan)
    head = copy.deepcopy(records)
    [rec] = [r for r in head if r["type"] == typ and r["name"] == name]
    node = rec["inputs"]
    *parents, last = path.split(".")
    for key in parents:
        node = node[key]
    assert node.get(last) != value, "the test must change the input"
    node[last] = value
    return diff_plans("s", (records, manifests), (head, manifests))


@pytest.mark.parametrize("plan, typ, name, path, value, source", [
    ("dev", NAT, "network-nat", "vpcId", "vpc-0a0b0c0d", "tc-nat"),
    ("dev", NAT, "network-nat", "natProductVersion", 2, "tc-nat"),
    ("dev", EIP, "network-nat-eip", "internetServiceProvider", "CMCC", "tc-eip"),
    ("dev", TABLE, "network-routes", "vpcId", "vpc-0a0b0c0d", "tc-route-table"),
    ("dev", ENTRY, "network-default-route", "nextHub", "nat-0a0b0c0d", "tc-route-entry"),
    ("dev", ENTRY, "network-default-route", "description", "egress", "tc-route-entry"),
    ("prod", AGENT, "tmp-agent", "instanceId", "prom-other01", "tc-tmp-agent"),
    ("dev", ADDON, "tke-networkpolicy-addon", "addonName", "networkpolicy", "tc-addon"),
    ("prod", ADDON, "storage-cfsturbo-addon", "clusterId", "cls-0a0b0c0d", "tc-addon"),
])
def test_a_force_new_input_replaces(plan, typ, name, path, value, source):
    d = _changed(plan, typ, name, path, value)
    c = change(d, name)
    assert c.type == typ and c.action == "replace" and not c.refused
    assert [(r.path, r.source) for r in c.reasons] == [(path, source)]


@pytest.mark.parametrize("plan, typ, name, path, value", [
    ("dev", NAT, "network-nat", "bandwidth", 200),
    ("dev", NAT, "network-nat", "assignedEipSets", ["198.51.100.7"]),
    ("dev", EIP, "network-nat-eip", "name", "egress"),
    ("dev", EIP, "network-nat-eip", "internetMaxBandwidthOut", 200),
    ("dev", TABLE, "network-routes", "name", "egress"),
    ("dev", ENTRY, "network-default-route", "disabled", True),
    ("prod", AGENT, "tmp-agent", "agents.enableExternal", True),
    ("prod", ADDON, "tke-rdmaagent-addon", "addonVersion", "1.0.1"),
])
def test_an_updatable_input_is_changed_in_place(plan, typ, name, path, value):
    d = _changed(plan, typ, name, path, value)
    c = change(d, name)
    assert c.type == typ and c.action == "update" and not c.refused and not c.reasons
    assert [x.name for x in d.changes] == [name], "an update keeps the id: nothing else changes"


@pytest.mark.parametrize("plan, typ, name, path, value, source", [
    ("dev", NAT, "network-nat", "zone", "ap-guangzhou-6", "tc-nat"),
    ("dev", EIP, "network-nat-eip", "egress", "center_egress2", "tc-eip"),
])
def test_an_input_the_update_rejects_is_refused(plan, typ, name, path, value, source):
    d = _changed(plan, typ, name, path, value)
    c = change(d, name)
    assert c.action == "update" and c.refused and [(r.path, r.source) for r in c.reasons] == [(path, source)]


def test_a_new_nat_gateway_replaces_the_default_route_that_points_at_it():
    d = _changed("dev", NAT, "network-nat", "vpcId", "vpc-0a0b0c0d")
    entry = change(d, "network-default-route")
    assert entry.action == "replace" and "nextHub" in (entry.cascade or "")


def test_addon_raw_values_are_ignored_after_install():
    """Servers add default values to an add-on's RawValues, which provider v1.82.42 reports as drift; the
    add-ons ignore `rawValues` after install (components/tke_addon.py), so an edit is no change."""
    d = _changed("dev", ADDON, "tke-networkpolicy-addon", "rawValues", '{"a":1}')
    assert not d.changes
