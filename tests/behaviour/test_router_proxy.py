"""The real router between the real gateway and three stand-in vLLM replicas, all on loopback.

The gateway is LiteLLM's proxy started as the plan renders it (tests/standins/gateway.py), its routed
model's backend pointed at the router. The router is vllm-router from its wheel (.venv-router), started
with the router container's arguments; the only rewrites (tests/standins/router.py) are its listen and
metrics addresses (loopback ports) and Kubernetes pod discovery (`--service-discovery --selector ...`),
which becomes the replicas' static `--worker-urls`. Replicas serve vLLM's render endpoints (which the
cache-aware policy tokenizes with) only if the rendered engine has --enable-scale-out. Loops are bounded.
"""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from render.router import PORT

from tests.behaviour.helpers import VLLM
from tests.conftest import render_raw, tke_config
from tests.standins.engine import StandinEngine
from tests.standins.gateway import running_proxy
from tests.standins.net import chat
from tests.standins.router import flag_value, running_router

REPLICAS = 3
POOLS = [{"kind": "normal", "name": "system", "instanceType": "S5.2XLARGE16", "minSize": 1, "maxSize": 3},
         {"kind": "normal", "name": "gpu", "instanceType": "PNV4.7XLARGE116", "minSize": 0, "maxSize": REPLICAS,
          "gpu": {"type": "A10", "count": 1}}]
MODEL = {**VLLM, "replicas": REPLICAS}
SERVED = MODEL["servedName"]
SHARED_PREFIX = "You answer questions about the attached contract. " + "Clause: the parties agree. " * 80
CONCURRENCY = 8
PREFILL_SECONDS = 0.15
"""Each replica's time to first token: with requests in flight, a cache miss goes to the least loaded replica."""


ROUTER = "qwen3-8b-router"


def container(plan: Any, name: str) -> dict[str, Any]:
    return plan.manifest("Deployment", name)["spec"]["template"]["spec"]["containers"][0]


def router_args(plan: Any) -> list[str]:
    """The routed model's router container arguments, as rendered."""
    return container(plan, ROUTER)["args"]


def engine_scales_out(plan: Any) -> bool:
    """Whether the rendered engine serves vLLM's render endpoints (`--enable-scale-out`)."""
    c = container(plan, MODEL["name"])
    return "--enable-scale-out" in [*c.get("command", []), *c.get("args", [])]


@pytest.fixture(scope="module")
def plan():
    return render_raw(tke_config(nodePools=POOLS, models=[MODEL]))


@pytest.fixture(scope="module")
def stack(plan, tmp_path_factory):
    """(proxy, router, replicas): the gateway as rendered, the routed model's entry at the router."""
    replicas = [StandinEngine(SERVED, ttft=PREFILL_SECONDS, scale_out=engine_scales_out(plan)) for _ in range(REPLICAS)]
    workdir = tmp_path_factory.mktemp("routing")
    try:
        with running_router(router_args(plan), [r.base for r in replicas], workdir / "router") as router:
            in_cluster = {f"http://{ROUTER}.{plan.config.namespace}.svc:{PORT}/v1": f"{router.base}/v1"}
            with running_proxy(plan, workdir / "gateway",
                               api_base_for=lambda e: in_cluster[e["litellm_params"]["api_base"]]) as proxy:
                for r in replicas:
                    r.key = proxy.keys[SERVED]  # each replica checks the engine key, as vLLM's --api-key does
                yield proxy, router, replicas
    finally:
        for r in replicas:
            r.close()


def _calls(replicas: list[StandinEngine]) -> list[int]:
    return [len(r.calls) for r in replicas]


def _send(proxy: Any, key: str | None, prompts: list[str]) -> list[int]:
    """Chat completions through the gateway, CONCURRENCY at a time; their statuses."""
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        return list(pool.map(lambda p: chat(proxy.base, key, SERVED, p)[0], prompts))


def test_the_app_key_reaches_a_replica_through_the_router_with_the_engine_key(stack):
    proxy, router, replicas = stack
    before, routed = _calls(replicas), router.counter("vllm_router_requests_total")
    status, body = chat(proxy.base, proxy.keys["app"], SERVED, "hello")
    assert status == 200, body
    assert body["choices"][0]["message"]["content"] == f"hello from {SERVED}"
    assert router.counter("vllm_router_requests_total") == routed + 1, "the request went through the router"
    served = [r for r, n in zip(replicas, before) if len(r.calls) == n + 1]
    assert len(served) == 1 and sum(_calls(replicas)) == sum(before) + 1, "exactly one replica answered"
    assert served[0].calls[-1]["authorization"] == f"Bearer {proxy.keys[SERVED]}", "the engine's key, not the app's"


@pytest.mark.parametrize("key", [None, "sk-wrong-key", "ENGINE"])
def test_a_wrong_key_gets_401_before_any_router(stack, key):
    proxy, router, replicas = stack
    key = proxy.keys[SERVED] if key == "ENGINE" else key  # an engine key is not a gateway key
    before = (_calls(replicas), [len(r.tokenize_calls) for r in replicas], router.counter("vllm_router_requests_total"))
    status, body = chat(proxy.base, key, SERVED, "hello")
    assert status == 401, body
    after = (_calls(replicas), [len(r.tokenize_calls) for r in replicas], router.counter("vllm_router_requests_total"))
    assert after == before, "neither the router nor any replica saw the request"


def test_requests_sharing_a_long_prefix_land_on_one_replica(stack):
    proxy, router, replicas = stack
    before, hits = _calls(replicas), router.counter("vllm_router_prefix_routing_decisions_total", outcome="prefix_hit")
    statuses = _send(proxy, proxy.keys["app"], [f"{SHARED_PREFIX}\nQuestion {i}: who signs?" for i in range(40)])
    assert statuses == [200] * 40
    got = [n - b for n, b in zip(_calls(replicas), before)]
    assert max(got) >= 0.9 * 40, f"shared-prefix requests per replica: {got}"
    hits = router.counter("vllm_router_prefix_routing_decisions_total", outcome="prefix_hit") - hits
    assert hits >= 0.9 * 40, f"the router's own count of prefix hits: {hits}"


def test_distinct_prefixes_spread_over_every_replica(stack):
    proxy, router, replicas = stack
    before = _calls(replicas)
    prompts = [f"{i:04d} " + f"topic {i * 7919 % 1000} " * 40 for i in range(300)]
    assert _send(proxy, proxy.keys["app"], prompts) == [200] * 300
    got = [n - b for n, b in zip(_calls(replicas), before)]
    assert sum(got) == 300
    assert min(got) > 0 and max(got) <= 150, f"distinct-prefix requests per replica: {got}"


def test_a_replica_that_stops_answering_is_dropped_within_its_health_interval(stack):
    """Runs last in this module: it stops one replica. Before the drop a request may fail over or fail;
    once the router marks the replica unhealthy, no request fails and the others serve everything."""
    proxy, router, replicas = stack
    args = router.args
    interval = float(flag_value(args, "--health-check-interval-secs", "60"))
    failures = int(flag_value(args, "--health-failure-threshold", "3"))
    timeout = float(flag_value(args, "--health-check-timeout-secs", "5"))
    bound = failures * (interval + timeout) + interval + 5  # checks are `interval` apart, each up to `timeout`
    victim = max(replicas, key=lambda r: len(r.calls))  # the one holding the shared prefix
    victim.close()
    stopped = time.monotonic()
    while router.healthy()[victim.base]:
        assert time.monotonic() - stopped < bound, f"not dropped within {bound:.0f}s:\n{router.log()}"
        time.sleep(0.5)
    dropped_after = time.monotonic() - stopped
    assert dropped_after <= bound
    others = [r for r in replicas if r is not victim]
    before = _calls(others)
    prompts = [f"{SHARED_PREFIX}\nQuestion after the drop {i}" for i in range(20)]
    prompts += [f"{i:04d} after the drop " * 30 for i in range(40)]
    statuses = Counter(_send(proxy, proxy.keys["app"], prompts))
    assert statuses == Counter({200: 60}), statuses
    assert sum(_calls(others)) - sum(before) == 60, "the remaining replicas served every request"
