"""The vLLM renderer (render/engines/vllm.py): exact command lines per topology and the key kept off them."""

from __future__ import annotations

import pytest
import yaml

from render.engines import deployment, leaderworkerset
from render.engines import vllm

from .helpers import containers, env_of, make_spec, r1


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


def test_vllm_behind_a_cache_aware_router_serves_the_render_endpoints() -> None:
    """vllm-router's cache-aware policy tokenizes through /v1/chat/completions/render, which vLLM 0.34
    registers only with --enable-scale-out (docs/routing.md); other engines have no such flag."""
    assert "--enable-scale-out" not in vllm.vllm_args(make_spec())
    args = vllm.vllm_args(make_spec(scale_out=True, extra_args=("--enforce-eager",)))
    assert args[-2:] == ["--enable-scale-out", "--enforce-eager"]
    with pytest.raises(ValueError, match="vLLM flag"):
        make_spec(engine="sglang", scale_out=True)
