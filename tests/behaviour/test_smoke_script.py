"""The smoke Job's script (render/files/smoke.py) run as its pod runs it: the rendered command (the
interpreter as the only substitution), the rendered environment with the key resolved from the
rendered Secret, against the real LiteLLM proxy started with the rendered config in front of stand-in
engines on loopback (tests/standins/). The one rewrite is the in-cluster URL, which is first checked
to be the stack's `apiBaseUrlInCluster` output and then pointed at the loopback proxy (or engine).
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from render import smoke

from tests.behaviour.helpers import OLLAMA, POOLS, SGLANG, VLLM
from tests.conftest import existing_config, render_raw, tke_config
from tests.standins.engine import StandinEngine
from tests.standins.gateway import container_env, running_proxy, secret_values

BOUND = 12
"""`smoke.timeoutSeconds` of the test stacks: what the timeout case waits out."""
RUN_LIMIT = BOUND + 30


def smoke_jobs(plan: Any) -> dict[str, dict[str, Any]]:
    """The rendered smoke Jobs by the model they test."""
    return {j["metadata"]["labels"][smoke.MODEL_LABEL]: j for j in (r.manifest for r in plan.k8s_objects)
            if j["kind"] == "Job" and j["metadata"]["labels"].get("app.kubernetes.io/component") == smoke.COMPONENT}


def run_job(plan: Any, model: str, base: str, secrets: dict[str, dict[str, str]] | None = None,
            ) -> subprocess.CompletedProcess[str]:
    """Run the model's smoke container as the kubelet would, the in-cluster URL pointed at `base`."""
    container = smoke_jobs(plan)[model]["spec"]["template"]["spec"]["containers"][0]
    env = container_env(container, secrets or secret_values(plan))
    assert env["SMOKE_URL"] == plan.outputs["apiBaseUrlInCluster"], "the Job calls the URL apps are given"
    env["SMOKE_URL"] = f"{base}/v1"
    command = container["command"]
    assert command[0] == "python3" and command[1] == "-c"
    return subprocess.run([sys.executable, *command[1:]], env={"PATH": "/usr/bin:/bin", **env},
                          capture_output=True, text=True, timeout=RUN_LIMIT)


@pytest.fixture(scope="module")
def rendered():
    base = {**SGLANG, "name": "r1-base", "servedName": "R1-Base"}
    down = {**VLLM, "name": "qwen3-8b-down", "servedName": "Qwen3-8B-Down"}
    raw = tke_config(nodePools=POOLS, models=[VLLM, SGLANG, base, down],
                     gateway={"fallbacks": [{"model": "Qwen3-8B-Down", "to": ["Qwen3-8B"]}]},
                     smoke={"timeoutSeconds": BOUND, "completion": ["R1-Base"]})
    return render_raw(raw)


@pytest.fixture(scope="module")
def engines():
    made = {"Qwen3-8B": StandinEngine("Qwen3-8B"),
            "DeepSeek-R1-Distill-Qwen-7B": StandinEngine("DeepSeek-R1-Distill-Qwen-7B", ttft=BOUND + 8),
            "R1-Base": StandinEngine("R1-Base"), "Qwen3-8B-Down": StandinEngine("Qwen3-8B-Down")}
    made["Qwen3-8B-Down"].close()  # its port refuses connections, as a crashed engine's does
    yield made
    for e in made.values():
        e.close()


@pytest.fixture(scope="module")
def proxy(rendered, engines, tmp_path_factory):
    with running_proxy(rendered, tmp_path_factory.mktemp("smoke-gateway"), engines=engines) as started:
        yield started


def test_the_job_sends_the_app_key_from_its_secret_to_the_apps_url(rendered):
    jobs = smoke_jobs(rendered)
    assert set(jobs) == {"qwen3-8b", "r1-distill", "r1-base", "qwen3-8b-down"}
    env = {e["name"]: e for e in jobs["qwen3-8b"]["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["SMOKE_KEY"]["valueFrom"]["secretKeyRef"] == {"name": "llm-gateway-app-key", "key": "app-key"}
    assert env["SMOKE_TIMEOUT_SECONDS"]["value"] == str(BOUND)
    assert env["SMOKE_API"]["value"] == "chat"
    assert {e["name"]: e for e in jobs["r1-base"]["spec"]["template"]["spec"]["containers"][0]["env"]}[
        "SMOKE_API"]["value"] == "completions"


def test_an_answer_passes(rendered, proxy, engines):
    before = len(engines["Qwen3-8B"].calls)
    done = run_job(rendered, "qwen3-8b", proxy.base)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "smoke test of model Qwen3-8B (qwen3-8b) passed" in done.stdout
    assert len(engines["Qwen3-8B"].calls) == before + 1, "the answer came from the model's engine"
    call = engines["Qwen3-8B"].calls[-1]
    assert call["path"] == "/v1/chat/completions" and call["model"] == "Qwen3-8B"


def test_a_base_model_is_sent_a_text_completion(rendered, proxy, engines):
    done = run_job(rendered, "r1-base", proxy.base)
    assert done.returncode == 0, done.stdout + done.stderr
    assert engines["R1-Base"].calls[-1]["path"] == "/v1/completions"


def test_no_answer_within_the_bound_fails_naming_the_model(rendered, proxy):
    done = run_job(rendered, "r1-distill", proxy.base)
    assert done.returncode == 1, done.stdout + done.stderr
    line = done.stdout.strip()
    assert line.startswith("smoke test of model DeepSeek-R1-Distill-Qwen-7B (r1-distill) FAILED"), line
    assert f"no answer from {proxy.base}/v1/chat/completions within {BOUND}s" in line, line


def test_a_refused_key_fails_naming_the_model(rendered, proxy):
    secrets = secret_values(rendered)
    wrong = {**secrets, "llm-gateway-app-key": {"app-key": "sk-not-the-app-key"}}
    done = run_job(rendered, "qwen3-8b", proxy.base, wrong)
    assert done.returncode == 1, done.stdout + done.stderr
    line = done.stdout.strip()
    assert line.startswith("smoke test of model Qwen3-8B (qwen3-8b) FAILED: the key was refused (HTTP 401)"), line


def test_a_wrong_model_name_fails_naming_the_model(rendered, proxy, engines):
    """The Job asks for a name the gateway does not serve (the configured served name drifted from
    the gateway's): LiteLLM's answer is final, not retried until the bound."""
    container = smoke_jobs(rendered)["qwen3-8b"]["spec"]["template"]["spec"]["containers"][0]
    env = container_env(container, secret_values(rendered))
    env.update(SMOKE_URL=f"{proxy.base}/v1", SMOKE_MODEL="Qwen3-8B-typo")
    done = subprocess.run([sys.executable, *container["command"][1:]], env={"PATH": "/usr/bin:/bin", **env},
                          capture_output=True, text=True, timeout=RUN_LIMIT)
    assert done.returncode == 1, done.stdout + done.stderr
    line = done.stdout.strip()
    assert line.startswith("smoke test of model Qwen3-8B-typo (qwen3-8b) FAILED: HTTP 400"), line


def test_an_answer_from_a_fallback_model_fails_naming_the_model(rendered, proxy, engines):
    """LiteLLM stamps the requested name on every answer but one that came from a fallback, which
    keeps the fallback's name (litellm 1.102.4 proxy/common_request_processing.py
    `_override_openai_response_model`): a model whose engine is down while its fallback answers is
    not served, and the name check says so."""
    before = len(engines["Qwen3-8B"].calls)
    done = run_job(rendered, "qwen3-8b-down", proxy.base)
    assert done.returncode == 1, done.stdout + done.stderr
    line = done.stdout.strip()
    assert line.startswith("smoke test of model Qwen3-8B-Down (qwen3-8b-down) FAILED: the answer names model "
                           "'Qwen3-8B', not 'Qwen3-8B-Down'"), line
    assert len(engines["Qwen3-8B"].calls) == before + 1, "the fallback answered"


def test_an_engine_answering_as_another_model_fails():
    """Without a gateway the engine's own answer is checked: one that loaded other weights under the
    served name answers with their name."""
    plan = render_raw(tke_config(nodePools=POOLS, models=[VLLM], gateway="none", smoke={"timeoutSeconds": BOUND}))
    secrets = secret_values(plan)
    liar = StandinEngine("Qwen3-8B", answer_model="Qwen2.5-7B", key=secrets["qwen3-8b-api-key"]["api-key"])
    try:
        done = run_job(plan, "qwen3-8b", liar.base, secrets)
    finally:
        liar.close()
    assert done.returncode == 1, done.stdout + done.stderr
    line = done.stdout.strip()
    assert line.startswith("smoke test of model Qwen3-8B (qwen3-8b) FAILED: the answer names model "
                           "'Qwen2.5-7B', not 'Qwen3-8B'"), line


def test_ollama_without_a_gateway_is_asked_through_its_own_api():
    plan = render_raw(existing_config(models=[OLLAMA], gateway="none", smoke={"timeoutSeconds": BOUND}))
    job = smoke_jobs(plan)["r1-7b"]
    env = {e["name"]: e for e in job["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["SMOKE_API"]["value"] == "ollama"
    assert env["SMOKE_KEY"]["valueFrom"]["secretKeyRef"] == {"name": "r1-7b-api-key", "key": "api-key"}
    engine = StandinEngine("deepseek-r1:7b", api="ollama")
    try:
        done = run_job(plan, "r1-7b", engine.base)
        assert done.returncode == 0, done.stdout + done.stderr
        assert engine.calls[-1]["path"] == "/api/chat"
        assert "smoke test of model deepseek-r1:7b (r1-7b) passed" in done.stdout
    finally:
        engine.close()
    slow = StandinEngine("deepseek-r1:7b", api="ollama", ttft=BOUND + 8)
    try:
        done = run_job(plan, "r1-7b", slow.base)
    finally:
        slow.close()
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout.startswith("smoke test of model deepseek-r1:7b (r1-7b) FAILED: no answer"), done.stdout


def test_smoke_false_renders_no_job_and_keeps_the_gateway_closed_to_it():
    plan = render_raw(tke_config(nodePools=POOLS, models=[VLLM], smoke=False))
    assert not smoke_jobs(plan)
    policy = plan.manifest("NetworkPolicy", "llm-gateway-ingress")
    assert smoke.peer() not in [p.get("podSelector", {}).get("matchLabels") for r in policy["spec"]["ingress"]
                                for p in r.get("from", [])]
