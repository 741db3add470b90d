"""The SGLang renderer (render/engines/sglang.py): exact command lines per topology, the launcher that keeps
the key out of logs, and probes that wait for a busy server."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

from render.engines import deployment, leaderworkerset
from render.engines import sglang

from .helpers import containers, env_of, make_spec, r1


def test_sglang_single_node_command_line() -> None:
    spec = make_spec(
        engine="sglang", image="lmsysorg/sglang:v0.5.4", name="deepseek-r1", served_name="DeepSeek-R1",
        model_dir="modelscope/deepseek-ai/DeepSeek-R1", gpus_per_node=8, max_num_seqs=8, max_model_len=None,
        max_batched_tokens=None, trust_remote_code=True,
    )  # fmt: skip
    c = containers(deployment(spec))[0]
    assert c["command"] == ["python3", "-c", sglang.launcher()]
    assert c["args"] == [
        "--model-path", "/models/modelscope/deepseek-ai/DeepSeek-R1",
        "--served-model-name", "DeepSeek-R1",
        "--tp-size", "8",
        "--mem-fraction-static", "0.9",
        "--max-running-requests", "8",
        "--enable-metrics",
        "--trust-remote-code",
        "--watchdog-timeout", "3600",
        "--dtype", "auto",
        "--host", "0.0.0.0",
        "--port", "30000",
    ]  # fmt: skip
    assert env_of(c)["SGLANG_API_KEY"]["valueFrom"] == {"secretKeyRef": {"name": "llm-api-key", "key": "api-key"}}
    assert "LWS_WORKER_INDEX" not in env_of(c)


def test_sglang_multi_node_leader_and_worker() -> None:
    spec = r1("sglang", max_model_len=65536, max_num_seqs=32)
    leader, worker = containers(leaderworkerset(spec))
    common = [
        "--model-path", "/models/modelscope/deepseek-ai/DeepSeek-R1",
        "--served-model-name", "DeepSeek-R1",
        "--tp-size", "16",  # nodes x GPUs per node
        "--mem-fraction-static", "0.9",
        "--max-running-requests", "32",
        "--enable-metrics",
        "--trust-remote-code",
        "--watchdog-timeout", "3600",
        "--context-length", "65536",
        "--dtype", "auto",
        "--dist-init-addr", "$(LWS_LEADER_ADDRESS):5000",
        "--nnodes", "$(LWS_GROUP_SIZE)",
        "--node-rank", "$(LWS_WORKER_INDEX)",
    ]  # fmt: skip
    assert leader["args"] == common + ["--host", "0.0.0.0", "--port", "30000"]
    assert worker["args"] == common
    assert leader["command"] == ["python3", "-c", sglang.launcher()]
    assert worker["command"] == ["python3", "-m", "sglang.launch_server"]
    index = {"fieldRef": {"fieldPath": "metadata.labels['leaderworkerset.sigs.k8s.io/worker-index']"}}
    assert env_of(leader)["LWS_WORKER_INDEX"]["valueFrom"] == index == env_of(worker)["LWS_WORKER_INDEX"]["valueFrom"]
    assert "SGLANG_API_KEY" in env_of(leader) and "SGLANG_API_KEY" not in env_of(worker)
    # Every $(VAR) the kubelet must expand is defined in the container or injected by LWS.
    injected = {"LWS_LEADER_ADDRESS", "LWS_GROUP_SIZE"}
    for c in (leader, worker):
        for var in re.findall(r"\$\(([A-Z_]+)\)", " ".join(c["args"])):
            assert var in env_of(c) or var in injected


def test_sglang_caching_and_chunking_switches() -> None:
    spec = make_spec(engine="sglang", prefix_caching=False, chunked_prefill=False, max_batched_tokens=4096,
                     quantization="fp8", dtype="half", extra_args=("--log-requests",))  # fmt: skip
    args = sglang.sglang_args(spec, "server")
    assert args[args.index("--quantization") + 1] == "fp8"
    assert "--disable-radix-cache" in args
    assert args[args.index("--chunked-prefill-size") + 1] == "-1"
    assert args[args.index("--max-prefill-tokens") + 1] == "4096"
    assert args[-1] == "--log-requests"
    chunked = sglang.sglang_args(make_spec(engine="sglang", max_batched_tokens=4096), "server")
    assert chunked[chunked.index("--chunked-prefill-size") + 1] == "4096"
    assert "--disable-radix-cache" not in chunked and "--max-prefill-tokens" not in chunked
    for real_name in ("--enable-metric", "--max-running-request", "--tp"):
        assert real_name not in args  # only the registered flag names, never prefix abbreviations


FAKE_LAUNCH_SERVER = """\
import logging, os, sys
# What SGLang 0.5.23 does: prepare_server_args() calls logging.basicConfig(force=True), then engine.py
# logs every resolved argument, api_key included; a second logger with %-style args too.
logging.basicConfig(level=logging.INFO, format="%(message)s", force=True)
args = sys.argv[1:]
key = args[args.index("--api-key") + 1]
logging.getLogger("sglang.srt.entrypoints.engine").info(f"server_args={{'api_key': {key!r}, 'port': 30000}}")
logging.getLogger("other").warning("key is %s", key)
print("ARGV_OK" if args[-2:] == ["--api-key", key] and args[:2] == ["--port", "30000"] else "ARGV_BAD")
print("ENV_LEAK" if "SGLANG_API_KEY" in os.environ else "ENV_CLEAN")
print("MAIN" if __name__ == "__main__" else "NOT_MAIN")
"""


def test_sglang_api_key_never_reaches_logs_spec_or_command_line(tmp_path: Path) -> None:
    """SGLang logs its whole server arguments, key included: the launcher hands the key over inside
    the interpreter and redacts it from every log record."""
    for obj in (deployment(make_spec(engine="sglang")), leaderworkerset(r1("sglang"))):
        for c in containers(obj):
            assert "--api-key" not in c.get("args", []) and "$(SGLANG_API_KEY)" not in yaml.safe_dump(c)
    pkg = tmp_path / "sglang"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "launch_server.py").write_text(FAKE_LAUNCH_SERVER)
    key = "sk-" + "s3cr3t" * 6
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(tmp_path), "SGLANG_API_KEY": key}
    out = subprocess.run([sys.executable, "-c", sglang.launcher(), "--port", "30000"], env=env,
                         capture_output=True, text=True, timeout=30)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert key not in out.stdout + out.stderr
    assert "server_args={'api_key': '<redacted>'" in out.stderr and "key is <redacted>" in out.stderr
    assert out.stdout.split() == ["ARGV_OK", "ENV_CLEAN", "MAIN"]
    missing = subprocess.run([sys.executable, "-c", sglang.launcher()], env={**env, "SGLANG_API_KEY": ""},
                             capture_output=True, text=True, timeout=30)  # fmt: skip
    assert missing.returncode != 0 and "SGLANG_API_KEY is empty" in missing.stderr


def test_sglang_probes_do_not_kill_a_busy_server() -> None:
    """SGLang's /health runs a generation and may take its full SGLANG_HEALTH_CHECK_TIMEOUT on a busy
    server: every probe calling it waits longer; readiness uses the /ready flag check."""
    for obj in (deployment(make_spec(engine="sglang")), leaderworkerset(r1("sglang"))):
        c = containers(obj)[0]
        engine_timeout = int(env_of(c)["SGLANG_HEALTH_CHECK_TIMEOUT"]["value"])
        for name in ("startupProbe", "livenessProbe"):
            assert c[name]["httpGet"]["path"] == "/health"
            assert c[name]["timeoutSeconds"] > engine_timeout
        assert c["readinessProbe"]["httpGet"]["path"] == "/ready"
        assert c["readinessProbe"]["timeoutSeconds"] == 5
