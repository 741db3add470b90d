"""vLLM: `vllm serve` on one node, or vLLM's own multi-node launch across the pods of a
LeaderWorkerSet group.

Every tuning flag is written explicitly, including the defaults (`--dtype auto`, the `--no-enable-*`
forms), so the rendered manifest says what runs and a vLLM upgrade that changes a default does not
silently change the deployment.

The API key never appears on the command line or in the manifest: vLLM falls back to the
`VLLM_API_KEY` environment variable when `--api-key` is absent (`args.api_key or [envs.VLLM_API_KEY]`
in vllm/entrypoints/serve/middleware/register.py, v0.33.0), and the variable comes from the Secret.
/health stays unauthenticated, so the probes work with a key set.

Multi-node (tensor parallel inside a node, pipeline parallel across nodes) uses the multiprocessing
executor's multi-node mode, not Ray: the vllm/vllm-openai images stopped shipping Ray, so a
`ray start` recipe cannot start. Facts from vLLM v0.33.0 (vllm/engine/arg_utils.py `--nnodes`/`-n`,
`--node-rank`/`-r`, `--master-addr`, `--master-port`; vllm/config/parallel.py: these apply "when
distributed_executor_backend is mp", master_port defaults to 29501; vllm/entrypoints/cli/serve.py
`--headless` runs `run_headless`, which on a node with rank > 0 starts only the worker processes
and joins the torch.distributed group at master_addr:master_port):

- every pod runs the same `vllm serve` command line with `--distributed-executor-backend mp
  --nnodes <group size> --master-addr <leader> --master-port 29501`, and its own `--node-rank`;
- the leader (rank 0) also runs the API server; workers add `--headless`;
- the values come from the variables the LWS pod webhook injects (`LWS_LEADER_ADDRESS`,
  `LWS_GROUP_SIZE`, `LWS_WORKER_INDEX`; sigs.k8s.io/lws pkg/webhooks/pod_webhook.go), expanded by the
  kubelet (`$(VAR)`), so no shell script runs: the container is the vLLM process itself;
- a group that cannot form fails inside vLLM (torch.distributed timeout) and exits non-zero, and
  `RecreateGroupOnPodRestart` recreates the whole group instead of leaving half a cluster.
"""

from __future__ import annotations

from typing import Any

from render.engines.spec import LWS_WORKER_INDEX_LABEL, EngineSpec, Process, Role, model_path, port

MASTER_PORT = 29501
"""torch.distributed rendezvous on the leader (vLLM's own default, written explicitly)."""


def vllm_args(spec: EngineSpec, role: Role = "server") -> list[str]:
    """The full `vllm serve` command line. TP = GPUs per node; PP = nodes when > 1."""
    args = [
        "vllm", "serve", model_path(spec),
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
    return args + list(spec.extra_args)


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
    if role != "worker":
        out.append(
            {"name": "VLLM_API_KEY", "valueFrom": {"secretKeyRef": {"name": spec.api_key_secret, "key": "api-key"}}}
        )
    return out


def process(spec: EngineSpec, role: Role) -> Process:
    if (spec.nodes > 1) != (role != "server"):
        raise ValueError(f"role {role!r} does not fit nodes={spec.nodes}")
    return Process(command=tuple(vllm_args(spec, role)), env=tuple(env(spec, role)))
