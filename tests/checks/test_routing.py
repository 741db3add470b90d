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
