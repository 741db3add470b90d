"""The real gateway: LiteLLM's own proxy (the PyPI release of the pinned image, installed in
.venv-gateway by `make test`) loads the config, the auth module and the environment the stack renders,
in front of stand-in OpenAI-compatible engines on loopback (tests/standins/), one per served model.

Only the engines' in-cluster URLs are rewritten (to the fake engines' loopback ports); everything else
(the config file, the custom auth module, the limits file, the container arguments, every environment
variable, with Secret references resolved from the rendered Secrets) is what the plan would apply.
Everything listens on 127.0.0.1; every loop is bounded; the proxy is always killed.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest

from render import litellm

from tests.behaviour.helpers import POOLS, SGLANG, VLLM
from tests.conftest import render_raw, tke_config
from tests.standins.gateway import running_proxy
from tests.standins.net import chat
from tests.standins.net import request as _request

RPM = 3


def _chat(base: str, key: str | None, model: str) -> tuple[int, dict[str, Any]]:
    return chat(base, key, model)


@pytest.fixture(scope="module")
def rendered():
    raw = tke_config(nodePools=POOLS, models=[VLLM, SGLANG],
                     gateway={"rateLimits": [{"model": SGLANG["servedName"], "rpm": RPM}]})
    return render_raw(raw)


@pytest.fixture(scope="module")
def proxy(rendered, tmp_path_factory):
    """Start the proxy with the rendered config and environment; yield (base URL, engines, keys)."""
    with running_proxy(rendered, tmp_path_factory.mktemp("gateway")) as started:
        yield started


def test_each_model_reaches_its_engine_with_that_engines_key(proxy, rendered):
    base, engines, keys = proxy
    assert keys["master"].startswith("sk-")
    for served, engine in engines.items():
        before = {name: len(e.calls) for name, e in engines.items()}
        status, body = _chat(base, keys["master"], served)
        assert status == 200, body
        assert body["choices"][0]["message"]["content"] == f"hello from {served}"
        assert len(engine.calls) == before[served] + 1, "the request reached this model's engine"
        call = engine.calls[-1]
        assert call["authorization"] == f"Bearer {keys[served]}", "the engine got its own key, not the gateway's"
        assert call["model"] == served and call["path"] == "/v1/chat/completions"
        others = [n for n in engines if n != served]
        assert all(len(engines[n].calls) == before[n] for n in others), "no other engine was called"
    assert len({keys[s] for s in engines} | {keys["master"]}) == len(engines) + 1, "every key differs"


def test_the_model_list_needs_the_key_and_lists_every_served_model(proxy):
    base, engines, keys = proxy
    status, body = _request(f"{base}/v1/models", keys["master"])
    assert status == 200
    assert {m["id"] for m in body["data"]} == set(engines)
    assert _request(f"{base}/v1/models", None)[0] == 401


@pytest.mark.parametrize("key", [None, "", "sk-wrong-key", "not-even-sk", "ENGINE"])
def test_a_missing_or_wrong_master_key_gets_401(proxy, key):
    base, engines, keys = proxy
    if key == "ENGINE":
        key = next(v for k, v in keys.items() if k not in ("master", "app"))  # an engine key is not a gateway key
    calls = sum(len(e.calls) for e in engines.values())
    status, body = _chat(base, key, next(iter(engines)))
    assert status == 401, body
    assert sum(len(e.calls) for e in engines.values()) == calls, "nothing reached an engine"


def test_a_model_the_stack_does_not_serve_is_refused(proxy):
    base, engines, keys = proxy
    calls = sum(len(e.calls) for e in engines.values())
    status, body = _chat(base, keys["master"], "gpt-4o")
    assert status == 400, body
    assert sum(len(e.calls) for e in engines.values()) == calls


def test_health_needs_no_key(proxy):
    base, _, _ = proxy
    with urllib.request.urlopen(f"{base}/health/liveliness", timeout=5) as resp:
        assert resp.status == 200
    with urllib.request.urlopen(f"{base}/health/readiness", timeout=5) as resp:
        assert resp.status == 200


def test_a_configured_rate_limit_answers_429(proxy):
    """rpm 3 on the SGLang model: the gateway stops forwarding once three requests of the window
    went through (some may already have been sent by the tests above); the other model is unlimited."""
    base, engines, keys = proxy
    limited = SGLANG["servedName"]
    statuses = []
    for _ in range(RPM + 2):  # bounded: never more than the limit plus two
        status, body = _chat(base, keys["master"], limited)
        statuses.append(status)
        if status == 429:
            break
    assert statuses[-1] == 429, statuses
    assert "limit" in json.dumps(body).lower()
    assert len(engines[limited].calls) == RPM, "exactly the limit reached the engine"
    assert _chat(base, keys["master"], VLLM["servedName"])[0] == 200, "the other model is not limited"


def test_the_app_key_calls_the_models_and_nothing_else(proxy):
    """The key apps get (`apiKey`) reaches the models; admin routes answer 403 to it and still work
    with the master key (`adminKey`)."""
    base, engines, keys = proxy
    status, body = _request(f"{base}/v1/models", keys["app"])
    assert status == 200 and {m["id"] for m in body["data"]} == set(engines)
    assert _chat(base, keys["app"], VLLM["servedName"])[0] == 200
    for path, payload in [("/model/info", None), ("/key/generate", {}), ("/v1/model/info", None),
                          ("/user/new", {})]:
        status, body = _request(f"{base}{path}", keys["app"], payload)
        assert status == 403, (path, status, body)
        assert "the app key may call only the model API" in json.dumps(body), body
    assert _request(f"{base}/model/info", keys["master"])[0] == 200, "the admin key keeps the admin routes"



def test_after_a_rotation_the_restarted_proxy_refuses_the_old_keys(tmp_path):
    """`keys.rotate` as a `pulumi up` applies it: the Secrets get new values and the changed pod template
    (tke-llm.io/keys-sha256) restarts the proxy, which then reads them. The proxy started from the plan
    before the rotation (key A) and from the plan after it (key B): A is refused, B works, and the
    engine gets its new key."""
    from render.credentials import KEYS_CHECKSUM_ANNOTATION

    raw = tke_config(nodePools=POOLS, models=[VLLM])
    plans = {"A": render_raw(raw),
             "B": render_raw({**raw, "keys": {"rotate": {"appKey": 1, "masterKey": 1, "engineKeys": 1}}})}
    sums = {n: p.manifest("Deployment", litellm.NAME)["spec"]["template"]["metadata"]["annotations"]
            [KEYS_CHECKSUM_ANNOTATION] for n, p in plans.items()}
    assert sums["A"] != sums["B"], "the rotation changes the proxy's pod template, so its pods are replaced"
    served = VLLM["servedName"]
    keys: dict[str, dict[str, str]] = {}
    with running_proxy(plans["A"], tmp_path / "a") as (base, engines, keys["A"]):
        for who in ("app", "master"):
            assert _chat(base, keys["A"][who], served)[0] == 200, who
    with running_proxy(plans["B"], tmp_path / "b") as (base, engines, keys["B"]):
        assert all(keys["A"][k] != keys["B"][k] for k in ("app", "master", served)), "every key was rotated"
        for who in ("app", "master"):
            status, body = _chat(base, keys["A"][who], served)
            assert status == 401, (who, status, body)
            assert _request(f"{base}/v1/models", keys["A"][who])[0] == 401, who
        assert not engines[served].calls, "nothing reached the engine with an old key"
        for who in ("app", "master"):
            assert _chat(base, keys["B"][who], served)[0] == 200, who
        assert {c["authorization"] for c in engines[served].calls} == {f"Bearer {keys['B'][served]}"}
