"""Requests held through cold starts, proven with the real gateway: LiteLLM's proxy started as the plan
renders it (tests/standins/gateway.py), with the hold callback the plan ships, in front of stand-in
engines whose port refuses connections until they start (as a replica loading its weights, or a model
scaled to zero, whose Service has no endpoint).

A request sent before its engine is up is held and then served; past the model's configured bound the
client gets 503 with Retry-After and a message naming the model, counted by LiteLLM under the
exception class the gateway 5xx alert leaves out. Every loop is bounded; everything is on 127.0.0.1.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from typing import Any

import pytest
import yaml

from render import cold_hold, litellm

from tests.behaviour.helpers import POOLS, SGLANG, VLLM
from tests.conftest import gateway_config_name, render_raw, tke_config
from tests.standins.engine import StandinEngine
from tests.standins.gateway import running_proxy, secret_values
from tests.standins.net import free_port

SERVED_HOLD = 60
"""Bound of the model whose engine comes up while requests wait."""
SHORT_HOLD, SHORT_RETRY = 2, 7
"""Bound and Retry-After of the model whose engine is not up in time."""
START_AFTER = 2.0


def _post(url: str, key: str, body: dict[str, Any], timeout: float = 90) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, raw body) of one POST; HTTP errors are returned with their headers."""
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, dict(resp.headers.items()), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers.items()), err.read()


def _chat(base: str, key: str, model: str, **extra: Any) -> tuple[int, dict[str, str], bytes]:
    return _post(f"{base}/v1/chat/completions", key,
                 {"model": model, "messages": [{"role": "user", "content": "hi"}], **extra})


def _metrics(base: str, key: str) -> str:
    req = urllib.request.Request(f"{base}/metrics/", headers={"Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(req, timeout=20) as resp:
        return resp.read().decode()


def _held(base: str, key: str, model: str) -> float:
    for line in _metrics(base, key).splitlines():
        if line.startswith(f'{cold_hold.HELD_METRIC}{{requested_model="{model}"}}'):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


@pytest.fixture(scope="module")
def rendered():
    raw = tke_config(nodePools=POOLS, models=[
        {**VLLM, "coldStart": {"holdSeconds": SERVED_HOLD}},
        {**SGLANG, "coldStart": {"holdSeconds": SHORT_HOLD, "retryAfterSeconds": SHORT_RETRY}}])
    return render_raw(raw)


@pytest.fixture(scope="module")
def gateway(rendered, tmp_path_factory):
    """The proxy, each backend pointed at a loopback port nothing listens on yet."""
    ports = {m["servedName"]: free_port() for m in (VLLM, SGLANG)}
    with running_proxy(rendered, tmp_path_factory.mktemp("cold-hold"),
                       api_base_for=lambda e: f"http://127.0.0.1:{ports[e['model_name']]}/v1") as proxy:
        yield proxy, ports


def _engine_key(rendered, model: dict[str, Any]) -> str:
    return secret_values(rendered)[f"{model['name']}-api-key"]["api-key"]


def test_the_plan_ships_the_hold_with_each_models_bound(rendered):
    data = rendered.manifest("ConfigMap", gateway_config_name(rendered))["data"]
    assert cold_hold.CALLBACK in yaml.safe_load(data[litellm.CONFIG_FILE])["litellm_settings"]["callbacks"]
    table = json.loads(data[cold_hold.DATA_FILE])
    assert table[VLLM["servedName"]]["holdSeconds"] == SERVED_HOLD
    assert table[SGLANG["servedName"]] == {"holdSeconds": SHORT_HOLD, "retryAfterSeconds": SHORT_RETRY,
                                           "probePath": cold_hold.ENGINE_PROBE}


def test_requests_sent_before_the_engine_is_up_are_held_then_served(gateway, rendered):
    proxy, ports = gateway
    served, key = VLLM["servedName"], proxy.keys["master"]
    results: dict[str, tuple[int, dict[str, str], bytes]] = {}

    def send(name: str, **extra: Any) -> None:
        results[name] = _chat(proxy.base, key, served, **extra)

    threads = [threading.Thread(target=send, args=("plain",)),
               threading.Thread(target=send, args=("stream",), kwargs={"stream": True})]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while _held(proxy.base, key, served) < 2:  # both wait at the gateway, and say so on /metrics
        assert time.monotonic() < deadline, "the two requests were not held"
        assert not results, f"a request returned before its engine started: {results}"
        time.sleep(0.2)
    engine = StandinEngine(served, port=ports[served], start_after=START_AFTER, key=_engine_key(rendered, VLLM))
    try:
        for t in threads:
            t.join(timeout=60)
        assert not any(t.is_alive() for t in threads)
        status, _, body = results["plain"]
        assert status == 200, body
        assert json.loads(body)["choices"][0]["message"]["content"] == f"hello from {served}"
        status, _, body = results["stream"]
        assert status == 200, body
        assert b"hello" in body and b"[DONE]" in body
        assert len(engine.calls) == 2 and all(c["path"] == "/v1/chat/completions" for c in engine.calls)
        assert _held(proxy.base, key, served) == 0
        metrics = _metrics(proxy.base, key)
        failed = [ln for ln in metrics.splitlines() if ln.startswith("litellm_proxy_failed_requests_metric_total{")
                  and f'requested_model="{served}"' in ln]
        assert failed == [], "a held request that was served is no failure"
    finally:
        engine.close()


def test_past_the_bound_the_client_gets_503_with_retry_after_naming_the_model(gateway, rendered):
    proxy, ports = gateway
    served, key = SGLANG["servedName"], proxy.keys["master"]
    started = time.monotonic()
    status, headers, body = _chat(proxy.base, key, served)
    waited = time.monotonic() - started
    assert status == 503, body
    assert {k.lower(): v for k, v in headers.items()}["retry-after"] == str(SHORT_RETRY)
    error = json.loads(body)["error"]
    assert served in error["message"] and f"within {SHORT_HOLD} s" in error["message"], error
    assert waited >= SHORT_HOLD, f"answered after {waited:.1f} s, before the configured hold of {SHORT_HOLD} s"
    # not the default bound (minutes) either: generous slack for a loaded machine, far below any default
    assert waited < SHORT_HOLD + 30, f"answered after {waited:.1f} s: the configured hold was not the bound"
    metrics = _metrics(proxy.base, key)
    expired = [ln for ln in metrics.splitlines() if ln.startswith("litellm_proxy_failed_requests_metric_total{")
               and f'requested_model="{served}"' in ln]
    assert expired and all(f'exception_class="{cold_hold.EXPIRED_CLASS}"' in ln and 'exception_status="503"' in ln
                           for ln in expired), expired
    # the app key is held alike; a wrong key is refused by the auth, which runs before the hold
    status, headers, _ = _chat(proxy.base, proxy.keys["app"], served)
    assert status == 503 and {k.lower(): v for k, v in headers.items()}["retry-after"] == str(SHORT_RETRY)
    assert _chat(proxy.base, "sk-wrong", served)[0] == 401
    # the engine comes up: the client's retry is served
    engine = StandinEngine(served, port=ports[served], key=_engine_key(rendered, SGLANG))
    try:
        status, _, body = _chat(proxy.base, key, served)
        assert status == 200, body
    finally:
        engine.close()



def test_a_route_in_front_of_the_gateway_waits_out_the_longest_hold_too():
    """A held request's answer starts only after its hold: the API route's timeout covers both."""
    route = {"kind": "httpRoute", "gatewayName": "edge", "gatewayNamespace": "envoy-gateway-system",
             "hostnames": ["llm.example.com"]}
    raw = tke_config(nodePools=POOLS, gateway={"requestTimeoutSeconds": 300}, exposure={"api": route},
                     models=[{**VLLM, "coldStart": {"holdSeconds": 120}}, {**SGLANG, "coldStart": {"holdSeconds": 45}}])
    rule = render_raw(raw).manifest("HTTPRoute", litellm.NAME)["spec"]["rules"][0]
    assert rule["timeouts"]["request"] == f"{300 + 30 + 120}s"
