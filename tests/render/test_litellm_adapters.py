"""Adapters in the gateway's config (render/litellm.py AdapterRoute): one model_list entry each, on its
base model's backend; a name clash or an unknown base is refused."""

from __future__ import annotations

import pytest

from render import litellm

BASE = litellm.Backend(name="qwen3-8b", served_name="Qwen3-8B", api_base="http://qwen3-8b-api.llm.svc:8000/v1",
                       key_secret="qwen3-8b-api-key")


def spec(*adapters: litellm.AdapterRoute) -> litellm.GatewaySpec:
    return litellm.GatewaySpec(namespace="llm", image="ghcr.io/berriai/litellm:v1.110.2", backends=(BASE,),
                               adapters=adapters)


def test_each_adapter_is_an_entry_on_its_base_models_backend():
    entries = litellm.proxy_config(spec(litellm.AdapterRoute("sql", "qwen3-8b", "sql")))["model_list"]
    assert entries[1] == {"model_name": "sql", "litellm_params": {
        "model": "openai/sql", "api_base": BASE.api_base, "api_key": f"os.environ/{BASE.key_env}"}}


@pytest.mark.parametrize("route, message", [
    (litellm.AdapterRoute("Qwen3-8B", "qwen3-8b", "x"), "unique"),
    (litellm.AdapterRoute("sql", "nope", "sql"), "not a backend"),
])
def test_refused(route, message):
    with pytest.raises(ValueError, match=message):
        spec(route)


def test_rate_limits_may_name_an_adapter():
    litellm.GatewaySpec(namespace="llm", image="x:1", backends=(BASE,),
                        adapters=(litellm.AdapterRoute("sql", "qwen3-8b", "sql"),),
                        rate_limits=(litellm.RateLimit("sql", rpm=5),))
