"""The real routers between the real gateway and three stand-in replicas per model, all on loopback.

The gateway is LiteLLM's proxy started as the plan renders it (tests/standins/gateway.py), each routed
model's backend (the router's in-cluster URL) pointed at its router: vllm-router for the vLLM model,
sglang-router for the SGLang one, from their wheels (.venv-router), run with the router container's
command and arguments; the only rewrites (tests/standins/router.py) are the listen and metrics addresses
and pod discovery (`--service-discovery --selector ...`), which becomes the replicas' `--worker-urls`.
vLLM replicas serve the render endpoints only if the rendered engine has --enable-scale-out.
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from render.monitoring import ROUTER_HEALTH
from render.router import PORT, ROUTER_FOR_ENGINE, router_name

from tests.behaviour.helpers import SGLANG, VLLM
from tests.conftest import render_raw, tke_config
from tests.standins.engine import StandinEngine
from tests.standins.gateway import running_proxy
from tests.standins.net import chat
from tests.standins.router import flag_value, running_router

REPLICAS = 3
POOLS = [{"kind": "normal", "name": "system", "instanceType": "S5.2XLARGE16", "minSize": 1, "maxSize": 3},
         {"kind": "normal", "name": "gpu", "instanceType": "PNV4.7XLARGE116", "minSize": 0, "maxSize": 2 * REPLICAS,
          "gpu": {"type": "A10", "count": 1}}]
MODELS = {"vllm": {**VLLM, "replicas": REPLICAS}, "sglang": {**SGLANG, "replicas": REPLICAS}}
METRICS = {"vllm": ("vllm_router_requests_total", "vllm_router_prefix_routing_decisions_total"),
           "sglang": ("smg_router_requests_total", None)}
"""Each router's request counter, and its count of prefix decisions (sglang-router 0.3.2 exports none)."""
SHARED_PREFIX = "You answer questions about the attached contract. " + "Clause: the parties agree. " * 80
CONCURRENCY = 8
PREFILL_SECONDS = 0.15
"""Each replica's time to first token: with requests in flight, a cache miss goes to the least loaded replica."""


@dataclass
class Routed:
    engine: str
    served: str
    router: Any
    replicas: list[StandinEngine]

    def calls(self) -> list[int]:
        return [len(r.calls) for r in self.replicas]

    def requests(self) -> float:
        return self.router.counter(METRICS[self.engine][0])


def container(plan: Any, name: str) -> dict[str, Any]:
    return plan.manifest("Deployment", name)["spec"]["template"]["spec"]["containers"][0]


def engine_scales_out(plan: Any, model: str) -> bool:
    """Whether the rendered engine serves vLLM's render endpoints (`--enable-scale-out`)."""
    c = container(plan, model)
    return "--enable-scale-out" in [*c.get("command", []), *c.get("args", [])]


@pytest.fixture(scope="module")
def plan():
    return render_raw(tke_config(nodePools=POOLS, models=list(MODELS.values())))


@pytest.fixture(scope="module")
def stack(plan, tmp_path_factory):
    """(proxy, {engine: Routed}): the gateway as rendered, each routed model's entry at its router."""
    workdir = tmp_path_factory.mktemp("routing")
    with contextlib.ExitStack() as stop:
        routed, in_cluster = {}, {}
        for engine, model in MODELS.items():
            replicas = [StandinEngine(model["servedName"], ttft=PREFILL_SECONDS,
                                      scale_out=engine_scales_out(plan, model["name"])) for _ in range(REPLICAS)]
            for r in replicas:
                stop.callback(r.close)
            name = router_name(model["name"])
            c = container(plan, name)
            router = stop.enter_context(running_router(c["args"], [r.base for r in replicas], workdir / name,
                                                       command=c["command"]))
            routed[engine] = Routed(engine, model["servedName"], router, replicas)
            in_cluster[f"http://{name}.{plan.config.namespace}.svc:{PORT}/v1"] = f"{router.base}/v1"
        proxy = stop.enter_context(running_proxy(plan, workdir / "gateway",
                                                 api_base_for=lambda e: in_cluster[e["litellm_params"]["api_base"]]))
        for m in routed.values():
            for r in m.replicas:
                r.key = proxy.keys[m.served]  # each replica checks the engine key, as the engines' --api-key does
        yield proxy, routed


def _send(proxy: Any, served: str, prompts: list[str]) -> list[int]:
    """Chat completions through the gateway with the app key, CONCURRENCY at a time; their statuses."""
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        return list(pool.map(lambda p: chat(proxy.base, proxy.keys["app"], served, p)[0], prompts))


@pytest.mark.parametrize("engine", MODELS)
def test_the_app_key_reaches_a_replica_through_the_router_with_the_engine_key(stack, engine):
    proxy, routed = stack
    m = routed[engine]
    before, requests = m.calls(), m.requests()
    status, body = chat(proxy.base, proxy.keys["app"], m.served, "hello")
    assert status == 200, body
    assert body["choices"][0]["message"]["content"] == f"hello from {m.served}"
    assert m.requests() == requests + 1, "the request went through the router"
    served = [r for r, n in zip(m.replicas, before) if len(r.calls) == n + 1]
    assert len(served) == 1 and sum(m.calls()) == sum(before) + 1, "exactly one replica answered"
    assert served[0].calls[-1]["authorization"] == f"Bearer {proxy.keys[m.served]}", "the engine's key, not the app's"


@pytest.mark.parametrize("key", [None, "sk-wrong-key", "ENGINE"])
def test_a_wrong_key_gets_401_before_any_router(stack, key):
    proxy, routed = stack

    def seen() -> list[Any]:
        return [(m.calls(), [len(r.tokenize_calls) for r in m.replicas], m.requests()) for m in routed.values()]

    for m in routed.values():
        before = seen()
        status, body = chat(proxy.base, proxy.keys[m.served] if key == "ENGINE" else key, m.served, "hello")
        assert status == 401, body  # an engine key is not a gateway key either
        assert seen() == before, "neither a router nor any replica saw the request"


@pytest.mark.parametrize("engine", MODELS)
def test_requests_sharing_a_long_prefix_land_on_one_replica(stack, engine):
    proxy, routed = stack
    m = routed[engine]
    decisions = METRICS[engine][1]
    before, hits = m.calls(), m.router.counter(decisions, outcome="prefix_hit") if decisions else 0
    statuses = _send(proxy, m.served, [f"{SHARED_PREFIX}\nQuestion {i}: who signs?" for i in range(40)])
    assert statuses == [200] * 40
    got = [n - b for n, b in zip(m.calls(), before)]
    assert max(got) >= 0.9 * 40, f"shared-prefix requests per replica: {got}"
    if decisions:
        hits = m.router.counter(decisions, outcome="prefix_hit") - hits
        assert hits >= 0.9 * 40, f"the router's own count of prefix hits: {hits}"


@pytest.mark.parametrize("engine", MODELS)
def test_distinct_prefixes_spread_over_every_replica(stack, engine):
    proxy, routed = stack
    m = routed[engine]
    before = m.calls()
    prompts = [f"{i:04d} " + f"topic {i * 7919 % 1000} " * 40 for i in range(300)]
    assert _send(proxy, m.served, prompts) == [200] * 300
    got = [n - b for n, b in zip(m.calls(), before)]
    assert sum(got) == 300
    assert min(got) > 0 and max(got) <= 150, f"distinct-prefix requests per replica: {got}"


def test_a_replica_that_stops_answering_is_dropped_within_its_health_interval(stack):
    """Runs last in this module: it stops one replica of each model at once. Before the drop a request
    may fail; once its router marks the replica unhealthy, no request fails and the others serve all."""
    proxy, routed = stack
    victims, bounds = {}, {}
    for engine, m in routed.items():
        args = m.router.args
        interval = float(flag_value(args, "--health-check-interval-secs", "60"))
        failures = int(flag_value(args, "--health-failure-threshold", "3"))
        timeout = float(flag_value(args, "--health-check-timeout-secs", "5"))
        bounds[engine] = failures * (interval + timeout) + interval + 5  # checks `interval` apart, up to `timeout` each
        victims[engine] = max(m.replicas, key=lambda r: len(r.calls))  # the one holding the shared prefix
        victims[engine].close()
    stopped = time.monotonic()
    for engine, m in routed.items():
        while m.router.healthy()[victims[engine].base]:
            assert time.monotonic() - stopped < bounds[engine], f"not dropped in {bounds[engine]:.0f}s:\n{m.router.log()}"
            time.sleep(0.5)
    for engine, m in routed.items():
        # What LLMRouterSeesNoReplica sums (render/monitoring.py ROUTER_HEALTH): 0 for the stopped replica
        # once the router's own view has dropped it, 1 for the others.
        metric = ROUTER_HEALTH[ROUTER_FOR_ENGINE[engine]]
        while m.router.counter(metric, worker=victims[engine].base) != 0:
            assert time.monotonic() - stopped < 2 * bounds[engine], f"{metric} still 1:\n{m.router.metrics()[-3000:]}"
            time.sleep(0.5)
        assert [m.router.counter(metric, worker=r.base) for r in m.replicas if r is not victims[engine]] == [1, 1]
    for engine, m in routed.items():
        others = [r for r in m.replicas if r is not victims[engine]]
        before = [len(r.calls) for r in others]
        prompts = [f"{SHARED_PREFIX}\nQuestion after the drop {i}" for i in range(20)]
        prompts += [f"{i:04d} after the drop " * 30 for i in range(40)]
        statuses = Counter(_send(proxy, m.served, prompts))
        assert statuses == Counter({200: 60}), (engine, statuses)
        assert sum(len(r.calls) for r in others) - sum(before) == 60, "the remaining replicas served every request"
