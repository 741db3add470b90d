"""Engine flags the program owns, read off the engine renderers themselves.

`settings.extraArgs` is appended to the engine's command line; a flag the renderer already writes
(`--max-model-len`, `--port`, `--api-key`, ...) would override what the stack was built from. The
renderers in render/engines are run over every shape of settings and every `--flag` they emit is owned,
so a flag added to a renderer is owned from then on. More: docs/engines.md.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import replace

from render.engines import ollama, sglang, vllm
from render.engines.lora import Lora, LoraAdapter
from render.engines.spec import EngineSpec

_FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
_ENV_FLAGS = {"VLLM_API_KEY": "--api-key"}
"""vLLM reads its key from VLLM_API_KEY when `--api-key` is absent (`args.api_key or envs.VLLM_API_KEY`,
vllm/entrypoints/openai/api_server.py), so a rendered VLLM_API_KEY owns `--api-key`."""
_RENDERERS = {"vllm": vllm.process, "sglang": sglang.process, "ollama": ollama.process}
_SOME_LORA = Lora(adapters=(LoraAdapter(name="a", dir="huggingface/org/a/v1", rank=16),), max_loras=1)
"""Renders the LoRA flags (`--enable-lora`, `--lora-modules`, ...) of a model without adapters, so they are
owned too: adapters are configured in `models[].adapters`, not extraArgs."""


def _roles(nodes: int) -> tuple[str, ...]:
    return ("leader", "worker") if nodes > 1 else ("server",)


def owned_flags(spec: EngineSpec) -> set[str]:
    """Every `--flag` the engine's renderer writes for this model's deployment shape."""
    render = _RENDERERS[spec.engine]
    flags: set[str] = set()
    loras = (None,) if spec.engine == "ollama" else (None, spec.lora or _SOME_LORA)
    for *on, lora in itertools.product((False, True), (False, True), (False, True), loras):
        variant = replace(
            spec, extra_args=(), prefix_caching=on[0], chunked_prefill=on[1], trust_remote_code=on[2], lora=lora,
            max_model_len=spec.max_model_len or 4096, max_num_seqs=spec.max_num_seqs or 8,
            max_batched_tokens=spec.max_batched_tokens or 8192,
            quantization=None if spec.engine == "ollama" else (spec.quantization or "fp8"),
        )
        for role in _roles(spec.nodes):
            process = render(variant, role)
            for part in (*process.command, *process.args):
                flags.update(_FLAG.findall(part))
            flags.update(_ENV_FLAGS[e["name"]] for e in process.env if e.get("name") in _ENV_FLAGS)
    return flags


def normalized(arg: str) -> str:
    """`--max_model_len=4096` -> `--max-model-len`: vLLM's FlexibleArgumentParser accepts underscores
    for dashes (vllm/utils, `FlexibleArgumentParser.parse_args`), so both spellings override."""
    name = arg.split("=", 1)[0]
    return "--" + name[2:].replace("_", "-") if name.startswith("--") else name


def extra_args_issues(spec: EngineSpec, extra_args: list[str]) -> list[tuple[int, str]]:
    """(index in extraArgs, message) for each argument the program cannot accept."""
    render, role = _RENDERERS[spec.engine], _roles(spec.nodes)[0]
    try:
        render(replace(spec, extra_args=()), role)
    except ValueError:
        return []  # refused for another reason, reported by the config checks
    try:
        render(replace(spec, extra_args=tuple(extra_args)), role)
    except ValueError as err:  # the renderer refuses extra arguments outright (Ollama)
        return [(0, str(err).split(": ", 1)[-1])] if extra_args else []
    owned = owned_flags(spec)
    out = []
    for j, arg in enumerate(extra_args):
        flag = normalized(arg)
        if flag in owned:
            out.append((j, f"{flag} is set by the program from the model's settings and serving layout (the "
                        "probes, Service, gateway and preflight depend on it); remove it from extraArgs and use "
                        "the matching key (settings.maxModelLen, gpuMemoryFraction, dtype, quantization, "
                        "maxNumSeqs, maxBatchedTokens, maxLoras, gpusPerNode, nodes, adapters, ...)"))
    return out
