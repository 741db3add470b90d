"""Ollama: `ollama serve` on one node, configured entirely through its environment.

Ollama cannot shard a model across machines, so multi-node specs are rejected; tuning fields map to
OLLAMA_* variables or are ignored, and `quantization` (part of the tag) is an error. No API key: the
gateway and the NetworkPolicy guard it. The store is read-only, so pruning is off (OLLAMA_NOPRUNE).
The mapping and why: docs/engines.md, "Ollama".
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
        raise ValueError(f"{spec.name}: `ollama serve` takes no arguments; configure Ollama through its environment "
                         "(the model's `env`, e.g. OLLAMA_FLASH_ATTENTION)")
    return Process(command=("ollama", "serve"), env=tuple(env(spec)))
