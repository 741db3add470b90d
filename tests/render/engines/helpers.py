"""Engine specs and manifest accessors the engine renderers' tests share."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from render.engines import EngineSpec, ModelVolume, Placement, Rdma


GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
SHARED = ModelVolume(pvc_name="models", host_path=None)
LOCAL = ModelVolume(pvc_name=None, host_path="/data/models")
RDMA = Rdma(devices=1, networks="tke-bridge,tke-rdma-ipvlan",
            env=(("NCCL_IB_GID_INDEX", "3"), ("NCCL_IB_HCA", "mlx5"), ("NCCL_SOCKET_IFNAME", "eth0"),
                 ("GLOO_SOCKET_IFNAME", "eth0")))
"""What derive/rdma.py renders for a pool with `rdma: true` on a new (GlobalRouter) cluster."""


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
        rdma=RDMA,
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


def ollama_spec(**overrides: Any) -> EngineSpec:
    kw: dict[str, Any] = dict(engine="ollama", image="ollama/ollama:0.12.10", served_name="qwen3:14b", model_dir="",
                              max_batched_tokens=None)  # fmt: skip
    kw.update(overrides)
    return make_spec(**kw)


ALL_SPECS = {
    "vllm-1gpu": make_spec(),
    "vllm-4gpu-local": make_spec(gpus_per_node=4, volume=LOCAL),
    "vllm-lws": r1("vllm"),
    "vllm-lws-local-no-rdma": r1("vllm", volume=LOCAL, placement=Placement({"p": "gpu"}, [GPU_TOLERATION]), rdma=None),
    "sglang-lws-rdma-pod-network": r1("sglang", placement=Placement({"p": "gpu"}, [GPU_TOLERATION]),
                                      rdma=Rdma(devices=4, networks="tke-route-eni,tke-rdma-macvlan", env=RDMA.env)),
    "sglang-8gpu": make_spec(engine="sglang", gpus_per_node=8),
    "sglang-lws": r1("sglang"),
    "sglang-lws-local": r1("sglang", volume=LOCAL),
    "ollama": ollama_spec(),
    "ollama-super-node": ollama_spec(placement=Placement({}, [], super_node_gpu_type="V100")),
    "vllm-super-node": make_spec(placement=Placement({}, [], super_node_gpu_type="A10*PNV4", root_disk_gb=200)),
}
