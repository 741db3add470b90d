"""Which models are served through an InferencePool and what its spec is given
(derive/inference_pool.py), and what changes for such a model elsewhere in derive: no router, the
policy its picker has, the engine admitting the Gateway's proxies."""

from __future__ import annotations

from checks import checked
from derive.access import engine_ingress
from derive.inference_pool import pool_spec, pools
from derive.naming import derive
from derive.routing import policy, router_spec
from derive.routing_policy import renders_for_router
from derive.serving import serving_plan
from render import litellm
from render.engines import service
from tests.behaviour.helpers import POOLS, SGLANG, VLLM
from tests.conftest import tke_config

ROUTE = {"kind": "httpRoute", "gatewayName": "inference-gw", "gatewayNamespace": "envoy-gateway-system",
         "sectionName": "http", "hostnames": ["llm.example.com"], "proxyNamespace": "gw-proxies"}
GW_URL = "http://envoy-gw.envoy-gateway-system.svc.cluster.local"


def stack(*models):
    cfg = checked(tke_config(nodePools=POOLS, models=list(models), exposure={"api": ROUTE}))
    names = derive(cfg, "test")
    return cfg, [serving_plan(cfg, names, m, f"{m.name}-api-key") for m in cfg.models]


def pooled(base):
    return {**base, "replicas": 2, "routing": {"via": "inferencePool", "gatewayUrl": GW_URL}}


def test_a_pooled_model_gets_a_pool_on_the_stacks_gateway_and_no_router():
    cfg, (plan,) = stack(pooled(VLLM))
    spec = pool_spec(cfg, plan)
    assert spec is not None and router_spec(cfg, plan) is None
    assert spec.engine_selector == service(plan.spec)["spec"]["selector"]
    assert (spec.gateway_name, spec.gateway_namespace, spec.section_name, spec.proxy_namespace) == \
           ("inference-gw", "envoy-gateway-system", "http", "gw-proxies")
    assert spec.namespace == plan.spec.namespace and spec.engine_port == 8000
    assert spec.image == "registry.k8s.io/gateway-api-inference-extension/lwepp:v1.6.2"
    assert spec.timeout_seconds == cfg.gateway.request_timeout_seconds
    assert spec.url == f"{GW_URL}/tke-llm/{plan.spec.name}/v1"


def test_the_pool_selects_what_a_router_would_discover():
    """Same model, `via: router`: the router's discovery selector is the pool's selector."""
    cfg, (plan,) = stack(pooled(SGLANG))
    rcfg, (rplan,) = stack({**SGLANG, "replicas": 2})
    assert pool_spec(cfg, plan).engine_selector == router_spec(rcfg, rplan).engine_selector
    assert pool_spec(cfg, plan).engine_port == router_spec(rcfg, rplan).engine_port == 30000


def test_the_policy_is_the_pickers_round_robin_and_vllm_needs_no_render_endpoints():
    cfg, (plan,) = stack(pooled(VLLM))
    assert policy(cfg, plan.config) == "round-robin"
    assert not renders_for_router(cfg, plan.config)


def test_the_engine_admits_the_gateways_proxies_on_its_port():
    cfg, (plan,) = stack(pooled(VLLM))
    peers, rules = engine_ingress(cfg, plan)
    assert peers == [litellm.selector()]
    assert rules == [{"ports": [{"protocol": "TCP", "port": 8000}], "from": [{"namespaceSelector": {
        "matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["gw-proxies"]}]}}]}]


def test_only_pooled_models_get_a_pool():
    cfg, plans = stack({**pooled(VLLM), "replicas": 1}, {**SGLANG, "replicas": 2, "routing": {"policy": "round-robin"}})
    assert list(pools(cfg, plans)) == [plans[0].spec.name]
    assert router_spec(cfg, plans[1]) is not None
