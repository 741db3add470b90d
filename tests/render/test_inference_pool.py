"""An InferencePool backend for one model (render/inference_pool.py): the pool, its endpoint picker
(lwepp v1.6.2), RBAC, NetworkPolicy and HTTPRoute, validated against the upstream CRDs (schema and CEL
rules, ../shared/crds) and, for built-in kinds, strictly against the Kubernetes API."""

from __future__ import annotations

import copy

import pytest

from render import inference_pool as ip
from render.placement import PodPlacement
from tests.validators import validate_builtin, validate_custom

SELECTOR = {"app.kubernetes.io/name": "qwen-api", "app.kubernetes.io/component": "model-server"}


def spec(**kw) -> ip.PoolSpec:
    base = dict(model="qwen", namespace="llm", image="registry.k8s.io/gateway-api-inference-extension/lwepp:v1.6.2",
                engine_selector=SELECTOR, engine_port=8000,
                gateway_url="http://envoy-gw.envoy-gateway-system.svc.cluster.local",
                gateway_name="inference-gw", gateway_namespace="envoy-gateway-system", section_name="http",
                timeout_seconds=900, placement=PodPlacement(node_selector={"pool": "system"}))
    return ip.PoolSpec(**{**base, **kw})


def by_kind(objects, kind):
    (obj,) = [o for o in objects if o["kind"] == kind]
    return obj


def test_pool_selects_the_engine_pods_on_their_port_and_names_the_picker_service():
    pool = ip.inference_pool(spec())
    assert pool["apiVersion"] == "inference.networking.k8s.io/v1"
    assert pool["metadata"] == {**pool["metadata"], "name": "qwen-pool", "namespace": "llm"}
    assert pool["spec"]["selector"] == {"matchLabels": SELECTOR}
    assert pool["spec"]["targetPorts"] == [{"number": 8000}]
    ref = pool["spec"]["endpointPickerRef"]
    assert (ref["kind"], ref["name"], ref["port"]) == ("Service", "qwen-epp", {"number": 9002})
    svc = ip.service(spec())
    assert svc["metadata"]["name"] == ref["name"]
    assert {p["name"]: p["port"] for p in svc["spec"]["ports"]} == {"grpc-ext-proc": 9002, "metrics": 9090}


def test_every_object_is_valid_against_the_crds_and_the_api():
    objects = ip.manifests(spec())
    assert [o["kind"] for o in objects] == ["ServiceAccount", "Role", "RoleBinding", "Deployment", "Service",
                                            "NetworkPolicy", "InferencePool", "HTTPRoute"]
    assert validate_custom(objects) == []
    assert validate_builtin([o for o in objects if o["kind"] not in ("InferencePool", "HTTPRoute")], "1.30") == []


def test_the_crd_validation_catches_a_broken_pool():
    """The validator is not vacuous: the CRD's CEL rule (a Service picker needs a port) and its schema
    (at least one target port, a number) refuse these."""
    pool = ip.inference_pool(spec())
    no_port = copy.deepcopy(pool)
    del no_port["spec"]["endpointPickerRef"]["port"]
    assert any("port" in e for e in validate_custom([no_port]))
    no_targets = copy.deepcopy(pool)
    no_targets["spec"]["targetPorts"] = []
    assert validate_custom([no_targets])
    text_port = copy.deepcopy(pool)
    text_port["spec"]["targetPorts"] = [{"number": "8000"}]
    assert validate_custom([text_port])


def test_route_sends_the_models_prefix_to_the_pool_on_the_stacks_gateway():
    route = ip.http_route(spec())
    assert route["spec"]["parentRefs"] == [{"group": "gateway.networking.k8s.io", "kind": "Gateway",
                                            "name": "inference-gw", "namespace": "envoy-gateway-system",
                                            "sectionName": "http"}]
    assert route["spec"]["hostnames"] == ["envoy-gw.envoy-gateway-system.svc.cluster.local"]
    (rule,) = route["spec"]["rules"]
    assert rule["matches"] == [{"path": {"type": "PathPrefix", "value": "/tke-llm/qwen"}}]
    assert rule["filters"] == [{"type": "URLRewrite", "urlRewrite": {
        "path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}}}]
    assert rule["backendRefs"] == [{"group": "inference.networking.k8s.io", "kind": "InferencePool",
                                    "name": "qwen-pool"}]
    assert rule["timeouts"] == {"request": "900s"}


def test_litellm_calls_the_gateway_under_the_models_prefix():
    assert spec().url == "http://envoy-gw.envoy-gateway-system.svc.cluster.local/tke-llm/qwen/v1"
    assert spec(gateway_url="https://gw.example.svc:8443/").url == "https://gw.example.svc:8443/tke-llm/qwen/v1"


def test_an_ip_address_gateway_url_gives_a_route_without_hostnames():
    """A Gateway API hostname cannot be an IP address (the HTTPRoute CRD's pattern)."""
    route = ip.http_route(spec(gateway_url="http://10.0.0.7:80"))
    assert "hostnames" not in route["spec"]
    assert validate_custom([route]) == []


def test_the_picker_runs_lwepp_for_this_pool_probed_over_grpc_health():
    dep = ip.deployment(spec())
    (c,) = dep["spec"]["template"]["spec"]["containers"]
    assert c["args"] == ["--pool-name", "qwen-pool", "--pool-namespace", "llm", "--pool-group",
                         "inference.networking.k8s.io", "--grpc-port", "9002", "--grpc-health-port", "9003",
                         "--metrics-port", "9090"]
    assert c["readinessProbe"]["grpc"] == {"port": 9003, "service": "inference-extension"}
    assert c["livenessProbe"]["grpc"] == {"port": 9003}
    assert c["securityContext"]["runAsUser"] == 65532
    pod = dep["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "qwen-epp" and pod["automountServiceAccountToken"] is False
    assert pod["nodeSelector"] == {"pool": "system"}


def test_role_reads_pods_and_inferencepools_only():
    assert ip.role(spec())["rules"] == [
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]},
        {"apiGroups": ["inference.networking.k8s.io"], "resources": ["inferencepools"],
         "verbs": ["get", "list", "watch"]}]
    binding = ip.role_binding(spec())
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "qwen-epp", "namespace": "llm"}]


def test_only_the_gateway_proxy_namespace_reaches_the_picker():
    pol = ip.network_policy(spec(proxy_namespace="gw-proxies"))
    (rule,) = pol["spec"]["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 9002}]
    assert rule["from"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "gw-proxies"}}}]


@pytest.mark.parametrize("bad,message", [
    ({"engine_selector": {}}, "labels"),
    ({"engine_port": 0}, "not a port"),
    ({"gateway_url": "envoy-gw:80"}, "http(s)"),
])
def test_spec_refuses_what_cannot_work(bad, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        spec(**bad)


def test_the_route_hostname_is_the_gateway_urls_host_in_lower_case():
    route = ip.http_route(spec(gateway_url="http://Envoy-GW.gw.svc.cluster.local:8080"))
    assert route["spec"]["hostnames"] == ["envoy-gw.gw.svc.cluster.local"]
    assert validate_custom([route]) == []
