"""A stack with a model behind an InferencePool (`routing.via: inferencePool`) as the cluster gets it:
LiteLLM calls the Gateway under the model's prefix, no router exists for it, the pool, its picker and
its HTTPRoute are rendered on the exposure's Gateway, the engine admits the Gateway's proxies, and the
whole manifest passes the API schemas, the CRDs (schema + CEL) and checkov."""

from __future__ import annotations

import pytest
import yaml

from preview.summary import summary
from preview.writers import write
from render import litellm
from tests.behaviour.helpers import POOLS, SGLANG, VLLM
from tests.conftest import gateway_config_name, render_raw, tke_config
from tests.validators import load_manifests, run_checkov, validate_builtin, validate_custom

GW_URL = "http://envoy-gw.envoy-gateway-system.svc.cluster.local"
ROUTE = {"kind": "httpRoute", "gatewayName": "inference-gw", "gatewayNamespace": "envoy-gateway-system",
         "sectionName": "http", "hostnames": ["llm.example.com"]}
POOLED = {**VLLM, "replicas": 2, "routing": {"via": "inferencePool", "gatewayUrl": GW_URL}}
ROUTED = {**SGLANG, "replicas": 2}
POOLS_5 = [POOLS[0], {**POOLS[1], "maxSize": 5}]


@pytest.fixture(scope="module")
def plan():
    return render_raw(tke_config(nodePools=POOLS_5, models=[POOLED, ROUTED], exposure={"api": ROUTE}))


def test_litellm_calls_the_gateway_for_the_pooled_model_and_the_router_for_the_other(plan):
    config = yaml.safe_load(plan.manifest("ConfigMap", gateway_config_name(plan))["data"][litellm.CONFIG_FILE])
    bases = {e["model_name"]: e["litellm_params"]["api_base"] for e in config["model_list"]}
    ns = plan.config.namespace
    assert bases == {"Qwen3-8B": f"{GW_URL}/tke-llm/qwen3-8b/v1",
                     "DeepSeek-R1-Distill-Qwen-7B": f"http://r1-distill-router.{ns}.svc:8080/v1"}
    keys = {e["model_name"]: e["litellm_params"]["api_key"] for e in config["model_list"]}
    assert keys["Qwen3-8B"] == "os.environ/ENGINE_KEY_QWEN3_8B"  # the engine still checks its key


def test_no_router_for_the_pooled_model_but_its_pool_picker_and_route(plan):
    names = {(r.manifest["kind"], r.manifest["metadata"]["name"]) for r in plan.k8s_objects}
    assert not {n for n in names if n[1] == "qwen3-8b-router"}
    assert ("Deployment", "r1-distill-router") in names
    pool = plan.manifest("InferencePool", "qwen3-8b-pool")
    assert pool["spec"]["selector"]["matchLabels"] == plan.manifest("Service", "qwen3-8b-api")["spec"]["selector"]
    assert pool["spec"]["targetPorts"] == [{"number": 8000}]
    route = plan.manifest("HTTPRoute", "qwen3-8b-pool")
    assert route["spec"]["parentRefs"][0]["name"] == "inference-gw"
    assert route["spec"]["rules"][0]["backendRefs"] == [{"group": "inference.networking.k8s.io",
                                                         "kind": "InferencePool", "name": "qwen3-8b-pool"}]
    for kind in ("Deployment", "Service", "ServiceAccount", "Role", "RoleBinding"):
        assert plan.manifest(kind, "qwen3-8b-epp")
    assert plan.manifest("Deployment", "qwen3-8b-epp")["spec"]["template"]["spec"]["containers"][0]["image"] == \
        "registry.k8s.io/gateway-api-inference-extension/lwepp:v1.6.2"


def test_the_pooled_engine_admits_the_gateway_proxies(plan):
    rules = plan.manifest("NetworkPolicy", "qwen3-8b-ingress")["spec"]["ingress"]
    assert {"ports": [{"protocol": "TCP", "port": 8000}], "from": [{"namespaceSelector": {"matchExpressions": [
        {"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["envoy-gateway-system"]}]}}]} in rules


def test_summary_names_the_pool(plan):
    text = summary(plan)
    section = text[text.index("## Routing"):text.index("## Preflight")]
    assert ("| qwen3-8b | InferencePool `qwen3-8b-pool` on Gateway `inference-gw`, picker `qwen3-8b-epp` (lwepp) "
            "| round-robin | 2 replica(s), fixed | - |") in section


def test_manifests_pass_the_schemas_the_crds_and_checkov(plan, tmp_path):
    target = write(plan, tmp_path) / "manifests.yaml"
    docs = load_manifests(target)
    assert validate_builtin(docs, plan.config.cluster.kubernetes_version) == []
    assert validate_custom(docs) == []
    assert run_checkov(target) == []


def test_a_monitored_stack_scrapes_the_picker_and_alerts_when_it_is_down():
    """The picker fails closed: with it down the Gateway refuses the model, so it is watched like a router."""
    monitoring = {"prometheus": {"kind": "existing", "url": "http://prometheus-operated.monitoring.svc:9090",
                                 "namespace": "monitoring", "selectorLabels": {"release": "kps"}}}
    plan = render_raw(tke_config(nodePools=POOLS_5, models=[POOLED, ROUTED], exposure={"api": ROUTE},
                                 monitoring=monitoring))
    monitor = plan.manifest("ServiceMonitor", "qwen3-8b-epp")
    service = plan.manifest("Service", "qwen3-8b-epp")
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    assert monitor["spec"]["endpoints"][0]["port"] == "metrics"
    assert "metrics" in {p["name"] for p in service["spec"]["ports"]}
    scrape = plan.manifest("NetworkPolicy", "qwen3-8b-epp-scrape")["spec"]
    assert scrape["podSelector"]["matchLabels"] == service["spec"]["selector"]
    assert scrape["ingress"][0]["ports"] == [{"protocol": "TCP", "port": 9090}]
    groups = {g["name"]: g["rules"] for g in plan.manifest("PrometheusRule", "tke-llm-alerts")["spec"]["groups"]}
    pooled = {r["alert"]: r for r in groups["tke-llm.qwen3-8b"]}
    assert 'deployment="qwen3-8b-epp"' in pooled["LLMRouterUnavailable"]["expr"]
    assert "LLMRouterSeesNoReplica" not in pooled  # the picker exports no per-replica health
    routed = {r["alert"] for r in groups["tke-llm.r1-distill"]}
    assert {"LLMRouterUnavailable", "LLMRouterSeesNoReplica"} <= routed
