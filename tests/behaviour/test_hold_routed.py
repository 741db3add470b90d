"""Requests held through cold starts for routed models, proven with the real programs: LiteLLM's proxy as
rendered (with the hold callback) in front of the real router (vllm-router, sglang-router; rendered args,
tests/standins/router.py) in front of a stand-in replica that serves the base model and its LoRA adapter.

Each replica is up, then stops: the router keeps it registered but unhealthy (as for a model whose
replicas all restart). sglang-router 0.3.2 then still answers /v1/models 200 itself (measured), so only
the router's /readiness tells whether a replica can answer. Loops are bounded; all on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from typing import Any

import pytest

from render import cold_hold
from render.router import PORT, router_name

from tests.behaviour.helpers import POOLS, SGLANG, VLLM
from tests.behaviour.test_cold_hold import _chat, _held
from tests.behaviour.test_router_proxy import container, engine_scales_out
from tests.behaviour.test_smoke_script import run_job
from tests.conftest import gateway_config_name, render_raw, tke_config
from tests.standins.engine import StandinEngine
from tests.standins.gateway import running_proxy
from tests.standins.net import chat
from tests.standins.router import flag_value, running_router

HOLD, RETRY = 20, 9
"""Bound and Retry-After of both models: far above a restart plus the router's check interval below."""
INTERVAL = 1
"""The rendered `routing.healthIntervalSeconds`: how soon the router notices a replica (default 10 s)."""
ADAPTER_SOURCE = {"kind": "huggingface", "repo": "org/lora", "revision": "0123456789abcdef0123456789abcdef01234567"}
MODELS = {
    "vllm": ({**VLLM, "replicas": 2, "routing": {"healthIntervalSeconds": INTERVAL},
              "coldStart": {"holdSeconds": HOLD, "retryAfterSeconds": RETRY},
              "adapters": [{"name": "qwen3-8b-sql", "source": ADAPTER_SOURCE, "rank": 16}]},
             "qwen3-8b-sql", "qwen3-8b-sql"),
    "sglang": ({**SGLANG, "replicas": 2, "routing": {"healthIntervalSeconds": INTERVAL},
                "coldStart": {"holdSeconds": HOLD, "retryAfterSeconds": RETRY},
                "adapters": [{"name": "r1-distill-math", "source": ADAPTER_SOURCE, "rank": 16}]},
               "r1-distill-math", f"{SGLANG['servedName']}:r1-distill-math"),
}
"""engine -> (model config, adapter's gateway name, the name the engine serves the adapter by)."""


@pytest.fixture(scope="module")
def plan():
    return render_raw(tke_config(nodePools=POOLS, models=[m for m, _, _ in MODELS.values()]))


class Routed:
    def __init__(self, plan: Any, engine: str, router: Any, replica: StandinEngine):
        self.model, self.adapter, self.engine_adapter = MODELS[engine]
        self.served, self.plan, self.router, self.replica = self.model["servedName"], plan, router, replica

    def start_replica(self, key: str, start_after: float = 0.0) -> StandinEngine:
        self.replica = StandinEngine(self.served, port=self.replica.port, key=key, start_after=start_after,
                                     adapters=(self.engine_adapter,),
                                     scale_out=engine_scales_out(self.plan, self.model["name"]))
        return self.replica

    def stop_replica(self) -> None:
        """Stop the replica and wait (bounded) until the router marks it unhealthy."""
        self.replica.close()
        args = self.router.args
        bound = int(flag_value(args, "--health-failure-threshold", "3")) * (
            INTERVAL + float(flag_value(args, "--health-check-timeout-secs", "5"))) + INTERVAL + 10
        deadline = time.monotonic() + bound
        while self.router.healthy().get(self.replica.base, False):
            assert time.monotonic() < deadline, f"the router did not drop the replica:\n{self.router.log()}"
            time.sleep(0.3)


@pytest.fixture(scope="module")
def stack(plan, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("hold-routed")
    with contextlib.ExitStack() as stop:
        routed, in_cluster = {}, {}
        for engine, (model, _, engine_adapter) in MODELS.items():
            replica = StandinEngine(model["servedName"], adapters=(engine_adapter,),
                                    scale_out=engine_scales_out(plan, model["name"]))
            name = router_name(model["name"])
            c = container(plan, name)
            assert flag_value(c["args"], "--health-check-interval-secs", "") == str(INTERVAL)
            router = stop.enter_context(running_router(c["args"], [replica.base], workdir / name,
                                                       command=c["command"]))
            routed[engine] = Routed(plan, engine, router, replica)
            stop.callback(lambda m=routed[engine]: m.replica.close())
            in_cluster[f"http://{name}.{plan.config.namespace}.svc:{PORT}/v1"] = f"{router.base}/v1"
        proxy = stop.enter_context(running_proxy(plan, workdir / "gateway",
                                                 api_base_for=lambda e: in_cluster[e["litellm_params"]["api_base"]]))
        for m in routed.values():
            m.replica.key = proxy.keys[m.served]
        yield proxy, routed


def test_every_adapter_of_a_held_model_is_held_with_its_base_models_bound(plan):
    data = plan.manifest("ConfigMap", gateway_config_name(plan))["data"]
    table = json.loads(data[cold_hold.DATA_FILE])
    for model, adapter, _ in MODELS.values():
        assert table[adapter] == table[model["servedName"]]
        assert table[adapter]["holdSeconds"] == HOLD and table[adapter]["retryAfterSeconds"] == RETRY


@pytest.mark.parametrize("engine", MODELS)
def test_with_no_healthy_replica_the_client_gets_503_with_retry_after_past_the_bound(stack, engine):
    proxy, routed = stack
    m = routed[engine]
    m.stop_replica()
    started = time.monotonic()
    status, headers, body = _chat(proxy.base, proxy.keys["app"], m.served)
    waited = time.monotonic() - started
    assert status == 503, body
    assert {k.lower(): v for k, v in headers.items()}.get("retry-after") == str(RETRY), (headers, body)
    assert m.served in json.loads(body)["error"]["message"], body
    assert waited >= HOLD, f"answered after {waited:.1f} s, before the hold of {HOLD} s: {body!r}"


@pytest.mark.parametrize("engine", MODELS)
@pytest.mark.parametrize("which", ["base", "adapter"])
def test_a_request_sent_while_no_replica_is_healthy_is_held_then_served(stack, engine, which):
    """Held at the gateway until the replica is back and its router has seen it healthy; then served by
    the replica, under the name the engine knows the adapter by."""
    proxy, routed = stack
    m = routed[engine]
    if m.router.healthy().get(m.replica.base, False):
        m.stop_replica()
    name, engine_model = (m.served, m.served) if which == "base" else (m.adapter, m.engine_adapter)
    key = proxy.keys["app"]
    result: list[tuple[int, dict[str, str], bytes]] = []
    sender = threading.Thread(target=lambda: result.append(_chat(proxy.base, key, name)))
    sender.start()
    deadline = time.monotonic() + HOLD
    while _held(proxy.base, proxy.keys["master"], name) < 1:
        assert not result, f"answered while no replica was healthy, not held: {result}"
        assert time.monotonic() < deadline, "the request was not held"
        time.sleep(0.2)
    replica = m.start_replica(proxy.keys[m.served], start_after=1.0)
    sender.join(timeout=HOLD + 30)
    assert not sender.is_alive() and result
    status, _, body = result[0]
    assert status == 200, body
    assert json.loads(body)["choices"][0]["message"]["content"] == f"hello from {m.served}"
    assert [c["model"] for c in replica.calls] == [engine_model], "the replica served it, as the adapter"
    assert _held(proxy.base, proxy.keys["master"], name) == 0


@pytest.mark.parametrize("engine", MODELS)
def test_an_adapter_of_a_routed_model_reaches_a_replica_through_the_routers_prefix_path(stack, engine):
    """The router gets the adapter's name as `model`. vllm-router's cache-aware policy renders the prompt
    at a replica first (`/v1/chat/completions/render`, under the adapter's name) and counts a decision."""
    proxy, routed = stack
    m = routed[engine]
    if not m.router.healthy().get(m.replica.base, False):
        m.start_replica(proxy.keys[m.served])
        deadline = time.monotonic() + 30
        while not m.router.healthy().get(m.replica.base, False):
            assert time.monotonic() < deadline, m.router.log()
            time.sleep(0.3)
    decisions = "vllm_router_prefix_routing_decisions_total"
    before = m.router.counter(decisions) if engine == "vllm" else 0
    calls, renders = len(m.replica.calls), len(m.replica.tokenize_calls)
    prefix = "Shared contract text. " * 60
    for i in range(3):
        status, body = chat(proxy.base, proxy.keys["app"], m.adapter, f"{prefix} question {i}")
        assert status == 200, body
    assert [c["model"] for c in m.replica.calls[calls:]] == [m.engine_adapter] * 3
    if engine == "vllm":
        rendered = m.replica.tokenize_calls[renders:]
        assert [(c["path"], c["model"]) for c in rendered] == [("/v1/chat/completions/render", m.engine_adapter)] * 3
        assert m.router.counter(decisions) == before + 3, m.router.log()


@pytest.mark.parametrize("engine", MODELS)
def test_the_smoke_job_of_a_routed_model_passes_through_the_gateway_and_its_router(stack, plan, engine):
    """The rendered smoke Job (tests/behaviour/test_smoke_script.py run_job), started while the model's
    replica is down: its request waits at the gateway, goes through the router, and the answer checks."""
    proxy, routed = stack
    m = routed[engine]
    if m.router.healthy().get(m.replica.base, False):
        m.stop_replica()
    replica = m.start_replica(proxy.keys[m.served], start_after=2.0)
    done = run_job(plan, m.model["name"], proxy.base)
    assert done.returncode == 0, done.stdout + done.stderr
    assert [c["model"] for c in replica.calls] == [m.served], "one request, served by the replica"
