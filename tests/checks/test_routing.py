"""The routing choices a stack is refused with, keyed to `models[i].routing.policy` (checks/routing.py)."""

from __future__ import annotations

import pytest

from tests.behaviour.helpers import OLLAMA, POOLS, SGLANG, VLLM
from tests.checks.helpers import errors
from tests.conftest import existing_config, tke_config

KEY = "tke-llm:models[0].routing.policy"


def routed(base, policy, **kw):
    return {**base, "replicas": 2, "routing": {"policy": policy}, **kw}


def test_ollama_has_no_router():
    found = errors(existing_config(models=[routed(OLLAMA, "prefix-aware", pool="gpu")]))
    assert f"{KEY}: 'prefix-aware': ollama models have no router (only vLLM and SGLang models do); set `none`, and " \
           "the gateway balances the replicas" in found


def test_a_policy_the_models_router_lacks_is_refused_naming_those_it_has():
    found = errors(tke_config(nodePools=POOLS, models=[routed(SGLANG, "session")]))
    assert f"{KEY}: 'session': the sglang router (sglang-router) has no such policy; choose one of prefix-aware, " \
           "round-robin, least-load or none" in found


def test_a_router_needs_the_gateway_in_front():
    found = errors(tke_config(nodePools=POOLS, models=[routed(VLLM, "round-robin")], gateway="none", webui=False,
                              exposure={"api": "none"}))
    assert f"{KEY}: 'round-robin' needs the gateway, which checks the app key before any router is reached: use " \
           "`gateway: litellm` (the default) or set `none`" in found


def test_an_unknown_policy_is_a_schema_error_naming_the_choices():
    found = errors(tke_config(nodePools=POOLS, models=[routed(VLLM, "cache_aware")]))
    (line,) = [f for f in found if f.startswith(KEY)]
    assert "'prefix-aware', 'round-robin', 'session', 'least-load' or 'none'" in line


@pytest.mark.parametrize("routing", [{"replicas": 0}, {"healthIntervalSeconds": 0}, {"cpu": "lots"}])
def test_router_settings_are_bounded(routing):
    found = errors(tke_config(nodePools=POOLS, models=[{**VLLM, "replicas": 2, "routing": routing}]))
    assert any(f.startswith("tke-llm:models[0].routing.") for f in found), found


# `routing.via: inferencePool` (checks/routing.py `_pool_issues`).
VIA = "tke-llm:models[0].routing.via"
ROUTE = {"kind": "httpRoute", "gatewayName": "inference-gw", "gatewayNamespace": "envoy-gateway-system",
         "hostnames": ["llm.example.com"]}
GW_URL = "http://envoy-gw.envoy-gateway-system.svc.cluster.local"


def pooled(base, gateway_url=GW_URL, **routing):
    r = {"via": "inferencePool", **({"gatewayUrl": gateway_url} if gateway_url else {}), **routing}
    return {**base, "replicas": 2, "routing": r}


def test_a_pool_needs_the_stacks_gateway_api_exposure():
    found = errors(tke_config(nodePools=POOLS, models=[pooled(VLLM)]))
    assert f"{VIA}: 'inferencePool' needs the stack's Gateway: set exposure.api to kind httpRoute (a Gateway that " \
           "implements the Gateway API Inference Extension), or use `router`" in found


def test_a_pool_needs_the_gateway_url_litellm_calls():
    found = errors(tke_config(nodePools=POOLS, models=[pooled(VLLM, gateway_url=None)], exposure={"api": ROUTE}))
    assert found == ["tke-llm:models[0].routing.gatewayUrl: required with `via: inferencePool`: the Gateway "
                     "listener's in-cluster URL the LiteLLM gateway calls, e.g. "
                     "http://envoy-gw.envoy-gateway-system.svc.cluster.local"]


@pytest.mark.parametrize("policy", ["prefix-aware", "session", "least-load", "none"])
def test_a_pool_refuses_a_policy_its_endpoint_picker_lacks(policy):
    found = errors(tke_config(nodePools=POOLS, models=[pooled(VLLM, policy=policy)], exposure={"api": ROUTE}))
    assert found == [f"{KEY}: {policy!r}: the InferencePool's endpoint picker (lwepp v1.6.2) picks round-robin "
                     f"only; set `round-robin` or leave it unset, or use `via: router` for {policy!r}"]


def test_ollama_is_not_pooled_and_a_pool_needs_litellm_in_front():
    found = errors(existing_config(models=[{**pooled(OLLAMA), "pool": "gpu"}], exposure={"api": ROUTE}))
    assert f"{VIA}: 'inferencePool': ollama models are not pooled (only vLLM and SGLang models are); use " \
           "`router`" in found
    found = errors(tke_config(nodePools=POOLS, models=[pooled(VLLM)], exposure={"api": ROUTE}, gateway="none",
                              webui=False))
    assert f"{VIA}: 'inferencePool' sits behind the gateway, which checks the app key: use `gateway: litellm` " \
           "(the default)" in found


@pytest.mark.parametrize("url", ["envoy-gw:80", "http://", "http://gw.svc/some/path", "ftp://gw"])
def test_the_gateway_url_is_an_http_url_of_the_listener(url):
    found = errors(tke_config(nodePools=POOLS, models=[pooled(VLLM, gateway_url=url)], exposure={"api": ROUTE}))
    assert any(f.startswith("tke-llm:models[0].routing.gatewayUrl") for f in found), found


def test_an_unknown_via_is_a_schema_error():
    found = errors(tke_config(nodePools=POOLS, models=[pooled(VLLM, via="epp")], exposure={"api": ROUTE}))
    (line,) = [f for f in found if f.startswith(VIA)]
    assert "'router' or 'inferencePool'" in line
