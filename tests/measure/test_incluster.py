"""`--in-cluster`: the Job a model gets (an app namespace, the stack's placement and mirror, the same
AIPerf arguments as from outside), and the readback of its log into the report's steps."""

from __future__ import annotations

import json

import pytest

from checks import load
from measure.expected import from_config
from measure.incluster import InClusterError, job_spec, namespace_for, parse_log, steps_from_log
from measure.outputs import StackOutputs
from measure.sweep import Settings, profile_args, profiles
from render import benchmark
from render.model_cache import PYTHON_IMAGE

from tests.behaviour.helpers import POOLS, VLLM
from tests.conftest import tke_config

OUTS = StackOutputs(api_base_url="http://llm-gateway.llm.svc:4000/v1",
                    api_base_url_in_cluster="http://llm-gateway.llm.svc:4000/v1", api_key="sk-app",
                    models=(VLLM["servedName"],), namespace="llm", kubeconfig=None)


def loaded(**gateway):
    cfg, report = load(tke_config(nodePools=POOLS, models=[VLLM], imageRegistry="mirror.example.com/llm",
                                  gateway=gateway))
    return cfg, from_config(cfg, report.capacity)


def test_the_job_runs_in_the_apps_namespace_with_the_in_cluster_url():
    cfg, expected = loaded(clientNamespaces=["llm-apps"])
    s = Settings(concurrencies=(1, 2))
    plan = profiles(expected[VLLM["servedName"]], s)
    spec = job_spec(cfg, OUTS, VLLM["servedName"], plan, s, namespace_for(cfg, None), 600)
    assert spec.namespace == "llm-apps" and spec.name == "measure-qwen3-8b"
    assert spec.image == f"mirror.example.com/llm/{PYTHON_IMAGE}"
    assert [r.args for r in spec.runs] == [tuple(profile_args(VLLM["servedName"], OUTS.api_base_url_in_cluster, p, s))
                                          for p in plan]
    assert "aiperf==0.13.0" in spec.requirements and "def build" in spec.tokenizer_script
    assert spec.placement.node_selector, "the CPU system pool, as the download Job"
    assert spec.deadline_seconds == 1200


def test_no_namespace_the_gateway_admits_is_an_error_naming_the_key():
    cfg, _ = loaded()
    with pytest.raises(InClusterError, match="gateway.clientNamespaces"):
        namespace_for(cfg, None)
    assert namespace_for(cfg, "mine") == "mine"


def line(profile: str, c: int, ttft: float) -> str:
    export = {"time_to_first_token": {"p50": ttft, "p95": ttft}, "request_count": {"avg": 3.0}}
    return benchmark.MARKER + json.dumps({"profile": profile, "concurrency": c, "export": export})


def test_the_log_reads_back_by_profile_and_concurrency():
    cfg, expected = loaded(clientNamespaces=["llm-apps"])
    plan = profiles(expected[VLLM["servedName"]], Settings(concurrencies=(1, 2)))
    log = "\n".join(["progress 50%", line("shared-prefix", 1, 300), line("shared-prefix", 2, 320),
                     line("long-context", 1, 900), "INFO done", line("long-context", 2, 950)])
    assert set(parse_log(log)) == {"shared-prefix", "long-context"}
    runs = steps_from_log(log, plan)
    assert [(p.name, [s.concurrency for s in steps]) for p, steps in runs] == [
        ("shared-prefix", [1, 2]), ("long-context", [1, 2])]
    assert runs[1][1][1].ttft_p50_ms == 950 and runs[0][1][0].completed == 3
    with pytest.raises(InClusterError, match=r"long-context at concurrency \[2\]"):
        steps_from_log(log.rsplit("\n", 1)[0], plan)
