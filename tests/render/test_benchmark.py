"""The in-cluster benchmark's objects: valid for the API server (kubernetes-validate, strict), the key only
through a Secret, no retry, the restricted pod of the download Job, and a script that runs every profile."""

from __future__ import annotations

import pytest

from render import benchmark
from render.model_cache import PYTHON_IMAGE
from render.placement import PodPlacement

from tests.validators.builtin import validate_builtin

RUNS = (benchmark.BenchmarkRun("shared-prefix", ("profile", "--model", "Qwen3-8B", "--concurrency", "1,2"), (1, 2)),
        benchmark.BenchmarkRun("long-context", ("profile", "--model", "Qwen3-8B", "--concurrency", "1"), (1,)))


def spec(**over) -> benchmark.BenchmarkJobSpec:
    base = dict(name="measure-qwen3-8b", namespace="llm-apps", image=PYTHON_IMAGE, requirements="aiperf==0.13.0\n",
                tokenizer_script="print('tok')\n", runs=RUNS,
                placement=PodPlacement(node_selector={"pool": "system"}, tolerations=({"operator": "Exists"},)))
    return benchmark.BenchmarkJobSpec(**{**base, **over})


def test_the_objects_pass_strict_validation():
    s = spec(pip_index_url="https://pypi.example/simple")
    docs = [benchmark.files(s), benchmark.key_secret(s, "sk-app"), benchmark.job(s)]
    assert validate_builtin(docs, "1.30") == []


def test_the_key_comes_from_the_secret_and_appears_nowhere_else():
    s = spec()
    job, files = benchmark.job(s), benchmark.files(s)
    (c,) = job["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e for e in c["env"]}
    assert env["API_KEY"]["valueFrom"]["secretKeyRef"] == {"name": s.key_secret, "key": benchmark.KEY_FIELD}
    assert benchmark.key_secret(s, "sk-app")["stringData"] == {benchmark.KEY_FIELD: "sk-app"}
    assert "sk-app" not in repr(job) + repr(files)


def test_one_try_no_gpu_restricted_pod_on_the_placement():
    job = benchmark.job(spec())
    assert job["spec"]["backoffLimit"] == 0, "a retry would mix two runs' results"
    pod = job["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    assert "nvidia.com/gpu" not in repr(c["resources"])
    assert c["securityContext"]["readOnlyRootFilesystem"] and c["securityContext"]["runAsNonRoot"]
    assert c["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert pod["nodeSelector"] == {"pool": "system"} and pod["tolerations"] == [{"operator": "Exists"}]
    assert pod["automountServiceAccountToken"] is False and pod["restartPolicy"] == "Never"
    assert c["command"] == ["bash", f"{benchmark.CONFIG_DIR}/run.sh"]


def test_the_script_installs_the_pins_and_runs_every_profile_then_prints_the_results():
    s = spec(pip_index_url="https://pypi.example/simple")
    script = benchmark.files(s)["data"]["run.sh"]
    assert '-r "$CONFIG/requirements.txt"' in script
    for run in RUNS:
        line = next(ln for ln in script.splitlines() if f'"$WORK/out/{run.profile}"' in ln)
        assert " ".join(run.args) in line and '--api-key "$API_KEY"' in line and '--tokenizer "$WORK/tokenizer"' in line
    assert '"$VENV/bin/python" -c' in script and benchmark.MARKER in script
    assert script.splitlines()[-1].endswith('"$WORK/out" 1'), "the results are printed last, after every run"
    env = {e["name"]: e.get("value") for e in benchmark.job(s)["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["PIP_INDEX_URL"] == "https://pypi.example/simple"


def test_a_job_without_runs_is_refused():
    with pytest.raises(ValueError, match="at least one run"):
        benchmark.job(spec(runs=()))
