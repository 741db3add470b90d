"""The gateway's lists (config/access.py): a fallback list per model, each target once, each client
namespace once; a repeat is refused with its key rather than rendered twice into the gateway config."""

from __future__ import annotations

from checks import checked

from tests.conftest import tke_config

from .helpers import errors

R1 = {"name": "r1", "servedName": "R1", "engine": "vllm", "pool": "gpu",
      "source": {"kind": "modelscope", "model": "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", "revision": "v1.0.0"},
      "settings": {"maxModelLen": 16384}}
QWEN = {**R1, "name": "qwen", "servedName": "Qwen3-8B",
        "source": {"kind": "modelscope", "model": "Qwen/Qwen3-8B", "revision": "v1.0.0"}}


def _gateway(**gateway) -> dict:
    pools = tke_config()["nodePools"]
    pools[1]["maxSize"] = 2
    return tke_config(nodePools=pools, models=[R1, QWEN], gateway={"kind": "litellm", **gateway})


def test_two_fallback_entries_for_one_model_are_refused():
    found = errors(_gateway(fallbacks=[{"model": "R1", "to": ["Qwen3-8B"]}, {"model": "R1", "to": ["Qwen3-8B"]}]))
    assert "tke-llm:gateway.fallbacks[1].model: R1 has two fallback entries: the gateway keeps one list per " \
           "model; merge their `to` into one entry" in found, found


def test_one_target_twice_is_refused():
    found = errors(_gateway(fallbacks=[{"model": "R1", "to": ["Qwen3-8B", "Qwen3-8B"]}]))
    assert "tke-llm:gateway.fallbacks[0].to[1]: Qwen3-8B listed twice: the gateway tries each target once, list it " \
           "once" in found, found


def test_a_client_namespace_listed_twice_is_refused():
    found = errors(_gateway(clientNamespaces=["apps", "apps"]))
    assert "tke-llm:gateway.clientNamespaces[1]: apps listed twice; list each namespace once" in found, found


def test_distinct_fallbacks_pass():
    checked(_gateway(fallbacks=[{"model": "R1", "to": ["Qwen3-8B"]}, {"model": "Qwen3-8B", "to": ["R1"]}]))
