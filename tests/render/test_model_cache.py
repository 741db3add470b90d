"""The one-time weight download: Job on shared storage, DaemonSet on local disks, and the script both
run (executed here against stub tools, so idempotency and atomicity are checked for real)."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from render.engines.spec import ModelVolume
from render.placement import PodPlacement
from render.model_cache import (
    HF_REQUIREMENTS,
    MODELSCOPE_REQUIREMENTS,
    OLLAMA_IMAGE,
    PYTHON_IMAGE,
    ModelSource,
    download_id,
    download_job,
    download_name,
    download_script,
    download_timeout_seconds,
    marker_name,
    node_downloader_daemonset,
)

K8S_VERSION = "1.30.0"
SHARED = ModelVolume(pvc_name="models", host_path=None)
LOCAL = ModelVolume(pvc_name=None, host_path="/data/models")
SYSTEM_POOL = {"tke-llm/pool": "system"}
GPU_POOL = {"tke-llm/pool": "gpu-a10"}
GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}

HF = ModelSource("huggingface", "Qwen/Qwen3-14B", "main", endpoint="https://hf-mirror.com", token_secret="hf-token")
MS = ModelSource("modelscope", "deepseek-ai/DeepSeek-R1", "master", token_secret="ms-token", token_key="key")
OL = ModelSource("ollama", "deepseek-r1:7b", "v1")
SOURCES = {"huggingface": HF, "modelscope": MS, "ollama": OL}
MODEL_DIRS = {"huggingface": "huggingface/Qwen/Qwen3-14B", "modelscope": "modelscope/deepseek-ai/DeepSeek-R1", "ollama": ""}


def job(source: ModelSource = HF, **kw: Any) -> dict[str, Any]:
    args: dict[str, Any] = dict(
        volume=SHARED, model_dir=MODEL_DIRS[source.kind], placement=PodPlacement(SYSTEM_POOL), budget_seconds=7200
    )
    args.update(kw)
    return download_job("qwen3-14b", "llm", source, **args)


def daemonset(source: ModelSource = HF, **kw: Any) -> dict[str, Any]:
    args: dict[str, Any] = dict(
        volume=LOCAL, model_dir=MODEL_DIRS[source.kind], placement=PodPlacement(GPU_POOL, (GPU_TOLERATION,))
    )
    args.update(kw)
    return node_downloader_daemonset("qwen3-14b", "llm", source, **args)


def pod(obj: dict[str, Any]) -> dict[str, Any]:
    return obj["spec"]["template"]["spec"]


def env_of(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in pod(obj)["containers"][0]["env"]}


# ---------------------------------------------------------------------------------------------- naming


def test_job_name_is_a_hash_of_source_id_and_revision() -> None:
    expected = hashlib.sha256(b"huggingface\nQwen/Qwen3-14B\nmain").hexdigest()[:8]
    assert download_id(HF) == expected
    assert job()["metadata"]["name"] == f"download-qwen3-14b-{expected}"
    assert job()["metadata"]["name"] == job()["metadata"]["name"]  # stable: no spurious re-downloads
    new_rev = ModelSource("huggingface", "Qwen/Qwen3-14B", "a1b2c3d", endpoint=HF.endpoint, token_secret="hf-token")
    assert job(new_rev)["metadata"]["name"] != job()["metadata"]["name"]
    other_source = ModelSource("modelscope", "Qwen/Qwen3-14B", "main")
    assert download_name("qwen3-14b", other_source) != download_name("qwen3-14b", HF)
    # The endpoint and token do not change what is downloaded: same name.
    assert download_name("qwen3-14b", ModelSource("huggingface", "Qwen/Qwen3-14B", "main")) == job()["metadata"]["name"]


def test_long_names_stay_valid_labels() -> None:
    name = download_name("a-very-long-model-key-that-goes-on-and-on-and-on-and-on", HF)
    assert len(name) <= 63 and name.startswith("download-") and name.endswith(download_id(HF))
    assert "--" not in name


def test_markers() -> None:
    assert marker_name(HF) == ".tke-llm-complete-main"
    assert marker_name(ModelSource("huggingface", "x/y", "refs/pr/1")) == ".tke-llm-complete-refs_pr_1"
    assert marker_name(OL) == ".tke-llm-complete-deepseek-r1_7b-v1"


def test_download_timeout() -> None:
    assert download_timeout_seconds(28, 100) == 3960  # 28 GB * 8000 / 100 = 2240 s, x1.5 + 600
    assert download_timeout_seconds(642, 100) == 77640  # DeepSeek-R1: the guide measured 16+ h
    assert download_timeout_seconds(642, 1000) < download_timeout_seconds(642, 100)
    with pytest.raises(ValueError):
        download_timeout_seconds(0, 100)


# ---------------------------------------------------------------------------------------------- Job


@pytest.mark.parametrize("kind", SOURCES)
def test_job_runs_on_the_system_pool_without_gpu(kind: str) -> None:
    obj = job(SOURCES[kind])
    spec = obj["spec"]
    assert spec["backoffLimit"] == 6
    assert spec["activeDeadlineSeconds"] == 7200
    assert "ttlSecondsAfterFinished" not in spec  # a TTL-deleted Job is re-created by Pulumi: downloads again
    p = pod(obj)
    assert p["nodeSelector"] == SYSTEM_POOL and "tolerations" not in p
    assert p["restartPolicy"] == "Never"
    c = p["containers"][0]
    assert "nvidia.com/gpu" not in c["resources"]["requests"] and "nvidia.com/gpu" not in c["resources"]["limits"]
    assert c["resources"] == {"requests": {"cpu": "1", "memory": "4Gi"}, "limits": {"memory": "4Gi"}}
    assert {"name": "model", "mountPath": "/models"} in c["volumeMounts"]  # writable
    assert p["volumes"][0] == {"name": "model", "persistentVolumeClaim": {"claimName": "models"}}
    assert c["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert p["automountServiceAccountToken"] is False and p["enableServiceLinks"] is False
    assert c["image"] == (OLLAMA_IMAGE if kind == "ollama" else PYTHON_IMAGE)
    kubernetes_validate.validate(obj, K8S_VERSION, strict=True)


def test_job_options() -> None:
    dedicated = {"key": "dedicated", "operator": "Equal", "value": "system", "effect": "NoSchedule"}
    obj = job(placement=PodPlacement(SYSTEM_POOL, (dedicated,)),
              root_disk_gb=100, image="mirror.example/ollama/ollama:0.12.10", cpu="2", memory="8Gi")  # fmt: skip
    assert obj["spec"]["template"]["metadata"]["annotations"] == {"eks.tke.cloud.tencent.com/root-cbs-size": "100"}
    assert pod(obj)["tolerations"][0]["key"] == "dedicated"
    assert pod(obj)["containers"][0]["image"] == "mirror.example/ollama/ollama:0.12.10"
    assert pod(obj)["containers"][0]["resources"]["requests"] == {"cpu": "2", "memory": "8Gi"}
    assert "annotations" not in job()["spec"]["template"]["metadata"]
    kubernetes_validate.validate(obj, K8S_VERSION, strict=True)


def test_job_and_daemonset_refuse_the_wrong_storage() -> None:
    with pytest.raises(ValueError, match="node_downloader_daemonset"):
        job(volume=LOCAL)
    with pytest.raises(ValueError, match="download_job"):
        daemonset(volume=SHARED)
    with pytest.raises(ValueError, match="relative"):
        job(model_dir="/models/x")
    with pytest.raises(ValueError, match="Ollama"):
        ModelSource("ollama", "qwen3:14b", "v1", endpoint="https://mirror")


def test_hub_environment() -> None:
    env = env_of(job(HF))
    assert env["MODEL_ID"]["value"] == "Qwen/Qwen3-14B" and env["MODEL_REVISION"]["value"] == "main"
    assert env["MODEL_ROOT"]["value"] == "/models" and env["MODEL_DIR"]["value"] == "huggingface/Qwen/Qwen3-14B"
    assert env["HF_ENDPOINT"]["value"] == "https://hf-mirror.com"
    assert env["HF_TOKEN"]["valueFrom"] == {"secretKeyRef": {"name": "hf-token", "key": "token"}}
    assert env["MARKER"]["value"] == ".tke-llm-complete-main"
    ms = env_of(job(MS, pip_index_url="https://mirrors.cloud.tencent.com/pypi/simple"))
    assert ms["MODELSCOPE_API_TOKEN"]["valueFrom"] == {"secretKeyRef": {"name": "ms-token", "key": "key"}}
    assert ms["PIP_INDEX_URL"]["value"] == "https://mirrors.cloud.tencent.com/pypi/simple"
    assert "HF_TOKEN" not in ms and "PIP_INDEX_URL" not in env
    ol = env_of(job(OL))
    assert ol["OLLAMA_MODELS"]["value"] == "/models/ollama" and ol["OLLAMA_NOPRUNE"]["value"] == "1"


def test_tool_command_lines() -> None:
    hf = download_script(HF)
    assert "'huggingface_hub==1.33.0' 'hf-xet==1.8.0'" in hf and HF_REQUIREMENTS == ("huggingface_hub==1.33.0", "hf-xet==1.8.0")
    assert 'hf download "$id" --revision "$revision" --local-dir "$dir" --max-workers "$DOWNLOAD_WORKERS"' in hf
    assert 'fetch_verified "$MODEL_ID" "$MODEL_REVISION" "$staging"' in hf
    assert "python - huggingface" in hf
    assert "huggingface-cli" not in hf and "--local-dir-use-symlinks" not in hf  # gone in hub >= 1.0
    ms = download_script(MS)
    assert "'modelscope-hub==0.5.1'" in ms and MODELSCOPE_REQUIREMENTS == ("modelscope-hub==0.5.1",)
    assert 'modelscope download "$id" --revision "$revision" --local-dir "$dir" --max-workers "$DOWNLOAD_WORKERS"' in ms
    assert "python - modelscope" in ms
    ol = download_script(OL)
    assert 'ollama pull "$MODEL_ID"' in ol and "ollama serve &" in ol and "until ollama list" in ol
    for script in (hf, ms, ol, download_script(HF, keep_running=True), download_script(OL, keep_running=True)):
        subprocess.run(["bash", "-n", "-c", script], check=True)
        assert script.startswith("set -euo pipefail\n")
        # Configured values reach the script only through the environment.
        assert "Qwen" not in script and "deepseek" not in script


# ---------------------------------------------------------------------------------------------- DaemonSet


@pytest.mark.parametrize("kind", SOURCES)
def test_daemonset_for_local_disks(kind: str) -> None:
    source = SOURCES[kind]
    obj = daemonset(source)
    p = pod(obj)
    assert p["restartPolicy"] == "Always"  # the only value a DaemonSet accepts
    assert p["nodeSelector"] == GPU_POOL and p["tolerations"] == [GPU_TOLERATION]
    assert p["volumes"][0] == {"name": "model", "hostPath": {"path": "/data/models", "type": "DirectoryOrCreate"}}
    c = p["containers"][0]
    assert "nvidia.com/gpu" not in c["resources"]["requests"]
    script = c["command"][2]
    assert script.rstrip().endswith("exec sleep infinity")
    assert "exit 0" not in script
    done = (
        f"/models/ollama/{marker_name(source)}" if kind == "ollama" else f"/models/{MODEL_DIRS[kind]}/{marker_name(source)}"
    )
    assert c["readinessProbe"]["exec"]["command"] == ["test", "-f", done]
    assert obj["spec"]["selector"]["matchLabels"].items() <= obj["spec"]["template"]["metadata"]["labels"].items()
    assert obj["metadata"]["name"] == download_name("qwen3-14b", source)
    kubernetes_validate.validate(obj, K8S_VERSION, strict=True)


# ---------------------------------------------------------------------------------------------- the script, run


def _stub(bindir: Path, name: str, body: str) -> None:
    path = bindir / name
    path.write_text("#!/bin/bash\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


class HubSandbox:
    """Runs the hub script with stub `python` (pip) and `hf`, against a temporary volume root."""

    def __init__(self, tmp: Path, source: ModelSource = HF) -> None:
        self.root = tmp / "volume"
        self.root.mkdir()
        self.bin = tmp / "bin"
        self.bin.mkdir()
        self.calls = tmp / "calls"
        self.source = source
        _stub(self.bin, "python", f'echo "python $*" >> {self.calls}\n')
        # The fake hub writes two shards into --local-dir, or fails half-way when HF_FAIL is set.
        _stub(
            self.bin,
            "hf",
            f'echo "hf $*" >> {self.calls}\n'
            'id="$2"; while [ $# -gt 0 ]; do [ "$1" = --local-dir ] && dir="$2"; shift; done\n'
            'mkdir -p "$dir"; echo "$id" > "$dir/model-00001.safetensors"\n'
            'if [ -n "${HF_FAIL:-}" ]; then exit 3; fi\n'
            'echo "$id" > "$dir/model-00002.safetensors"\n',
        )

    def run(self, source: ModelSource | None = None, **env: str) -> subprocess.CompletedProcess[str]:
        source = source or self.source
        full = {
            "PATH": f"{self.bin}:{os.environ['PATH']}",
            "MODEL_ROOT": str(self.root),
            "MODEL_DIR": "huggingface/Qwen/Qwen3-14B",
            "MODEL_ID": source.model_id,
            "MODEL_REVISION": source.revision,
            "MARKER": marker_name(source),
            "DOWNLOAD_ID": download_id(source),
            "DOWNLOAD_WORKERS": "8",
            **env,
        }
        return subprocess.run(["bash", "-c", download_script(source)], env=full, capture_output=True, text=True, timeout=30)

    @property
    def final(self) -> Path:
        return self.root / "huggingface/Qwen/Qwen3-14B"

    def tool_calls(self) -> list[str]:
        return self.calls.read_text().splitlines() if self.calls.exists() else []


def test_hub_download_is_atomic_and_idempotent(tmp_path: Path) -> None:
    box = HubSandbox(tmp_path)
    first = box.run()
    assert first.returncode == 0, first.stderr
    assert (box.final / ".tke-llm-complete-main").is_file()
    assert sorted(p.name for p in box.final.iterdir()) == [
        ".tke-llm-complete-main", "model-00001.safetensors", "model-00002.safetensors"
    ]  # fmt: skip
    assert not list(box.final.parent.glob("*.partial-*")) and not (box.final.parent / "Qwen3-14B.old").exists()
    calls = box.tool_calls()
    assert calls[0].startswith("python -m pip install") and calls[0].endswith("huggingface_hub==1.33.0 hf-xet==1.8.0")
    staging = f"{box.final}.partial-{download_id(HF)}"
    assert calls[1] == f"hf download Qwen/Qwen3-14B --revision main --local-dir {staging} --max-workers 8"
    assert calls[2] == f"python - huggingface Qwen/Qwen3-14B main {staging}"  # the check, before the marker
    # A rerun (Job retry, DaemonSet restart) stops at once: no pip, no hub traffic.
    second = box.run()
    assert second.returncode == 0 and "complete:" in second.stdout
    assert box.tool_calls() == calls


def test_failed_download_leaves_no_marker_and_no_model_dir(tmp_path: Path) -> None:
    box = HubSandbox(tmp_path)
    out = box.run(HF_FAIL="1")
    assert out.returncode != 0
    assert not box.final.exists()  # servers never see half a model
    partial = box.final.parent / f"Qwen3-14B.partial-{download_id(HF)}"
    assert (partial / "model-00001.safetensors").exists() and not (partial / marker_name(HF)).exists()
    # The retry resumes in the same partial directory and completes.
    retry = box.run()
    assert retry.returncode == 0, retry.stderr
    assert (box.final / marker_name(HF)).is_file() and not partial.exists()


def test_new_revision_replaces_the_directory(tmp_path: Path) -> None:
    box = HubSandbox(tmp_path)
    assert box.run().returncode == 0
    (box.final / "stale-from-old-revision.bin").write_text("x")
    new = ModelSource("huggingface", "Qwen/Qwen3-14B", "0123abc")
    out = box.run(new)
    assert out.returncode == 0, out.stderr
    names = sorted(p.name for p in box.final.iterdir())
    assert names == [".tke-llm-complete-0123abc", "model-00001.safetensors", "model-00002.safetensors"]
    assert (box.final / "model-00001.safetensors").read_text().strip() == "Qwen/Qwen3-14B"
    assert not list(box.final.parent.glob("Qwen3-14B.*"))  # no .old, no .partial left behind


def test_ollama_pull_script(tmp_path: Path) -> None:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    calls = tmp_path / "calls"
    store = tmp_path / "volume" / "ollama"
    ready = tmp_path / "ready"
    _stub(
        bindir,
        "ollama",
        f'case "$1" in\n'
        f'  serve) touch {ready}; exec sleep 30 ;;\n'
        f'  list) [ -f {ready} ] ;;\n'
        f'  pull) echo "pull $2" >> {calls}; mkdir -p "$OLLAMA_MODELS/manifests" ;;\n'
        f"esac\n",
    )
    env = {
        "PATH": f"{bindir}:{os.environ['PATH']}",
        "OLLAMA_MODELS": str(store),
        "MODEL_ID": OL.model_id,
        "MODEL_REVISION": OL.revision,
        "MARKER": marker_name(OL),
    }
    out = subprocess.run(["bash", "-c", download_script(OL)], env=env, capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert calls.read_text().splitlines() == ["pull deepseek-r1:7b"]
    assert (store / marker_name(OL)).is_file()
    again = subprocess.run(["bash", "-c", download_script(OL)], env=env, capture_output=True, text=True, timeout=30)
    assert again.returncode == 0 and calls.read_text().splitlines() == ["pull deepseek-r1:7b"]


def test_download_retries_come_from_model_cache_config() -> None:
    from checks import checked
    from config import ConfigError

    from tests.conftest import render_raw, tke_config

    def backoff(raw):
        (obj,) = [r.inputs for r in render_raw(raw).k8s_objects if r.inputs["kind"] == "Job"
                  and r.inputs["metadata"]["name"].startswith("download-")]
        return obj["spec"]["backoffLimit"]

    base = tke_config(models=[{"name": "m", "servedName": "m", "engine": "vllm", "pool": "gpu", "source": {
        "kind": "modelscope", "model": "Qwen/Qwen2.5-7B-Instruct", "revision": "v1"}}])
    assert backoff(base) == 6
    assert backoff({**base, "modelCache": {"retries": 0}}) == 0
    with pytest.raises(ConfigError, match=r"tke-llm:modelCache\.retries"):
        checked({**base, "modelCache": {"retries": -1}})


def test_the_script_carries_the_verifier_file_byte_for_byte() -> None:
    from render.files import source

    text = source("verify_download.py")
    assert "\nVERIFY\n" not in text and not text.startswith("VERIFY\n")  # would end the heredoc early
    for script in (download_script(HF), download_script(MS)):
        assert f"<<'VERIFY' || status=$?\n{text}VERIFY\n" in script
    assert "HF_XET_HIGH_PERFORMANCE" in {e["name"] for e in job(HF)["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env_of(job(MS, workers=16))["DOWNLOAD_WORKERS"]["value"] == "16"
