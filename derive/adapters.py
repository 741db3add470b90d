"""A model's LoRA adapters from its config: where each is downloaded (the base weights' layout,
`<kind>/<id>/<revision>` under the model volume, so one adapter used by two models is stored once), the
engine spec's `Lora`, and the gateway's name for each."""

from __future__ import annotations

from config.models import Adapter, HuggingFaceSource, ModelConfig
from render.engines.lora import Lora, LoraAdapter
from render.model_cache import ModelSource

ADAPTER_DOWNLOAD_GB = 2.0
"""Disk and download time allowed per adapter: rank-64 adapters of 70B models are about 1.7 GB
(safetensors of all linear layers); most are tens to hundreds of MB."""


def adapter_dir(a: Adapter) -> str:
    return f"{a.source.kind}/{a.source.model_id}/{a.source.revision}"


def adapter_source(a: Adapter) -> ModelSource:
    src = a.source
    return ModelSource(kind=src.kind, model_id=src.model_id, revision=src.revision,
                       endpoint=src.endpoint if isinstance(src, HuggingFaceSource) else None)


def max_loras(m: ModelConfig) -> int:
    return m.settings.max_loras or len(m.adapters)


def lora(m: ModelConfig) -> Lora | None:
    if not m.adapters:
        return None
    return Lora(adapters=tuple(LoraAdapter(name=a.name, dir=adapter_dir(a), rank=a.rank) for a in m.adapters),
                max_loras=max_loras(m))


def downloads(m: ModelConfig) -> tuple[tuple[ModelSource, str], ...]:
    """(source, directory) of each adapter, for the model's download Job."""
    return tuple((adapter_source(a), adapter_dir(a)) for a in m.adapters)
