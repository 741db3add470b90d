"""The engine renderers: exact command lines per engine and topology, the shared pod spec, the
Deployment / LeaderWorkerSet / Service around it, and schema validation of everything rendered."""

from __future__ import annotations

import copy
import math
import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from render.engines import (
    EngineSpec,
    ModelVolume,
    Placement,
    deployment,
    leaderworkerset,
    manifests,
    model_path,
    port,
    service,
    service_name,
    workload,
)
from render.engines import ollama, sglang, vllm
from render.engines.pod import PRESTOP_SLEEP_SECONDS
from render.engines.workloads import engine_process, strategy

K8S_VERSION = "1.30.0"
LWS_CRD = Path(__file__).resolve().parents[2] / "shared" / "crds" / "leaderworkerset.x-k8s.io_leaderworkersets.yaml"
if not LWS_CRD.exists():  # CI clones main with shared/ beside it
    LWS_CRD = Path("/work/shared/crds/leaderworkerset.x-k8s.io_leaderworkersets.yaml")

GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
SHARED = ModelVolume(pvc_name="models", host_path=None)
LOCAL = ModelVolume(pvc_name=None, host_path="/data/models")


def make_spec(**overrides: Any) -> EngineSpec:
    base = EngineSpec(
        name="qwen3-14b",
        namespace="llm",
        engine="vllm",
        served_name="qwen3-14b",
        model_dir="huggingface/Qwen/Qwen3-14B",
        image="vllm/vllm-openai:v0.11.0",
        gpus_per_node=1,
        nodes=1,
        replicas=2,
        max_model_len=32768,
        gpu_memory_fraction=0.9,
        dtype="auto",
        quantization=None,
        prefix_caching=True,
        chunked_prefill=True,
        max_num_seqs=256,
        max_batched_tokens=8192,
        trust_remote_code=False,
        extra_args=(),
        api_key_secret="llm-api-key",
        cpu="8",
        memory="64Gi",
        shm_size="8Gi",
        startup_seconds=1800,
        grace_seconds=60,
        placement=Placement(node_selector={"tke-llm/pool": "gpu-a10"}, tolerations=[GPU_TOLERATION]),
        volume=SHARED,
        labels={"tke-llm/model": "qwen3-14b"},
    )
    return replace(base, **overrides)


def r1(engine: str = "sglang", **overrides: Any) -> EngineSpec:
    """Full DeepSeek-R1 on 2 x 8-GPU RDMA machines, as in the reference guide."""
    kw: dict[str, Any] = dict(
        name="deepseek-r1",
        engine=engine,
        served_name="DeepSeek-R1",
        model_dir="modelscope/deepseek-ai/DeepSeek-R1",
        image="lmsysorg/sglang:v0.5.4" if engine == "sglang" else "vllm/vllm-openai:v0.11.0",
        gpus_per_node=8,
        nodes=2,
        replicas=1,
        max_model_len=None,
        max_num_seqs=None,
        max_batched_tokens=None,
        trust_remote_code=True,
        cpu="96",
        memory="1024Gi",
        shm_size="64Gi",
        startup_seconds=3600,
        grace_seconds=120,
        placement=Placement(node_selector={"tke-llm/pool": "hccpnv6"}, tolerations=[GPU_TOLERATION], host_network=True),
    )
    kw.update(overrides)
    return make_spec(**kw)


def pod_templates(obj: dict[str, Any]) -> list[dict[str, Any]]:
    if obj["kind"] == "LeaderWorkerSet":
        lwt = obj["spec"]["leaderWorkerTemplate"]
        return [lwt["leaderTemplate"], lwt["workerTemplate"]]
    return [obj["spec"]["template"]]


def containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for t in pod_templates(obj) for c in t["spec"]["containers"]]


def env_of(c: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in c.get("env", [])}


# ---------------------------------------------------------------------------------------------- helpers


def test_ports_and_paths() -> None:
    assert (port("vllm"), port("sglang"), port("ollama")) == (8000, 30000, 11434)
    with pytest.raises(ValueError):
        port("tgi")
    assert model_path(make_spec()) == "/models/huggingface/Qwen/Qwen3-14B"
    assert model_path(make_spec(volume=ModelVolume("models", None, mount_path="/data"))) == "/data/huggingface/Qwen/Qwen3-14B"


def test_service_name_is_never_an_engine_or_the_lws_name() -> None:
    spec = make_spec()
    assert service_name(spec) == "qwen3-14b-api"
    for engine in ("vllm", "sglang", "ollama"):
        with pytest.raises(ValueError, match="P1"):
            service_name(spec, engine)
        with pytest.raises(ValueError, match="P1"):
            service(spec, name=engine)
    with pytest.raises(ValueError, match="headless"):
        service_name(spec, spec.name)
    with pytest.raises(ValueError, match="DNS-1035"):
        service_name(spec, "Bad_Name")
    # An engine-named model still gets a safe Service: `vllm` -> `vllm-api`, as the guide fixed it.
    assert service(make_spec(name="vllm"))["metadata"]["name"] == "vllm-api"
    assert service_name(r1(), "deepseek-r1-api") == "deepseek-r1-api"


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"name": "Qwen3_14B"}, "DNS-1035"),
        ({"name": "x" * 49}, "DNS-1035"),
        ({"model_dir": "/abs/path"}, "relative"),
        ({"model_dir": "../escape"}, "relative"),
        ({"gpus_per_node": 0}, "gpus_per_node"),
        ({"nodes": 0}, "nodes"),
        ({"gpu_memory_fraction": 1.5}, "gpu_memory_fraction"),
        ({"dtype": "fp8"}, "dtype"),
        ({"grace_seconds": PRESTOP_SLEEP_SECONDS}, "preStop"),
        ({"labels": {"app.kubernetes.io/name": "other"}}, "selector labels"),
        ({"max_model_len": 0}, "max_model_len"),
    ],
)
def test_spec_rejects_what_the_cluster_or_engine_would(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_spec(**overrides)


def test_placement_and_volume_rules() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        ModelVolume(pvc_name="models", host_path="/data/models")
    with pytest.raises(ValueError, match="exactly one"):
        ModelVolume(pvc_name=None, host_path=None)
    with pytest.raises(ValueError, match="host networking"):
        Placement(node_selector={}, tolerations=[], super_node_gpu_type="A10*PNV4", host_network=True)
    with pytest.raises(ValueError, match="super nodes have no persistent local disk"):
        make_spec(volume=LOCAL, placement=Placement({}, [], super_node_gpu_type="T4"))


# ---------------------------------------------------------------------------------------------- vLLM


def test_vllm_single_node_command_line() -> None:
    spec = make_spec()
    assert vllm.vllm_args(spec) == [
        "vllm", "serve", "/models/huggingface/Qwen/Qwen3-14B",
        "--served-model-name", "qwen3-14b",
        "--host", "0.0.0.0",
        "--port", "8000",
        "--tensor-parallel-size", "1",
        "--max-model-len", "32768",
        "--gpu-memory-utilization", "0.9",
        "--dtype", "auto",
        "--enable-prefix-caching",
        "--enable-chunked-prefill",
        "--max-num-seqs", "256",
        "--max-num-batched-tokens", "8192",
    ]  # fmt: skip
    c = containers(deployment(spec))[0]
    assert c["command"] == vllm.vllm_args(spec) and "args" not in c


def test_vllm_every_option_and_extra_args_last() -> None:
    spec = make_spec(
        gpus_per_node=4, dtype="half", quantization="awq", prefix_caching=False, chunked_prefill=False,
        max_model_len=None, max_num_seqs=None, max_batched_tokens=None, trust_remote_code=True,
        extra_args=("--enforce-eager", "--swap-space", "8"),
    )  # fmt: skip
    assert vllm.vllm_args(spec) == [
        "vllm", "serve", "/models/huggingface/Qwen/Qwen3-14B",
        "--served-model-name", "qwen3-14b",
        "--host", "0.0.0.0",
        "--port", "8000",
        "--tensor-parallel-size", "4",
        "--gpu-memory-utilization", "0.9",
        "--dtype", "half",
        "--quantization", "awq",
        "--no-enable-prefix-caching",
        "--no-enable-chunked-prefill",
        "--trust-remote-code",
        "--enforce-eager", "--swap-space", "8",
    ]  # fmt: skip


def test_vllm_multi_node_uses_its_own_launch_not_ray() -> None:
    """vLLM images from 0.18 on ship no Ray: every pod runs `vllm serve` with the mp executor's
    multi-node arguments from the LWS variables; workers are headless."""
    spec = r1("vllm", max_model_len=16384)
    common = [
        "vllm", "serve", "/models/modelscope/deepseek-ai/DeepSeek-R1",
        "--served-model-name", "DeepSeek-R1",
        "--host", "0.0.0.0",
        "--port", "8000",
        "--tensor-parallel-size", "8",
        "--pipeline-parallel-size", "2",
        "--distributed-executor-backend", "mp",
        "--nnodes", "$(LWS_GROUP_SIZE)",
        "--node-rank", "$(LWS_WORKER_INDEX)",
        "--master-addr", "$(LWS_LEADER_ADDRESS)",
        "--master-port", "29501",
    ]  # fmt: skip
    tail = [
        "--max-model-len", "16384",
        "--gpu-memory-utilization", "0.9",
        "--dtype", "auto",
        "--enable-prefix-caching",
        "--enable-chunked-prefill",
        "--trust-remote-code",
    ]  # fmt: skip
    assert vllm.vllm_args(spec, "leader") == common + tail
    assert vllm.vllm_args(spec, "worker") == common + ["--headless"] + tail
    leader, worker = containers(leaderworkerset(spec))
    assert leader["command"] == common + tail and worker["command"] == common + ["--headless"] + tail
    for c in (leader, worker):
        text = yaml.safe_dump(c)
        assert "ray" not in text.lower().replace("array", "")
        env = env_of(c)
        assert env["VLLM_HOST_IP"]["valueFrom"] == {"fieldRef": {"fieldPath": "status.podIP"}}
        # $(LWS_WORKER_INDEX) expands only from a variable the container defines.
        assert env["LWS_WORKER_INDEX"]["valueFrom"]["fieldRef"]["fieldPath"] == (
            "metadata.labels['leaderworkerset.sigs.k8s.io/worker-index']"
        )


def test_vllm_api_key_comes_from_the_secret_never_the_command_line() -> None:
    for obj in (deployment(make_spec()), leaderworkerset(r1("vllm"))):
        for c in containers(obj):
            text = yaml.safe_dump(c["command"])
            assert "api-key" not in text and "API_KEY" not in text
    server = containers(deployment(make_spec()))[0]
    env = env_of(server)
    assert env["VLLM_API_KEY"] == {
        "name": "VLLM_API_KEY", "valueFrom": {"secretKeyRef": {"name": "llm-api-key", "key": "api-key"}}
    }  # fmt: skip
    assert env["PYTORCH_CUDA_ALLOC_CONF"]["value"] == "expandable_segments:True"
    assert env["HF_HUB_OFFLINE"]["value"] == "1"
    leader, worker = containers(leaderworkerset(r1("vllm")))
    assert "VLLM_API_KEY" in env_of(leader) and "VLLM_API_KEY" not in env_of(worker)
    # Apart from the key, leader and worker environments are identical (both run model shards).
    assert {k: v for k, v in env_of(leader).items() if k != "VLLM_API_KEY"} == env_of(worker)


# ---------------------------------------------------------------------------------------------- SGLang


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


# ---------------------------------------------------------------------------------------------- Ollama


def ollama_spec(**overrides: Any) -> EngineSpec:
    kw: dict[str, Any] = dict(engine="ollama", image="ollama/ollama:0.12.10", served_name="qwen3:14b", model_dir="",
                              max_batched_tokens=None)  # fmt: skip
    kw.update(overrides)
    return make_spec(**kw)


def test_ollama_environment() -> None:
    c = containers(deployment(ollama_spec(gpus_per_node=2)))[0]
    assert c["command"] == ["ollama", "serve"] and "args" not in c
    assert {k: v["value"] for k, v in env_of(c).items()} == {
        "OLLAMA_HOST": "0.0.0.0:11434",
        "OLLAMA_MODELS": "/models/ollama",
        "OLLAMA_KEEP_ALIVE": "-1",
        "OLLAMA_NOPRUNE": "1",
        "OLLAMA_SCHED_SPREAD": "1",
        "OLLAMA_CONTEXT_LENGTH": "32768",
        "OLLAMA_NUM_PARALLEL": "256",
    }
    one_gpu = env_of(containers(deployment(ollama_spec()))[0])
    assert "OLLAMA_SCHED_SPREAD" not in one_gpu
    assert c["ports"] == [{"name": "http", "containerPort": 11434, "protocol": "TCP"}]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert c[probe]["httpGet"] == {"path": "/", "port": "http"}


def test_ollama_rejects_multi_node_and_meaningless_options() -> None:
    with pytest.raises(ValueError, match="Ollama cannot serve one model across several nodes"):
        workload(ollama_spec(nodes=2))
    with pytest.raises(ValueError, match="Ollama cannot"):
        ollama.process(ollama_spec(nodes=2), "leader")
    with pytest.raises(ValueError, match="model tag"):
        deployment(ollama_spec(quantization="q4_K_M"))
    with pytest.raises(ValueError, match="no arguments"):
        deployment(ollama_spec(extra_args=("--verbose",)))


def test_ollama_local_store_mounts_the_ollama_directory() -> None:
    tpl = pod_templates(deployment(ollama_spec(volume=LOCAL)))[0]
    assert tpl["spec"]["volumes"][0]["hostPath"] == {"path": "/data/models/ollama", "type": "Directory"}
    assert tpl["spec"]["containers"][0]["volumeMounts"][0]["mountPath"] == "/models/ollama"


# ---------------------------------------------------------------------------------------------- pod spec

ALL_SPECS = {
    "vllm-1gpu": make_spec(),
    "vllm-4gpu-local": make_spec(gpus_per_node=4, volume=LOCAL),
    "vllm-lws": r1("vllm"),
    "vllm-lws-local-no-rdma": r1("vllm", volume=LOCAL, placement=Placement({"p": "gpu"}, [GPU_TOLERATION])),
    "sglang-8gpu": make_spec(engine="sglang", gpus_per_node=8),
    "sglang-lws": r1("sglang"),
    "sglang-lws-local": r1("sglang", volume=LOCAL),
    "ollama": ollama_spec(),
    "ollama-super-node": ollama_spec(placement=Placement({}, [], super_node_gpu_type="V100")),
    "vllm-super-node": make_spec(placement=Placement({}, [], super_node_gpu_type="A10*PNV4", root_disk_gb=200)),
}


@pytest.mark.parametrize("key", ALL_SPECS)
def test_gpu_request_equals_limit(key: str) -> None:
    spec = ALL_SPECS[key]
    for c in containers(workload(spec)):
        res = c["resources"]
        assert res["requests"]["nvidia.com/gpu"] == res["limits"]["nvidia.com/gpu"] == str(spec.gpus_per_node)
        assert res["requests"]["memory"] == res["limits"]["memory"] == spec.memory
        assert res["requests"]["cpu"] == spec.cpu and "cpu" not in res["limits"]


@pytest.mark.parametrize("key", ALL_SPECS)
def test_probes_liveness_only_behind_a_startup_probe(key: str) -> None:
    spec = ALL_SPECS[key]
    obj = workload(spec)
    for tpl in pod_templates(obj):
        role = tpl["metadata"]["labels"].get("role", "server")
        c = tpl["spec"]["containers"][0]
        if role == "worker":
            # Workers run no HTTP server: no probes, no port, no preStop drain.
            assert not {"startupProbe", "readinessProbe", "livenessProbe", "ports", "lifecycle"} & set(c)
            continue
        assert "livenessProbe" in c and "startupProbe" in c
        startup, readiness, liveness = c["startupProbe"], c["readinessProbe"], c["livenessProbe"]
        assert startup["periodSeconds"] == 10
        assert startup["failureThreshold"] == math.ceil(spec.startup_seconds / 10)
        assert startup["failureThreshold"] * startup["periodSeconds"] >= spec.startup_seconds
        assert (readiness["periodSeconds"], readiness["failureThreshold"]) == (5, 3)
        assert (liveness["periodSeconds"], liveness["failureThreshold"]) == (15, 4)
        assert "initialDelaySeconds" not in liveness
        path = "/" if spec.engine == "ollama" else "/health"
        for p in (startup, liveness):
            assert p["httpGet"] == {"path": path, "port": "http"}
        ready = "/ready" if spec.engine == "sglang" else path
        assert readiness["httpGet"] == {"path": ready, "port": "http"}
        assert c["ports"] == [{"name": "http", "containerPort": port(spec.engine), "protocol": "TCP"}]
        assert c["lifecycle"]["preStop"]["exec"]["command"] == ["sleep", str(PRESTOP_SLEEP_SECONDS)]
        assert tpl["spec"]["terminationGracePeriodSeconds"] == spec.grace_seconds > PRESTOP_SLEEP_SECONDS


@pytest.mark.parametrize("key", ALL_SPECS)
def test_pod_hardening_and_service_links(key: str) -> None:
    spec = ALL_SPECS[key]
    for tpl in pod_templates(workload(spec)):
        pod = tpl["spec"]
        assert pod["enableServiceLinks"] is False  # P1, even if someone names a Service `vllm`
        assert pod["automountServiceAccountToken"] is False
        assert pod["securityContext"] == {"seccompProfile": {"type": "RuntimeDefault"}}
        assert "hostPID" not in pod
        sc = pod["containers"][0]["securityContext"]
        assert sc["allowPrivilegeEscalation"] is False
        assert sc["capabilities"]["drop"] == ["ALL"]
        assert sc["capabilities"].get("add", []) == (["IPC_LOCK"] if pod.get("hostNetwork") else [])
        assert sc["seccompProfile"] == {"type": "RuntimeDefault"}
        shm = next(v for v in pod["volumes"] if v["name"] == "shm")
        assert shm["emptyDir"] == {"medium": "Memory", "sizeLimit": spec.shm_size}
        assert {"name": "shm", "mountPath": "/dev/shm"} in pod["containers"][0]["volumeMounts"]
        assert pod.get("nodeSelector", {}) == spec.placement.node_selector
        assert pod.get("tolerations", []) == spec.placement.tolerations


def test_super_node_annotations() -> None:
    tpl = pod_templates(workload(ALL_SPECS["vllm-super-node"]))[0]
    assert tpl["metadata"]["annotations"] == {
        "eks.tke.cloud.tencent.com/gpu-type": "A10*PNV4",
        "eks.tke.cloud.tencent.com/root-cbs-size": "200",
    }
    default_disk = pod_templates(workload(ALL_SPECS["ollama-super-node"]))[0]["metadata"]["annotations"]
    assert default_disk["eks.tke.cloud.tencent.com/root-cbs-size"] == "100"  # P7: 20 GiB cannot hold the image
    assert "annotations" not in pod_templates(workload(make_spec()))[0]["metadata"]


def test_model_volume_shared_storage_is_read_only_claim() -> None:
    pod = pod_templates(deployment(make_spec()))[0]["spec"]
    assert pod["volumes"][0] == {"name": "model", "persistentVolumeClaim": {"claimName": "models", "readOnly": True}}
    assert pod["containers"][0]["volumeMounts"][0] == {"name": "model", "mountPath": "/models", "readOnly": True}


@pytest.mark.parametrize("engine", ["vllm", "sglang"])
def test_local_storage_uses_host_path_on_leader_and_worker(engine: str) -> None:
    spec = r1(engine, volume=LOCAL)
    leader, worker = pod_templates(leaderworkerset(spec))
    for tpl in (leader, worker):
        pod = tpl["spec"]
        assert pod["volumes"][0] == {
            "name": "model",
            "hostPath": {"path": "/data/models/modelscope/deepseek-ai/DeepSeek-R1", "type": "Directory"},
        }
        assert not any("persistentVolumeClaim" in v for v in pod["volumes"])  # the reference leader's bug
        mount = pod["containers"][0]["volumeMounts"][0]
        assert mount == {"name": "model", "mountPath": model_path(spec), "readOnly": True}


# ---------------------------------------------------------------------------------------------- workloads


SURGE = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
ONE_AT_A_TIME = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}


@pytest.mark.parametrize(
    "gpus, replicas, expected",
    [
        (1, 2, SURGE),
        (1, 1, SURGE),
        # No pool knowledge: a spare multi-GPU slot is assumed absent. With two replicas one keeps
        # serving while the other is replaced; with one, Recreate is the only rollout that completes.
        (2, 2, ONE_AT_A_TIME),
        (8, 1, {"type": "Recreate"}),
    ],
)
def test_without_pool_knowledge_the_gpu_count_decides(gpus: int, replicas: int, expected: dict[str, Any]) -> None:
    spec = make_spec(gpus_per_node=gpus, replicas=replicas)
    assert strategy(spec) == expected
    assert deployment(spec)["spec"]["strategy"] == expected


@pytest.mark.parametrize(
    "surge, max_replicas, expected",
    [(True, 1, SURGE), (False, 2, ONE_AT_A_TIME), (False, 1, {"type": "Recreate"}), (False, 0, {"type": "Recreate"})],
)
def test_pool_capacity_decides_surge_or_recreate(surge: bool, max_replicas: int, expected: dict[str, Any]) -> None:
    """The composition knows whether the pool has a spare GPU slot at every model's maximum."""
    spec = make_spec(gpus_per_node=8, replicas=2)
    assert deployment(spec, surge_capacity=surge, max_replicas=max_replicas)["spec"]["strategy"] == expected


def test_deployment_shape() -> None:
    spec = make_spec()
    dep = deployment(spec)
    assert dep["metadata"]["name"] == "qwen3-14b" and dep["metadata"]["namespace"] == "llm"
    assert dep["spec"]["replicas"] == 2
    assert dep["spec"]["progressDeadlineSeconds"] == spec.startup_seconds + 600
    selector = dep["spec"]["selector"]["matchLabels"]
    assert selector == {"app.kubernetes.io/name": "qwen3-14b", "app.kubernetes.io/component": "model-server"}
    pod_labels = dep["spec"]["template"]["metadata"]["labels"]
    assert selector.items() <= pod_labels.items()
    assert pod_labels["tke-llm/model"] == "qwen3-14b" and pod_labels["app.kubernetes.io/part-of"] == "tke-llm"
    with pytest.raises(ValueError, match="LeaderWorkerSet"):
        deployment(r1())
    with pytest.raises(ValueError, match="Deployment"):
        leaderworkerset(make_spec())


def test_leaderworkerset_shape() -> None:
    spec = r1("sglang", replicas=3)
    lws = leaderworkerset(spec)
    assert lws["apiVersion"] == "leaderworkerset.x-k8s.io/v1" and lws["kind"] == "LeaderWorkerSet"
    s = lws["spec"]
    assert s["replicas"] == 3
    assert s["startupPolicy"] == "LeaderCreated"
    assert s["rolloutStrategy"] == {
        "type": "RollingUpdate", "rollingUpdateConfiguration": {"maxUnavailable": 1, "maxSurge": 0}
    }  # fmt: skip
    lwt = s["leaderWorkerTemplate"]
    assert lwt["size"] == 2 and lwt["restartPolicy"] == "RecreateGroupOnPodRestart"
    assert lwt["leaderTemplate"]["metadata"]["labels"]["role"] == "leader"
    assert lwt["workerTemplate"]["metadata"]["labels"]["role"] == "worker"
    assert workload(spec) == lws


@pytest.mark.parametrize("engine", ["vllm", "sglang"])
def test_rdma_uses_host_network_with_cluster_dns_on_leader_and_worker(engine: str) -> None:
    leader, worker = pod_templates(leaderworkerset(r1(engine)))
    for tpl in (leader, worker):
        assert tpl["spec"]["hostNetwork"] is True
        assert tpl["spec"]["dnsPolicy"] == "ClusterFirstWithHostNet"
    no_rdma = r1(engine, placement=Placement({"p": "gpu"}, [GPU_TOLERATION]))
    for tpl in pod_templates(leaderworkerset(no_rdma)):
        assert "hostNetwork" not in tpl["spec"] and "dnsPolicy" not in tpl["spec"]
    # One node needs no RDMA: a single-node server is never put on the host network.
    with pytest.raises(ValueError, match="multi-node"):
        make_spec(engine=engine, gpus_per_node=8, placement=Placement({}, [], host_network=True))


def test_service_selects_deployment_pods_or_every_group_leader() -> None:
    spec = make_spec()
    svc = service(spec)
    assert svc["metadata"]["name"] == "qwen3-14b-api"
    assert svc["metadata"]["labels"]["app.kubernetes.io/name"] == "qwen3-14b"
    assert svc["spec"]["type"] == "ClusterIP"
    assert svc["spec"]["ports"] == [{"name": "http", "port": 8000, "targetPort": "http", "protocol": "TCP"}]
    assert svc["spec"]["selector"] == deployment(spec)["spec"]["selector"]["matchLabels"]
    lws_svc = service(r1())
    assert lws_svc["spec"]["selector"] == {"leaderworkerset.sigs.k8s.io/name": "deepseek-r1", "role": "leader"}
    assert lws_svc["spec"]["ports"][0]["port"] == 30000
    assert lws_svc["metadata"]["name"] != leaderworkerset(r1())["metadata"]["name"]
    leader, worker = pod_templates(leaderworkerset(r1()))
    # LWS adds leaderworkerset.sigs.k8s.io/name itself; `role` is what separates leaders from workers.
    assert leader["metadata"]["labels"]["role"] == "leader" != worker["metadata"]["labels"]["role"]
    assert [m["kind"] for m in manifests(r1())] == ["LeaderWorkerSet", "Service"]
    assert [m["kind"] for m in manifests(make_spec())] == ["Deployment", "Service"]


def test_roles_must_fit_the_topology() -> None:
    with pytest.raises(ValueError):
        engine_process(make_spec(), "leader")
    with pytest.raises(ValueError):
        engine_process(r1(), "server")


# ---------------------------------------------------------------------------------------------- schemas


@pytest.mark.parametrize("key", ALL_SPECS)
def test_builtin_objects_validate_strictly(key: str) -> None:
    for obj in manifests(ALL_SPECS[key]):
        if obj["kind"] == "LeaderWorkerSet":
            # The pod templates inside are core PodTemplateSpecs: validate them as such too.
            for i, tpl in enumerate(pod_templates(obj)):
                pt = {"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": f"t{i}"}, "template": tpl}
                kubernetes_validate.validate(pt, K8S_VERSION, strict=True)
            continue
        kubernetes_validate.validate(obj, K8S_VERSION, strict=True)


def _crd_to_jsonschema(node: Any) -> Any:
    """OpenAPI v3 (structural CRD schema) -> JSON Schema, strict about unknown fields."""
    if isinstance(node, list):
        return [_crd_to_jsonschema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _crd_to_jsonschema(v) for k, v in node.items() if not k.startswith("x-kubernetes") and k != "nullable"}
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out.pop("anyOf", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    if (
        node.get("type") == "object"
        and "properties" in node
        and "additionalProperties" not in node
        and not node.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


@pytest.fixture(scope="module")
def lws_schema() -> dict[str, Any]:
    crd = yaml.safe_load(LWS_CRD.read_text())
    version = next(v for v in crd["spec"]["versions"] if v["name"] == "v1" and v["served"])
    schema = _crd_to_jsonschema(version["schema"]["openAPIV3Schema"])
    schema["properties"]["metadata"] = {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "maxLength": 253, "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"},
            "namespace": {"type": "string"},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
        },
        "additionalProperties": False,
    }
    schema["required"] = ["apiVersion", "kind", "metadata", "spec"]
    return schema


@pytest.mark.parametrize("key", [k for k, s in ALL_SPECS.items() if s.nodes > 1])
def test_leaderworkerset_matches_the_crd_schema(key: str, lws_schema: dict[str, Any]) -> None:
    jsonschema.validate(leaderworkerset(ALL_SPECS[key]), lws_schema)


def test_crd_schema_check_can_fail(lws_schema: dict[str, Any]) -> None:
    lws = leaderworkerset(r1())
    broken = copy.deepcopy(lws)
    broken["spec"]["leaderWorkerTemplate"]["restartPolicy"] = "RecreateGroupOnRestart"  # not in the enum
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, lws_schema)
    typo = copy.deepcopy(lws)
    typo["spec"]["leaderWorkerTemplate"]["workerTemplate"]["spec"]["hostNetwrk"] = True
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(typo, lws_schema)
    size = copy.deepcopy(lws)
    size["spec"]["leaderWorkerTemplate"]["size"] = "2"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(size, lws_schema)


@pytest.mark.parametrize(("engine", "gpus", "nodes", "tp", "pp"), [
    ("vllm", 8, 1, 8, 1), ("vllm", 8, 2, 8, 2), ("sglang", 8, 1, 8, 1), ("sglang", 8, 2, 16, 1),
])
def test_one_parallelism_mapping_drives_the_engine_flags(engine: str, gpus: int, nodes: int, tp: int, pp: int) -> None:
    """The TP/PP sizes the preflight sizes memory with are the ones the command line carries."""
    spec = make_spec(engine=engine, gpus_per_node=gpus) if nodes == 1 else r1(engine)
    assert spec.parallelism == (tp, pp)
    args = (vllm.vllm_args(spec, "server" if nodes == 1 else "leader") if engine == "vllm"
            else sglang.sglang_args(spec, "server" if nodes == 1 else "leader"))
    flag = "--tensor-parallel-size" if engine == "vllm" else "--tp-size"
    assert args[args.index(flag) + 1] == str(tp)
    if engine == "vllm" and nodes > 1:
        assert args[args.index("--pipeline-parallel-size") + 1] == str(pp)


def test_an_awaited_workload_carries_what_the_await_needs() -> None:
    """The caller passes how long Pulumi waits: a Deployment's progress deadline never ends first, a
    LeaderWorkerSet with groups gets the waitFor annotation; nothing changes without an await."""
    spec = make_spec()
    own = spec.startup_seconds + 600
    assert deployment(spec, await_seconds=own - 1)["spec"]["progressDeadlineSeconds"] == own
    assert deployment(spec, await_seconds=own + 900)["spec"]["progressDeadlineSeconds"] == own + 900
    assert "annotations" not in leaderworkerset(r1())["metadata"]
    (lws, _) = manifests(r1(), await_seconds=7200)
    assert lws["metadata"]["annotations"] == {"pulumi.com/waitFor": "condition=Available"}
    assert "annotations" not in leaderworkerset(r1(replicas=0), await_seconds=7200)["metadata"]
