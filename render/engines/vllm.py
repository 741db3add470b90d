"""vLLM: `vllm serve` on one node, or a Ray cluster across the pods of a LeaderWorkerSet group.

Every tuning flag is written explicitly, including the defaults (`--dtype auto`, the `--no-enable-*`
forms), so the rendered manifest says what runs and a vLLM upgrade that changes a default does not
silently change the deployment.

The API key never appears on the command line or in the manifest: vLLM falls back to the
`VLLM_API_KEY` environment variable when `--api-key` is absent (`args.api_key or envs.VLLM_API_KEY` in
the OpenAI server), and the variable comes from the Secret. /health stays unauthenticated, so the
probes work with a key set.

Multi-node (tensor parallel inside a node, pipeline parallel across nodes) follows vLLM's own LWS
recipe without its helper script, which the stock image does not ship in a fixed place:

- the leader starts a Ray head, waits until `RAY_CLUSTER_SIZE` nodes are alive, then `exec`s
  `vllm serve` (the Ray daemons stay up in the background). Nodes are counted with the Ray Python API
  (`ray.nodes()`), not by parsing `ray status`, whose text is for humans and changes between versions;
- each worker waits until the head's GCS port accepts TCP connections, then `exec`s
  `ray start --block`, so the container lives exactly as long as its Ray node;
- Ray and vLLM both use the pod IP (`VLLM_HOST_IP`, `--node-ip-address`): the node's primary address
  under host networking;
- both waits are bounded by the startup budget: a group that cannot form exits non-zero, and
  `RecreateGroupOnPodRestart` recreates the whole group instead of leaving half a cluster.
"""

from __future__ import annotations

import shlex
from typing import Any

from .spec import LWS_WORKER_INDEX_LABEL, EngineSpec, Process, Role, model_path, port

RAY_PORT = 6379

LEADER_SCRIPT = """\
set -euo pipefail
ray start --head --port=@RAY_PORT@ --node-ip-address="$VLLM_HOST_IP" --include-dashboard=false --disable-usage-stats
deadline=$((SECONDS + RAY_WAIT_SECONDS))
while true; do
  alive=$(python3 -c 'import ray; ray.init(address="auto", logging_level="ERROR"); print(sum(1 for n in ray.nodes() if n["Alive"]))' 2>/dev/null | tail -n 1 || true)
  case "$alive" in ''|*[!0-9]*) alive=0 ;; esac
  if [ "$alive" -ge "$RAY_CLUSTER_SIZE" ]; then
    echo "Ray cluster ready: $alive/$RAY_CLUSTER_SIZE nodes"
    break
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "Ray cluster incomplete after ${RAY_WAIT_SECONDS}s: $alive/$RAY_CLUSTER_SIZE nodes" >&2
    exit 1
  fi
  echo "waiting for Ray nodes: $alive/$RAY_CLUSTER_SIZE"
  sleep 5
done
exec @VLLM_SERVE@
"""

WORKER_SCRIPT = """\
set -euo pipefail
head="$LWS_LEADER_ADDRESS:@RAY_PORT@"
deadline=$((SECONDS + RAY_WAIT_SECONDS))
until timeout 3 bash -c ': > "/dev/tcp/$0/$1"' "$LWS_LEADER_ADDRESS" @RAY_PORT@ 2>/dev/null; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "Ray head $head unreachable after ${RAY_WAIT_SECONDS}s" >&2
    exit 1
  fi
  echo "waiting for the Ray head at $head"
  sleep 5
done
exec ray start --address="$head" --node-ip-address="$VLLM_HOST_IP" --block
""".replace("@RAY_PORT@", str(RAY_PORT))


def vllm_args(spec: EngineSpec) -> list[str]:
    """The full `vllm serve` command line. TP = GPUs per node; PP = nodes (over Ray) when > 1."""
    args = [
        "vllm", "serve", model_path(spec),
        "--served-model-name", spec.served_name,
        "--host", "0.0.0.0",
        "--port", str(port("vllm")),
        "--tensor-parallel-size", str(spec.gpus_per_node),
    ]  # fmt: skip
    if spec.nodes > 1:
        args += ["--pipeline-parallel-size", str(spec.nodes), "--distributed-executor-backend", "ray"]
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


def leader_script(spec: EngineSpec) -> str:
    return LEADER_SCRIPT.replace("@RAY_PORT@", str(RAY_PORT)).replace("@VLLM_SERVE@", shlex.join(vllm_args(spec)))


def env(spec: EngineSpec, role: Role) -> list[dict[str, Any]]:
    """Identical on leader and workers (Ray runs model shards in the workers' environment) except the
    API key, which only the leader's HTTP server needs."""
    out: list[dict[str, Any]] = [
        # Suggested by PyTorch's own OOM message; reduces fragmentation on small cards (P5).
        {"name": "PYTORCH_CUDA_ALLOC_CONF", "value": "expandable_segments:True"},
        # The weights are a local directory: never reach out to the Hub (nodes may have no egress, P8).
        {"name": "HF_HUB_OFFLINE", "value": "1"},
        {"name": "VLLM_NO_USAGE_STATS", "value": "1"},
    ]
    if role != "server":
        out += [
            {"name": "RAY_USAGE_STATS_ENABLED", "value": "0"},
            # The group size is known at render time; it is the same number as leaderWorkerTemplate.size.
            {"name": "RAY_CLUSTER_SIZE", "value": str(spec.nodes)},
            {"name": "RAY_WAIT_SECONDS", "value": str(spec.startup_seconds)},
            # One address per node for both Ray and vLLM: on multi-NIC RDMA hosts they would otherwise
            # each pick an interface, and vLLM refuses a Ray node whose IP it cannot match.
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
    e = tuple(env(spec, role))
    if role == "server":
        return Process(command=tuple(vllm_args(spec)), env=e)
    script = leader_script(spec) if role == "leader" else WORKER_SCRIPT
    return Process(command=("bash", "-c", script), env=e)
