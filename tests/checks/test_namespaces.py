"""The stack's own namespace (checks/namespaces.py): never one where a controller the config names runs,
an app namespace the gateway admits, nor one every cluster already has; each refused at
`tke-llm:namespace` naming the key that says who lives there."""

from __future__ import annotations

import pytest

from checks import checked

from tests.conftest import existing_config, tke_config

from .helpers import R1_7B, errors

ROUTE = {"kind": "httpRoute", "gatewayName": "edge", "gatewayNamespace": "envoy-gateway-system",
         "hostnames": ["llm.example.com"]}
INGRESS = {"kind": "ingress", "host": "llm.example.com", "className": "nginx", "controllerNamespace": "ingress-nginx"}


@pytest.mark.parametrize("namespace, sections, key", [
    ("envoy-gateway-system", {"exposure": {"api": ROUTE}}, "exposure.api.gatewayNamespace"),
    ("edge-proxies", {"exposure": {"webui": {**ROUTE, "hostnames": ["chat.example.com"], "proxyNamespace": "edge-proxies"}}},
     "exposure.webui.proxyNamespace"),
    ("ingress-nginx", {"exposure": {"api": INGRESS}}, "exposure.api.controllerNamespace"),
    ("monitoring", {"monitoring": {"prometheus": {"kind": "existing"}}}, "monitoring.prometheus.namespace"),
    ("prom-abcd1234", {"monitoring": {"prometheus": {"kind": "tke-managed", "instanceId": "prom-abcd1234"}}},
     "monitoring.prometheus.instanceId"),
    ("tmp-agents", {"monitoring": {"prometheus": {"kind": "tke-managed", "instanceId": "prom-abcd1234",
                                                  "agentNamespace": "tmp-agents"}}}, "monitoring.prometheus.agentNamespace"),
    ("llm-apps", {"gateway": {"kind": "litellm", "clientNamespaces": ["llm-apps"]}}, "gateway.clientNamespaces[0]"),
])
def test_a_namespace_a_configured_controller_lives_in_is_refused(namespace, sections, key):
    found = errors(tke_config(namespace=namespace, models=[R1_7B], **sections))
    (msg,) = [m for m in found if m.startswith("tke-llm:namespace: ")]
    assert f"{namespace!r} is where" in msg and f"(tke-llm:{key})" in msg, msg
    assert "deny all ingress into it by default" in msg and "give the stack a namespace of its own, e.g. llm" in msg


@pytest.mark.parametrize("namespace", ["kube-system", "kube-public", "kube-node-lease", "default"])
def test_namespaces_every_cluster_has_are_refused(namespace):
    found = errors(existing_config(namespace=namespace))
    assert any(m.startswith(f"tke-llm:namespace: {namespace!r} is not a usable namespace") for m in found), found


def test_the_stacks_own_namespace_beside_those_controllers_passes():
    checked(tke_config(models=[R1_7B], exposure={"api": ROUTE, "webui": {**INGRESS, "host": "chat.example.com"}},
                       monitoring={"prometheus": {"kind": "existing", "url": "http://prometheus.monitoring.svc:9090"}},
                       gateway={"kind": "litellm", "clientNamespaces": ["llm-apps"]}))
