"""The TKE cluster (components/tke_cluster.py), with the options that keep money and data safe: the
provider's identity and secret kubeconfig, the endpoint and its sources, protection."""

from __future__ import annotations

from preview.mocks import SECRET_MASK

from tests.conftest import render_raw, tke_config

from .helpers import CLUSTER, ENDPOINT, K8S_PROVIDER, NODEPOOL





def test_provider_identity_and_secret_kubeconfig(dev_like_plan):
    provider = dev_like_plan.one(K8S_PROVIDER)
    cluster = dev_like_plan.one(CLUSTER)
    assert provider.inputs["clusterIdentifier"].startswith("cls-")
    assert provider.inputs["kubeconfig"] == SECRET_MASK
    assert "kubernetes:" not in provider.raw_inputs["kubeconfig"] and "current-context" in provider.raw_inputs["kubeconfig"]
    assert cluster.urn in provider.depends_on
    assert "kubeconfig" in dev_like_plan.secret_outputs


def test_endpoint_waits_for_the_system_pool_only(dev_like_plan):
    """TKE opens an endpoint only on a cluster with nodes; waiting for the GPU pools too would hold
    the whole in-cluster graph (and the downloads) behind the most expensive nodes."""
    endpoint = dev_like_plan.one(ENDPOINT)
    assert dev_like_plan.one(NODEPOOL, "tke-pools-system").urn in endpoint.depends_on
    assert dev_like_plan.one(NODEPOOL, "gpu-pools-gpu").urn not in endpoint.depends_on
    assert endpoint.inputs["clusterIntranet"] is True


def test_public_endpoint_is_limited_to_allowed_sources():
    raw = tke_config()
    raw["cluster"]["endpoint"] = {"access": "public", "allowedCidrs": ["203.0.113.7/32"]}
    plan = render_raw(raw)
    endpoint = plan.one(ENDPOINT)
    assert endpoint.inputs["clusterInternet"] is True
    rules = plan.one("tencentcloud:Security/groupRuleSet:GroupRuleSet", "tke-apiserver").inputs["ingresses"]
    assert rules == [{"action": "ACCEPT", "cidrBlock": "203.0.113.7/32", "description": "Kubernetes API",
                      "port": "443", "protocol": "TCP"}]


def test_cluster_protection_follows_config(dev_like_plan):
    assert dev_like_plan.one(CLUSTER).options["protect"] is True
    raw = tke_config()
    raw["cluster"]["deletionProtection"] = False
    assert render_raw(raw).one(CLUSTER).options["protect"] is False
