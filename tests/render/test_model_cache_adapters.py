"""LoRA adapters in a model's download (render/model_cache.py `adapters`): each through the base weights'
own script, once, resumable, with its own marker per revision; run here against stub tools."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import kubernetes_validate

from render.model_cache import ModelSource, download_job, marker_name, node_downloader_daemonset
from render.placement import PodPlacement

from tests.render.test_model_cache import GPU_POOL, HF, LOCAL, MS, SHARED, SYSTEM_POOL, env_of, pod

SQL = ModelSource("huggingface", "org/sql-lora", "abc123")
CHAT = ModelSource("modelscope", "org/chat-lora", "v2")
ADAPTERS = ((SQL, "huggingface/org/sql-lora/abc123"), (CHAT, "modelscope/org/chat-lora/v2"))
BASE_DIR = "huggingface/Qwen/Qwen3-14B"


def _stub(bindir: Path, name: str, body: str) -> None:
    path = bindir / name
    path.write_text("#!/bin/bash\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def _run(tmp: Path, fail: str = "") -> tuple[subprocess.CompletedProcess[str], Path, list[str]]:
    """The Job's container command, with its environment, against a temporary volume and stub tools
    (`hf` / `modelscope` write one file into --local-dir, or fail for the id in FAIL_ID)."""
    root, bindir, calls = tmp / "volume", tmp / "bin", tmp / "calls"
    root.mkdir(exist_ok=True)
    bindir.mkdir(exist_ok=True)
    _stub(bindir, "python", f'echo "python $*" >> {calls}\n')
    for tool in ("hf", "modelscope"):
        _stub(bindir, tool, f'echo "{tool} $* endpoint=${{HF_ENDPOINT:-}} token=${{HF_TOKEN:-}}" >> {calls}\n'
              'id="$2"; for a in "$@"; do [ "${prev:-}" = --local-dir ] && dir="$a"; prev="$a"; done\n'
              'mkdir -p "$dir"; echo "$id" > "$dir/weights.safetensors"\n'
              'if [ "$2" = "${FAIL_ID:-}" ]; then exit 3; fi\n')
    c = pod(download_job("qwen3-14b", "llm", HF, volume=SHARED, model_dir=BASE_DIR, placement=PodPlacement(SYSTEM_POOL),
                         budget_seconds=7200, adapters=ADAPTERS, keep_revisions=("main",)))["containers"][0]
    env = {e["name"]: e["value"] for e in c["env"] if "value" in e}
    env |= {"MODEL_ROOT": str(root), "PATH": f"{bindir}:{os.environ['PATH']}", "HF_TOKEN": "secret", "FAIL_ID": fail}
    out = subprocess.run(c["command"], env=env, capture_output=True, text=True, timeout=60)
    return out, root, calls.read_text().splitlines() if calls.exists() else []


def test_each_adapter_downloads_once_beside_the_weights_with_its_own_marker(tmp_path: Path) -> None:
    out, root, calls = _run(tmp_path)
    assert out.returncode == 0, out.stderr
    for src, directory in ADAPTERS:
        assert sorted(p.name for p in (root / directory).iterdir()) == sorted([marker_name(src), "weights.safetensors"])
    assert (root / BASE_DIR / marker_name(HF)).is_file()
    tools = [c for c in calls if not c.startswith("python")]
    assert [c.split()[:3] for c in tools] == [["hf", "download", "org/sql-lora"], ["modelscope", "download", "org/chat-lora"],
                                             ["hf", "download", "Qwen/Qwen3-14B"]]
    # The base's mirror and token stay the base's: an adapter from the public hub gets neither.
    assert tools[0].endswith("endpoint= token=") and tools[2].endswith("endpoint=https://hf-mirror.com token=secret")
    again, _, calls_again = _run(tmp_path)
    assert again.returncode == 0 and calls_again == calls, "a rerun downloads nothing"


def test_a_failed_adapter_fails_the_job_and_resumes_next_time(tmp_path: Path) -> None:
    out, root, _ = _run(tmp_path, fail="org/chat-lora")
    assert out.returncode != 0
    assert not (root / ADAPTERS[1][1]).exists() and not (root / BASE_DIR).exists()
    assert (root / ADAPTERS[0][1] / marker_name(SQL)).is_file(), "the first adapter is kept"
    retry, root, calls = _run(tmp_path)
    assert retry.returncode == 0, retry.stderr
    assert (root / ADAPTERS[1][1] / marker_name(CHAT)).is_file() and (root / BASE_DIR / marker_name(HF)).is_file()
    assert not [c for c in calls[-6:] if "org/sql-lora" in c], "the complete adapter is not fetched again"


def test_job_and_daemonset_with_adapters_are_valid_and_wait_for_every_marker() -> None:
    job = download_job("qwen3-14b", "llm", MS, volume=SHARED, model_dir="modelscope/deepseek-ai/DeepSeek-R1",
                       placement=PodPlacement(SYSTEM_POOL), budget_seconds=7200, adapters=ADAPTERS)
    env = env_of(job)
    assert env["ADAPTER_0_ID"]["value"] == "org/sql-lora" and env["ADAPTER_1_DIR"]["value"] == ADAPTERS[1][1]
    assert env["HF_HOME"]["value"] == "/tmp/hf", "an HF adapter on a ModelScope model gets the HF tool's cache"
    kubernetes_validate.validate(job, "1.30.0", strict=True)
    ds = node_downloader_daemonset("qwen3-14b", "llm", HF, volume=LOCAL, model_dir=BASE_DIR,
                                   placement=PodPlacement(GPU_POOL), adapters=ADAPTERS)
    probe = pod(ds)["containers"][0]["readinessProbe"]["exec"]["command"]
    assert probe == ["test", "-f", f"/models/{BASE_DIR}/{marker_name(HF)}",
                     "-a", "-f", f"/models/{ADAPTERS[0][1]}/{marker_name(SQL)}",
                     "-a", "-f", f"/models/{ADAPTERS[1][1]}/{marker_name(CHAT)}"]
    kubernetes_validate.validate(ds, "1.30.0", strict=True)
