"""`python -m measure` for real: AIPerf (the pinned release in .venv-measure) through the real LiteLLM proxy,
started with the config, auth module and Secrets the program renders (tests/standins/gateway.py), in front
of a stand-in engine with a set time to first token and latency per token (tests/standins/engine.py).
The outputs come from a file in the format `pulumi stack output --json --show-secrets` prints; the
preflight side from the stack file written next to it. The numbers must match the stand-in's latency."""

from __future__ import annotations

import copy
import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from measure import incluster
from measure.__main__ import main
from measure.expected import from_stack
from measure.outputs import StackOutputs
from measure.sweep import LONG_CONTEXT, SHARED_PREFIX, Settings, profiles
from render import benchmark

from tests.behaviour.helpers import POOLS, VLLM
from tests.conftest import ROOT, render_raw, tke_config
from tests.standins.gateway import running_proxy

TTFT = 0.3
TOKEN_LATENCY = 0.02
OUTPUT_TOKENS = 16
ALERT_TTFT = 2.0
QUEUE_TARGET = 3.0
STACK = "measured"


def stack_raw() -> dict:
    m = copy.deepcopy(VLLM)
    m["autoscaling"] = {"metric": "queue", "maxReplicas": 2, "target": QUEUE_TARGET}
    return tke_config(nodePools=POOLS, models=[m], monitoring={"prometheus": {"kind": "in-cluster"},
                                                               "alerts": {"ttftP95Seconds": ALERT_TTFT}})


def write_stack(raw: dict, where: Path) -> None:
    """A stack file as users write it: `tke-llm:` keys, and the region a TKE stack carries."""
    config = {"tencentcloud:region": raw["cluster"]["region"], **{f"tke-llm:{k}": v for k, v in raw.items()}}
    (where / f"Pulumi.{STACK}.yaml").write_text(yaml.safe_dump({"config": config}, sort_keys=False))


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    """Run the command once (a small sweep: concurrency 1 and 2, both profiles); yield the output folder,
    the outputs file and the stand-in engine."""
    raw = stack_raw()
    plan = render_raw(raw, stack=STACK)
    work = tmp_path_factory.mktemp("measure")
    write_stack(raw, work)
    with running_proxy(plan, work / "gateway",
                       engine_options={"ttft": TTFT, "token_latency": TOKEN_LATENCY}) as proxy:
        outputs = {**plan.outputs, "apiKey": proxy.keys["app"]}  # what --show-secrets prints for the app key
        assert plan.outputs["apiKey"] == "[secret]" and outputs["models"] == [VLLM["servedName"]]
        (work / "outputs.json").write_text(json.dumps(outputs, indent=2) + "\n")
        out = work / "report"
        rc = main([STACK, "--stack-dir", str(work), "--outputs", str(work / "outputs.json"),
                   "--base-url", f"{proxy.base}/v1", "--out", str(out), "--concurrency", "1,2", "--requests", "4",
                   "--input-tokens", "64", "--output-tokens", str(OUTPUT_TOKENS), "--prefix-tokens", "128",
                   "--long-input-tokens", "512", "--long-output-tokens", str(OUTPUT_TOKENS), "--timeout", "600"])
        engine = proxy.engines[VLLM["servedName"]]
        yield rc, out, engine, proxy


def test_the_command_writes_the_report_the_json_and_the_plots(measured):
    rc, out, _, _ = measured
    assert rc == 0
    report = json.loads((out / "report.json").read_text())
    (model,) = report["models"]
    assert model["servedName"] == VLLM["servedName"]
    assert report["tool"]["name"] == "aiperf" and report["tool"]["version"] == "0.13.0"
    for png in model["plots"].values():
        data = (out / png).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000, png
    md = (out / "report.md").read_text()
    assert f"## {VLLM['servedName']}" in md and f"![TTFT]({model['plots']['ttft']})" in md
    assert [p["name"] for p in model["profiles"]] == [SHARED_PREFIX, LONG_CONTEXT]
    for prof in model["profiles"]:
        assert [s["concurrency"] for s in prof["steps"]] == [1, 2]
        assert all(s["completed"] == 4 and s["errors"] == 0 for s in prof["steps"]), prof["steps"]


def test_every_request_went_through_the_gateway_with_the_app_key_as_streamed_chat(measured):
    """The engine saw the requests (the gateway forwards with the engine's own key), streamed, with the
    shared system prompt in front of every shared-prefix prompt."""
    _, _, engine, proxy = measured
    chats = [c for c in engine.calls if c["path"] == "/v1/chat/completions"]
    assert len(chats) >= 16, len(chats)  # 2 profiles x 2 steps x 4 requests
    assert all(c["stream"] and c["authorization"] == f"Bearer {proxy.keys[VLLM['servedName']]}" for c in chats)
    shared = [c["prompt"].split("\n")[0] for c in chats if c["prompt"].startswith("system:")]
    assert len(shared) >= 8, "every shared-prefix request (2 steps x 4) starts with the system prompt"
    assert len(set(shared)) <= 2, "one shared system prompt per concurrency step (AIPerf runs each step anew)"
    assert engine.cache_hits > 0, "the shared prefix hit the (stand-in's) prefix cache"


def test_the_numbers_match_the_stand_ins_latency(measured):
    """TTFT = the engine's set TTFT plus the gateway's overhead (bounded); per-request output tokens/s =
    1 / latency per token (within a band); a request never faster than the engine is set to answer; output
    tokens = what the engine sent (its usage)."""
    _, out, _, _ = measured
    (model,) = json.loads((out / "report.json").read_text())["models"]
    for prof in model["profiles"]:
        for s in prof["steps"]:
            where = f"{prof['name']} at {s['concurrency']}"
            assert TTFT * 1000 <= s["ttft_p50_ms"] <= (TTFT + 0.6) * 1000, where
            assert s["ttft_p50_ms"] <= s["ttft_p95_ms"], where
            request = TTFT + (OUTPUT_TOKENS - 1) * TOKEN_LATENCY
            # The engine cannot answer faster than it is set to; the gateway only adds to it.
            assert s["latency_p50_ms"] >= request * 1000, where
            # Per request: 1 / inter-token latency. The gateway may hold the first chunk longer than the
            # others (the first token is late, the rest bunch up), so the band is wide, not one-sided.
            assert 0.5 / TOKEN_LATENCY <= s["output_tokens_per_s_per_request_p50"] <= 1.5 / TOKEN_LATENCY, where
            assert TOKEN_LATENCY * 1000 * 0.65 <= s["itl_p50_ms"] <= TOKEN_LATENCY * 1000 * 1.8, where
            assert s["output_tokens_avg"] == OUTPUT_TOKENS, where
            # Aggregate throughput: c requests in flight, each OUTPUT_TOKENS per request time (or less).
            assert s["output_tokens_per_s"] <= s["concurrency"] * OUTPUT_TOKENS / request * 1.1, where
            assert s["output_tokens_per_s"] >= s["concurrency"] * OUTPUT_TOKENS / (request + 1.5) * 0.8, where


def test_measured_sits_beside_preflight(measured):
    """The stack's own figures: the capacity table's sequences, the TTFT alert, the autoscaling target;
    the stand-in never queues, and stays within the 2 s alert at every step."""
    _, out, _, _ = measured
    (model,) = json.loads((out / "report.json").read_text())["models"]
    exp, cmp_ = model["expected"], model["comparison"]
    assert exp["ttft_alert_seconds"] == ALERT_TTFT and exp["autoscaling_target"] == QUEUE_TARGET
    assert exp["sequences_per_replica"] and exp["max_len"] == VLLM["settings"]["maxModelLen"]
    assert cmp_["sequences_at_max_length"]["preflight"] == exp["sequences"]
    assert cmp_["sequences_at_max_length"]["measured_queueing_from"] is None
    assert cmp_["ttft_alert_seconds"]["within_up_to_concurrency"] == {SHARED_PREFIX: 2, LONG_CONTEXT: 2}
    md = (out / "report.md").read_text()
    assert f"| TTFT p95 alert threshold | {ALERT_TTFT:g} s | within it up to concurrency 2" in md
    assert f"| autoscaling target (queue) | {QUEUE_TARGET:g} |" in md


def test_the_in_cluster_jobs_script_runs_as_rendered_and_its_log_reads_back(measured, tmp_path):
    """The Job's files (render/benchmark.py) run here as the pod runs them (bash run.sh, with AIPerf already
    in $AIPERF_VENV instead of the pip install), against the same gateway with the key from $API_KEY; the
    command's readback (measure/incluster.py) turns the printed log into the report's steps."""
    _, _, engine, proxy = measured
    raw = stack_raw()
    write_stack(raw, tmp_path)
    cfg, expected = from_stack(STACK, tmp_path)
    outs = StackOutputs(api_base_url="http://llm-gateway.llm.svc:4000/v1", api_key=proxy.keys["app"],
                        api_base_url_in_cluster=f"{proxy.base}/v1",  # the only rewrite: the Service -> loopback
                        models=(VLLM["servedName"],), namespace="llm", kubeconfig=None)
    s = Settings(concurrencies=(1,), requests=3, input_tokens=64, output_tokens=OUTPUT_TOKENS, prefix_tokens=128,
                 long_input_tokens=256, long_output_tokens=OUTPUT_TOKENS)
    plan = profiles(expected[VLLM["servedName"]], s)
    spec = incluster.job_spec(cfg, outs, VLLM["servedName"], plan, s, "llm-apps", 600)
    files = tmp_path / "files"
    files.mkdir()
    for name, content in benchmark.files(spec)["data"].items():
        (files / name).write_text(content)
    (c,) = benchmark.job(spec)["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e["value"] for e in c["env"] if "value" in e}
    env.update(PATH=os.environ["PATH"], MEASURE_CONFIG=str(files), MEASURE_WORK=str(tmp_path / "work"),
               AIPERF_VENV=str(ROOT / ".venv-measure"), API_KEY=proxy.keys["app"], HOME=str(tmp_path),
               NO_PROXY="127.0.0.1,localhost")
    (tmp_path / "work").mkdir()
    before = len(engine.calls)
    done = subprocess.run(["bash", str(files / "run.sh")], env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert len(engine.calls) - before >= 6, "2 profiles x 3 requests reached the engine through the gateway"
    runs = incluster.steps_from_log(done.stdout, plan)
    assert [p.name for p, _ in runs] == [SHARED_PREFIX, LONG_CONTEXT]
    for _, (st,) in runs:
        assert st.concurrency == 1 and st.completed == 3 and st.errors == 0
        assert TTFT * 1000 <= st.ttft_p50_ms <= (TTFT + 0.6) * 1000
        assert st.output_tokens_avg == OUTPUT_TOKENS
