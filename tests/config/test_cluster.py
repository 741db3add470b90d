"""TKE add-on settings (config/cluster.py `cluster.addons`) and the rdma-agent's mode per pool
(config/node_pools.py `gpu.rdma.mode`): defaults from catalog/tke_addons.py, refusals keyed to the field."""

from __future__ import annotations

from checks import checked
from derive.addons import rdma_pools

from tests.conftest import H20, R1, SYSTEM_POOL, TURBO, tke_config

from .helpers import errors



def _addons(**addons):
    raw = tke_config()
    raw["cluster"]["addons"] = addons
    return raw


def test_addon_defaults_are_the_best_sourced_names():
    a = checked(tke_config()).cluster.addons
    assert (a.network_policy.name, a.network_policy.install) == ("NetworkPolicy", True)
    assert (a.rdma_agent.name, a.rdma_agent.install) == ("rdma-agent", True)
    assert a.rdma_agent.node_labels == {"feature.node.kubernetes.io/tke-shared-rdma": "true"}
    assert (a.cfs_csi.name, a.cfs_turbo_csi.name) == ("cfs", "cfsturbo")
    assert a.network_policy.raw_values_json is None


def test_raw_values_become_sorted_plain_json():
    a = checked(_addons(networkPolicy={"rawValues": {"b": [1, True], "a": {"c": "x"}}})).cluster.addons
    assert a.network_policy.raw_values_json == '{"a":{"c":"x"},"b":[1,true]}'


def test_bad_addon_settings_name_their_key():
    found = errors(_addons(networkPolicy={"name": "network policy"}))
    assert any(e.startswith("tke-llm:cluster.addons.networkPolicy.name") and "is not a TKE add-on name" in e
               for e in found), found
    found = errors(_addons(rdmaAgent={"rawValues": {"x": float("nan")}}))
    assert any(e.startswith("tke-llm:cluster.addons.rdmaAgent.rawValues") for e in found), found
    found = errors(_addons(cfsCsi={"nmae": "cfs"}))
    assert any(e.startswith("tke-llm:cluster.addons.cfsCsi.nmae: unknown key") for e in found), found
    assert checked(_addons(cfsTurboCsi={"version": "1.2.4"})).cluster.addons.cfs_turbo_csi.name == "cfsturbo"


def test_the_agents_mode_follows_the_pools_rdma_mode_and_a_bad_mode_is_refused():
    def modes(gpu):
        return rdma_pools(checked(tke_config(nodePools=[SYSTEM_POOL, {**H20, "gpu": gpu}], models=[R1],
                                             storage=TURBO)))

    assert modes(H20["gpu"]) == {"h20": "shared"}
    assert modes({**H20["gpu"], "rdma": {"mode": "exclusive"}}) == {"h20": "exclusive"}
    assert modes({**H20["gpu"], "rdma": False}) == {}, "no RDMA, no agent"
    found = errors(tke_config(nodePools=[SYSTEM_POOL, {**H20, "gpu": {**H20["gpu"], "rdma": {"mode": "macvlan"}}}]))
    assert any(e.startswith("tke-llm:nodePools[1].gpu.rdma.mode") for e in found), found


def test_api_server_ranges_listed_twice_are_refused():
    """Each entry becomes a rule of the API server's security group: a repeat is a duplicate rule."""
    raw = tke_config()
    raw["cluster"]["endpoint"] = {"access": "public", "allowedCidrs": ["203.0.113.10/32", "203.0.113.10/32"]}
    found = errors(raw)
    assert any(m.startswith("tke-llm:cluster.endpoint.allowedCidrs[1]: 203.0.113.10/32 listed twice")
               for m in found), found
