"""The smoke Job's spec from the config (derive/smoke.py): the bound from the bring-up estimate, the
API by engine and gateway, the key apps get."""

from __future__ import annotations

import math

from catalog.storage import ENGINE_INIT_SECONDS, load_gbps
from checks import checked
from derive.naming import derive
from derive.serving import serving_plan
from derive.smoke import MIN_SMOKE_SECONDS, app_key, smoke_api, smoke_seconds, smoke_spec

from tests.behaviour.helpers import OLLAMA, POOLS, VLLM
from tests.conftest import config_errors, existing_config, tke_config


def _plan(cfg, i=0):
    m = cfg.models[i]
    return serving_plan(cfg, derive(cfg, "test"), m, api_key_secret=f"{m.name}-api-key")


def test_the_bound_is_the_weight_read_and_engine_start_of_the_estimate():
    cfg = checked(tke_config(nodePools=POOLS, models=[VLLM]))
    plan = _plan(cfg)
    expected = math.ceil((plan.size_gb / load_gbps(cfg.storage) + ENGINE_INIT_SECONDS["vllm"]) * 1.5)
    assert smoke_seconds(cfg, plan) == max(MIN_SMOKE_SECONDS, expected) == expected
    assert smoke_seconds(cfg, plan) < plan.load_seconds, "no image pull: the server is already running"
    fixed = checked(tke_config(nodePools=POOLS, models=[VLLM], smoke={"timeoutSeconds": 45}))
    assert smoke_seconds(fixed, _plan(fixed)) == 45


def test_the_key_and_api_are_what_apps_get():
    gw = checked(tke_config(nodePools=POOLS, models=[VLLM]))
    assert app_key(gw, _plan(gw)) == ("llm-gateway-app-key", "app-key")
    assert smoke_api(gw, _plan(gw)) == "chat"
    vk = checked(tke_config(nodePools=POOLS, models=[VLLM], gateway={"virtualKeys": {"enabled": True}}))
    assert app_key(vk, _plan(vk)) == ("llm-gateway-master-key", "master-key")
    ollama = checked(existing_config(models=[OLLAMA], gateway="none"))
    assert app_key(ollama, _plan(ollama)) == ("r1-7b-api-key", "api-key")
    assert smoke_api(ollama, _plan(ollama)) == "ollama"
    via_gateway = checked(existing_config(models=[OLLAMA]))
    assert smoke_api(via_gateway, _plan(via_gateway)) == "chat"
    base = checked(tke_config(nodePools=POOLS, models=[VLLM], smoke={"completion": ["Qwen3-8B"]}))
    assert smoke_api(base, _plan(base)) == "completions"


def test_the_spec_calls_the_url_it_is_given_from_the_cpu_pool():
    cfg = checked(tke_config(nodePools=POOLS, models=[VLLM], imageRegistry="ccr.ccs.tencentyun.com/m"))
    spec = smoke_spec(cfg, _plan(cfg), "http://llm-gateway.llm.svc:4000/v1")
    assert spec.url == "http://llm-gateway.llm.svc:4000/v1" and spec.served_name == "Qwen3-8B"
    assert spec.image == "ccr.ccs.tencentyun.com/m/python:3.12.12-slim-bookworm"
    assert spec.placement.node_selector == {"tke-llm.io/pool": "system"}


def test_smoke_short_forms_and_unknown_completion_names():
    assert checked(tke_config(nodePools=POOLS, models=[VLLM], smoke=False)).smoke.enabled is False
    assert checked(tke_config(nodePools=POOLS, models=[VLLM])).smoke.enabled is True
    assert config_errors(tke_config(nodePools=POOLS, models=[VLLM], smoke={"completion": ["Qwen3-9B"]})) == [
        "tke-llm:smoke.completion[0]: 'Qwen3-9B' is not a served model of this stack (Qwen3-8B); list served names"]
    assert any("smoke.timeoutSeconds" in e
               for e in config_errors(tke_config(nodePools=POOLS, models=[VLLM], smoke={"timeoutSeconds": 3})))
