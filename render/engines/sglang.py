"""SGLang: `python3 -m sglang.launch_server`, on one node or as the ranks of a LeaderWorkerSet group.

Flags use SGLang's registered names (not the reference guide's prefix abbreviations); `--tp-size` =
nodes x GPUs per node; multi-node values come from the LWS variables through `$(VAR)`. SGLang reads
its key only from `--api-key` and logs every server argument, so a small launcher (`launcher()`) passes
the key inside the process and redacts it from every log record. Sources: docs/engines.md, "SGLang".
"""

from __future__ import annotations

from typing import Any

from render.engines import loading, lora
from render.engines.spec import LWS_WORKER_INDEX_LABEL, EngineSpec, Process, Role, port, weights_source
from render.files import source

DIST_INIT_PORT = 5000
LAUNCHER_FILE = "sglang_launch.py"

HEALTH_CHECK_TIMEOUT = 20
"""SGLang's /health generates one token and answers 503 only after this many seconds without any
output (SGLANG_HEALTH_CHECK_TIMEOUT, default 20, v0.5.23 http_server.py); rendered explicitly so the
probe timeouts in pod.py are derived from the value the server really uses."""

WATCHDOG_SECONDS = 3600
"""A forward batch of a 600 GB model across nodes can legitimately take minutes; the 300 s default
crashes the server (the reference guide's value)."""


def launcher() -> str:
    """The leader's entry point (render/files/): the API key reaches SGLang inside the interpreter
    only, never a log line."""
    return source(LAUNCHER_FILE)


def sglang_args(spec: EngineSpec, role: Role) -> list[str]:
    args = [
        "python3", "-m", "sglang.launch_server",
        "--model-path", weights_source(spec),
        "--served-model-name", spec.served_name,
        "--tp-size", str(spec.parallelism.tensor),
        "--mem-fraction-static", str(spec.gpu_memory_fraction),
    ]  # fmt: skip
    args += load_args(spec)
    if spec.max_num_seqs is not None:
        args += ["--max-running-requests", str(spec.max_num_seqs)]
    args.append("--enable-metrics")
    if spec.trust_remote_code:
        args.append("--trust-remote-code")
    args += ["--watchdog-timeout", str(WATCHDOG_SECONDS)]
    if spec.max_model_len is not None:
        args += ["--context-length", str(spec.max_model_len)]
    args += ["--dtype", spec.dtype]
    if spec.quantization is not None:
        args += ["--quantization", spec.quantization]
    if not spec.prefix_caching:
        args.append("--disable-radix-cache")
    if spec.chunked_prefill:
        if spec.max_batched_tokens is not None:
            args += ["--chunked-prefill-size", str(spec.max_batched_tokens)]
    else:
        # -1 disables chunking; the per-batch token bound then is the prefill budget.
        args += ["--chunked-prefill-size", "-1"]
        if spec.max_batched_tokens is not None:
            args += ["--max-prefill-tokens", str(spec.max_batched_tokens)]
    if role != "server":
        args += [
            "--dist-init-addr", f"$(LWS_LEADER_ADDRESS):{DIST_INIT_PORT}",
            "--nnodes", "$(LWS_GROUP_SIZE)",
            "--node-rank", "$(LWS_WORKER_INDEX)",
        ]  # fmt: skip
    if role != "worker":
        args += ["--host", "0.0.0.0", "--port", str(port("sglang"))]
    if spec.lora is not None:
        args += lora.sglang_args(spec.lora, spec.volume.mount_path)
    return args + list(spec.extra_args)


def load_args(spec: EngineSpec) -> list[str]:
    """Streamed: SGLang 0.5.23 picks `runai_streamer` for an s3:// model path itself (model_path_hook.py),
    written explicitly with the streamer's extra config. On CFS / CFS-Turbo: its checkpoint prefetch, each
    rank a fraction of the shards ("from N*checkpoint to 1*checkpoint", arg_groups/fields/model.py)."""
    if spec.stream is not None:
        return ["--load-format", "runai_streamer",
                "--model-loader-extra-config", loading.extra_config(spec.stream, spec.parallelism.tensor)]
    if spec.network_fs:
        return ["--weight-loader-prefetch-checkpoints"]
    return []


def env(spec: EngineSpec, role: Role) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        {"name": "HF_HUB_OFFLINE", "value": "1"},
        {"name": "SGLANG_HEALTH_CHECK_TIMEOUT", "value": str(HEALTH_CHECK_TIMEOUT)},
    ]
    if spec.stream is not None:
        out += loading.stream_env(spec.stream)
    if spec.compile_cache is not None:
        out += loading.sglang_cache_env()
    if role != "server":
        out.append(
            {
                "name": "LWS_WORKER_INDEX",
                "valueFrom": {"fieldRef": {"fieldPath": f"metadata.labels['{LWS_WORKER_INDEX_LABEL}']"}},
            }
        )
    if role != "worker":
        out.append(
            {"name": "SGLANG_API_KEY", "valueFrom": {"secretKeyRef": {"name": spec.api_key_secret, "key": "api-key"}}}
        )
    return out


def process(spec: EngineSpec, role: Role) -> Process:
    if (spec.nodes > 1) != (role != "server"):
        raise ValueError(f"role {role!r} does not fit nodes={spec.nodes}")
    args = sglang_args(spec, role)
    # Only the leader / single server gets the key (through the launcher); workers run no HTTP server.
    command = ("python3", "-c", launcher()) if role != "worker" else tuple(args[:3])
    return Process(command=command, args=tuple(args[3:]), env=tuple(env(spec, role)))
