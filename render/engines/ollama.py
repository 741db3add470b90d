"""Ollama: `ollama serve` on one node, configured entirely through its environment.

Ollama cannot shard a model across machines (only llama.cpp's RPC backend can, and Ollama does not
expose it), so multi-node specs are rejected. What the spec's engine-tuning fields mean here:

- `max_model_len` -> OLLAMA_CONTEXT_LENGTH, `max_num_seqs` -> OLLAMA_NUM_PARALLEL;
- several GPUs -> OLLAMA_SCHED_SPREAD=1, otherwise Ollama packs the model onto as few GPUs as fit;
- `dtype`, `gpu_memory_fraction`, prefix caching, chunked prefill and the batch-token bound have no
  Ollama equivalent and are ignored; `quantization` is part of the model tag (e.g. `qwen3:14b-q4_K_M`),
  so setting it is an error rather than a silent no-op, and `ollama serve` takes no extra arguments.

Ollama has no API-key support: `api_key_secret` is unused, and access control belongs to the gateway
and the NetworkPolicy in front of the Service.

The store is mounted read-only, so pruning is off (OLLAMA_NOPRUNE): at start-up Ollama otherwise
deletes blobs no manifest references, which fails on a read-only mount and, on shared storage, could
delete a download Job's partial blobs. OLLAMA_KEEP_ALIVE=-1 keeps a model in GPU memory after its first
request instead of unloading it after 5 idle minutes.
"""

from __future__ import annotations

from typing import Any

from render.engines.spec import EngineSpec, Process, Role, model_path, port


def env(spec: EngineSpec) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        # Ollama binds 127.0.0.1 by default; the kubelet and the Service need the pod IP.
        {"name": "OLLAMA_HOST", "value": f"0.0.0.0:{port('ollama')}"},
        {"name": "OLLAMA_MODELS", "value": model_path(spec)},
        {"name": "OLLAMA_KEEP_ALIVE", "value": "-1"},
        {"name": "OLLAMA_NOPRUNE", "value": "1"},
    ]
    if spec.gpus_per_node > 1:
        out.append({"name": "OLLAMA_SCHED_SPREAD", "value": "1"})
    if spec.max_model_len is not None:
        out.append({"name": "OLLAMA_CONTEXT_LENGTH", "value": str(spec.max_model_len)})
    if spec.max_num_seqs is not None:
        out.append({"name": "OLLAMA_NUM_PARALLEL", "value": str(spec.max_num_seqs)})
    return out


def process(spec: EngineSpec, role: Role) -> Process:
    if spec.nodes > 1 or role != "server":
        raise ValueError(
            f"{spec.name}: Ollama cannot serve one model across several nodes (nodes={spec.nodes}); "
            "use vLLM or SGLang for multi-node, or one node with more GPUs"
        )
    if spec.quantization is not None:
        raise ValueError(
            f"{spec.name}: Ollama's quantization is part of the model tag (e.g. qwen3:14b-q4_K_M); "
            f"unset quantization ({spec.quantization!r}) and choose the tag"
        )
    if spec.extra_args:
        raise ValueError(f"{spec.name}: `ollama serve` takes no arguments; configure Ollama through its environment")
    return Process(command=("ollama", "serve"), env=tuple(env(spec)))
