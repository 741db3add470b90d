"""LoRA adapters on an engine: the flags that load them at start-up (vLLM `--enable-lora --lora-modules`,
SGLang `--enable-lora --lora-paths`), the name the gateway sends for each, and the mounts that show a
local-disk adapter to the pod. Flags checked with the engines' own parsers at the pinned releases
(tests/render/engines/test_engine_parsers.py). Sources: docs/engines.md, "LoRA adapters"."""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass

VLLM_RANKS = (1, 8, 16, 32, 64, 128, 256, 320, 512)
"""`--max-lora-rank` choices of vLLM 0.34.0 (vllm/config/lora.py `MaxLoRARanks`)."""
VOLUME_PREFIX = "lora-"
"""Pod volumes of local-disk adapters: `lora-<i>`."""


@dataclass(frozen=True)
class LoraAdapter:
    name: str
    """What clients send as `model` for it (the engine registers it under this name)."""
    dir: str
    """Directory under the model volume's root (the download Job writes it, like the base weights)."""
    rank: int

    def __post_init__(self) -> None:
        norm = posixpath.normpath(self.dir) if self.dir else ""
        if not self.dir or self.dir.startswith("/") or norm.startswith("..") or norm == ".":
            raise ValueError(f"adapter {self.name!r}: dir {self.dir!r} must be a path relative to the volume root")
        if not 1 <= self.rank <= VLLM_RANKS[-1]:
            raise ValueError(f"adapter {self.name!r}: rank {self.rank} is outside 1..{VLLM_RANKS[-1]}")
        if not self.name or ":" in self.name or "/" in self.name:
            raise ValueError(f"adapter name {self.name!r} must be non-empty, without ':' or '/'")


@dataclass(frozen=True)
class Lora:
    adapters: tuple[LoraAdapter, ...]
    max_loras: int
    """Adapters in one batch (vLLM --max-loras; SGLang --max-loras-per-batch is this plus the base)."""

    def __post_init__(self) -> None:
        names = [a.name for a in self.adapters]
        if not names or len(set(names)) != len(names):
            raise ValueError(f"LoRA adapters must be given, each name once: {names}")
        if self.max_loras < 1:
            raise ValueError(f"max_loras must be >= 1, got {self.max_loras}")

    @property
    def max_rank(self) -> int:
        return max(a.rank for a in self.adapters)


def vllm_rank(rank: int) -> int:
    """The smallest `--max-lora-rank` choice that holds `rank` (vLLM refuses an adapter above it)."""
    return next(r for r in VLLM_RANKS if r >= rank)


def path(mount_path: str, adapter: LoraAdapter) -> str:
    return posixpath.join(mount_path, adapter.dir)


def vllm_args(lora: Lora, mount_path: str, served_name: str) -> list[str]:
    """JSON entries name the base model, so vLLM's /v1/models lists each adapter with it as `parent`
    (vllm/entrypoints/common/cli_args.py LoRAParserAction; protocol.py LoRAModulePath.base_model_name).
    One `--lora-modules` with every entry: the action replaces the list on each occurrence."""
    modules = [json.dumps({"name": a.name, "path": path(mount_path, a), "base_model_name": served_name},
                          separators=(",", ":")) for a in lora.adapters]
    return ["--enable-lora", "--max-loras", str(lora.max_loras), "--max-lora-rank", str(vllm_rank(lora.max_rank)),
            "--max-cpu-loras", str(max(lora.max_loras, len(lora.adapters))), "--lora-modules", *modules]


def sglang_args(lora: Lora, mount_path: str) -> list[str]:
    """`--max-loras-per-batch` counts base-only requests too (sglang/srt/arg_groups/fields/lora.py)."""
    paths = [f"{a.name}={path(mount_path, a)}" for a in lora.adapters]
    return ["--enable-lora", "--max-loras-per-batch", str(lora.max_loras + 1), "--max-lora-rank", str(lora.max_rank),
            "--lora-paths", *paths]


def engine_model(engine: str, served_name: str, adapter: str) -> str:
    """The `model` the gateway sends to the engine for an adapter: vLLM looks the adapter up by its own
    name; SGLang by `<served name>:<adapter>` (sglang/srt/entrypoints/openai/serving_base.py
    `_parse_model_parameter`), a bare adapter name would be served by the base model."""
    if engine == "sglang":
        return f"{served_name}:{adapter}"
    if engine == "vllm":
        return adapter
    raise ValueError(f"{engine} serves no LoRA adapters from the stack")
