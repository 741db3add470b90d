"""LoRA adapters through the real gateway: LiteLLM's own proxy started with the config the stack renders
(tests/standins/gateway.py) in front of stand-in engines that serve the base model and its adapters (as
vLLM does with --lora-modules). Each adapter is a model name at the gateway and in its /v1/models, reaches
its base model's engine (the same backend URL and key), and arrives there under the name the engine knows it
by: the adapter's own for vLLM, `<served name>:<adapter>` for SGLang."""

from __future__ import annotations

import pytest

from tests.behaviour.helpers import POOLS, SGLANG, VLLM
from tests.conftest import render_raw, tke_config
from tests.standins.engine import StandinEngine
from tests.standins.gateway import rendered_model_list, running_proxy
from tests.standins.net import chat, request

ADAPTER = {"kind": "huggingface", "repo": "org/qwen3-8b-sql-lora", "revision": "0123456789abcdef0123456789abcdef01234567"}
VLLM_ADAPTERS = [{"name": "qwen3-8b-sql", "source": ADAPTER, "rank": 16},
                 {"name": "qwen3-8b-chat", "source": {**ADAPTER, "repo": "org/qwen3-8b-chat-lora"}, "rank": 8}]
SGLANG_ADAPTER = {"name": "r1-distill-math", "source": {"kind": "modelscope", "model": "org/r1-math-lora",
                                                        "revision": "v1.0.0"}, "rank": 32}


@pytest.fixture(scope="module")
def rendered():
    return render_raw(tke_config(nodePools=POOLS, models=[{**VLLM, "adapters": VLLM_ADAPTERS},
                                                          {**SGLANG, "adapters": [SGLANG_ADAPTER]}]))


@pytest.fixture(scope="module")
def proxy(rendered, tmp_path_factory):
    """One stand-in per base model, serving its adapters under the names the engine registers them by."""
    engines = {VLLM["servedName"]: StandinEngine(VLLM["servedName"], adapters=("qwen3-8b-sql", "qwen3-8b-chat")),
               SGLANG["servedName"]: StandinEngine(SGLANG["servedName"],
                                                   adapters=(f"{SGLANG['servedName']}:r1-distill-math",))}
    by_service = {e["litellm_params"]["api_base"]: engines[e["model_name"]].url
                  for e in rendered_model_list(rendered) if e["model_name"] in engines}
    try:
        with running_proxy(rendered, tmp_path_factory.mktemp("gateway-adapters"), engines=engines,
                           api_base_for=lambda entry: by_service[entry["litellm_params"]["api_base"]]) as started:
            yield started
    finally:
        for e in engines.values():
            e.close()


@pytest.mark.parametrize("adapter, base, engine_model", [
    ("qwen3-8b-sql", VLLM["servedName"], "qwen3-8b-sql"),
    ("qwen3-8b-chat", VLLM["servedName"], "qwen3-8b-chat"),
    ("r1-distill-math", SGLANG["servedName"], f"{SGLANG['servedName']}:r1-distill-math"),
])
def test_an_adapter_name_reaches_its_base_models_engine_as_the_adapter(proxy, adapter, base, engine_model):
    engines, keys = proxy.engines, proxy.keys
    before = {n: len(e.calls) for n, e in engines.items()}
    status, body = chat(proxy.base, keys["app"], adapter)
    assert status == 200, (body, proxy.log())
    assert body["choices"][0]["message"]["content"] == f"hello from {base}"
    assert len(engines[base].calls) == before[base] + 1, "the adapter's request reached its base model's engine"
    call = engines[base].calls[-1]
    assert call["model"] == engine_model, "the engine is asked for the adapter, not the base model"
    assert call["authorization"] == f"Bearer {keys[base]}", "with the base engine's own key"
    assert all(len(e.calls) == before[n] for n, e in engines.items() if n != base)


def test_every_adapter_is_listed_by_the_gateway_and_the_app_key_is_still_required(proxy):
    status, body = request(f"{proxy.base}/v1/models", proxy.keys["app"])
    assert status == 200, body
    assert {m["id"] for m in body["data"]} == {VLLM["servedName"], SGLANG["servedName"], "qwen3-8b-sql", "qwen3-8b-chat",
                                              "r1-distill-math"}
    calls = {n: len(e.calls) for n, e in proxy.engines.items()}
    status, _ = chat(proxy.base, "sk-wrong", "qwen3-8b-sql")
    assert status == 401
    assert {n: len(e.calls) for n, e in proxy.engines.items()} == calls, "a wrong key reaches no engine"
