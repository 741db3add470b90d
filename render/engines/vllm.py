"""vLLM: `vllm serve` on one node, or vLLM's own multi-node launch across the pods of a
LeaderWorkerSet group.

Every tuning flag is written, defaults included, so a vLLM upgrade cannot silently change a deployment.
The API key comes from the Secret through VLLM_API_KEY, never the command line. Multi-node uses the
multiprocessing executor (`--nnodes`, `--node-rank`, workers `--headless`), not Ray, which the images no
longer ship. Sources (vLLM v0.34.0, LWS): docs/engines.md, "vLLM".
"""

from __future__ import annotations

from typing import Any

from render.engines import loading, lora
from render.engines.spec import LWS_WORKER_INDEX_LABEL, EngineSpec, Process, Role, port, weights_source

MASTER_PORT = 29501
"""torch.distributed rendezvous on the leader (vLLM's own default, written explicitly)."""


def vllm_args(spec: EngineSpec, role: Role = "server") -> list[str]:
    """The full `vllm serve` command line. TP = GPUs per node; PP = nodes when > 1."""
    args = [
        "vllm", "serve", weights_source(spec),
        "--served-model-name", spec.served_name,
        "--host", "0.0.0.0",
        "--port", str(port("vllm")),
        "--tensor-parallel-size", str(spec.parallelism.tensor),
    ]  # fmt: skip
    if spec.nodes > 1:
        args += [
            "--pipeline-parallel-size", str(spec.parallelism.pipeline),
            "--distributed-executor-backend", "mp",
            "--nnodes", "$(LWS_GROUP_SIZE)",
            "--node-rank", "$(LWS_WORKER_INDEX)",
            "--master-addr", "$(LWS_LEADER_ADDRESS)",
            "--master-port", str(MASTER_PORT),
        ]  # fmt: skip
        if role == "worker":
            args.append("--headless")
    args += load_args(spec)
    if spec.max_model_len is not None:
        args += ["--max-model-len", str(spec.max_model_len)]
    args += ["--gpu-memory-utilization", str(spec.gpu_memory_fraction), "--dtype", spec.dtype]
    if spec.quantization is not None:
        args += ["--quantization", spec.quantization]
    args.append("--enable-prefix-caching" if spec.prefix_caching else "--no-enable-prefix-caching")
    args.append("--enable-chunked-prefill" if spec.chunked_prefill else "--no-enable-chunked-prefill")
    if spec.max_num_seqs is not None:
        args += ["--max-num-seqs", str(spec.max_num_seqs)]
    if spec.max_batched_tokens is not None:
        args += ["--max-num-batched-tokens", str(spec.max_batched_tokens)]
    if spec.trust_remote_code:
        args.append("--trust-remote-code")
    if spec.scale_out:
        args.append("--enable-scale-out")
    if spec.lora is not None:
        args += lora.vllm_args(spec.lora, spec.volume.mount_path, spec.served_name)
    return args + list(spec.extra_args)


def load_args(spec: EngineSpec) -> list[str]:
    """Streamed: the Run:ai loader with its extra config (the model argument is the mirror's s3:// URL;
    vLLM pulls config and tokenizer files from there itself, ModelConfig.maybe_pull_model_tokenizer_for_runai).
    On CFS / CFS-Turbo: `prefetch`, which splits the shards across ranks into the page cache (weight_utils.py
    `_prefetch_all_checkpoints`), where `eager` has every rank read every file. docs/cold-start.md."""
    if spec.stream is not None:
        return ["--load-format", "runai_streamer",
                "--model-loader-extra-config", loading.extra_config(spec.stream, spec.parallelism.tensor * spec.parallelism.pipeline)]
    if spec.network_fs:
        return ["--safetensors-load-strategy", "prefetch"]
    return []


def env(spec: EngineSpec, role: Role) -> list[dict[str, Any]]:
    """Identical on leader and workers (every node runs model shards) except the API key, which only
    the leader's HTTP server needs."""
    out: list[dict[str, Any]] = [
        # Suggested by PyTorch's own OOM message; reduces fragmentation on small cards (P5).
        {"name": "PYTORCH_CUDA_ALLOC_CONF", "value": "expandable_segments:True"},
        # The weights are a local directory: never reach out to the Hub (nodes may have no egress, P8).
        {"name": "HF_HUB_OFFLINE", "value": "1"},
        {"name": "VLLM_NO_USAGE_STATS", "value": "1"},
    ]
    if role != "server":
        out += [
            # The node's own address for vLLM's distributed setup (envs.VLLM_HOST_IP): on multi-NIC RDMA
            # hosts vLLM would otherwise guess an interface.
            {"name": "VLLM_HOST_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
            {
                "name": "LWS_WORKER_INDEX",
                "valueFrom": {"fieldRef": {"fieldPath": f"metadata.labels['{LWS_WORKER_INDEX_LABEL}']"}},
            },
        ]
    if spec.stream is not None:
        out += loading.stream_env(spec.stream)
    if spec.compile_cache is not None:
        out += loading.vllm_cache_env()
    if role != "worker":
        out.append(
            {"name": "VLLM_API_KEY", "valueFrom": {"secretKeyRef": {"name": spec.api_key_secret, "key": "api-key"}}}
        )
    return out


def process(spec: EngineSpec, role: Role) -> Process:
    if (spec.nodes > 1) != (role != "server"):
        raise ValueError(f"role {role!r} does not fit nodes={spec.nodes}")
    return Process(command=tuple(vllm_args(spec, role)), env=tuple(env(spec, role)))
