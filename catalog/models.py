"""Models the stack knows how to size: the config.json numbers that decide memory and parallelism.

Whether a model fits a GPU (P4, P5) and which tensor-parallel sizes are legal (P10) follow from a few
config.json fields; reading them at plan time would need network access, so they live here, each row
with where it was read. Units and sources: docs/capacity.md.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelSpec:
    id: str
    """Canonical id: the Hugging Face repository."""
    params_b: float
    weight_gb: float
    """Checkpoint size on disk, decimal GB (1e9 bytes)."""
    dtype: str
    """Weight dtype of the checkpoint: 'bfloat16', or 'float8' (DeepSeek-V3/R1 block-quantised e4m3)."""
    layers: int
    attention_heads: int
    kv_heads: int
    head_dim: int
    context_length: int
    """max_position_embeddings: what vLLM uses as max_model_len unless told otherwise (P4)."""
    kv_lora_rank: int | None = None
    """MLA models (DeepSeek-V2/V3/R1) cache one compressed latent per token per layer instead of
    per-head K and V: kv_lora_rank + qk_rope_head_dim elements."""
    qk_rope_head_dim: int | None = None
    weight_source: str = "parameters x 2 bytes (a bfloat16 checkpoint)"
    """How weight_gb was obtained, shown in the plan beside the size."""

    @property
    def mla(self) -> bool:
        return self.kv_lora_rank is not None


def _bf16(params_b: float) -> float:
    return round(params_b * 2, 2)


def _qwen2(id: str, params_b: float, layers: int, heads: int, kv: int, ctx: int) -> ModelSpec:
    """Qwen2 architecture (also the R1 Qwen distills): head_dim = hidden_size / heads = 128."""
    return ModelSpec(id, params_b, _bf16(params_b), "bfloat16", layers, heads, kv, 128, ctx)


def _qwen3(id: str, params_b: float, layers: int, heads: int, kv: int) -> ModelSpec:
    """Qwen3 (dense and MoE): explicit head_dim 128, max_position_embeddings 40960."""
    return ModelSpec(id, params_b, _bf16(params_b), "bfloat16", layers, heads, kv, 128, 40960)


def _llama(id: str, params_b: float, layers: int, heads: int) -> ModelSpec:
    """Llama 3.1/3.3 (also the R1 Llama distills): 8 KV heads, head_dim 128, 131072 context."""
    return ModelSpec(id, params_b, _bf16(params_b), "bfloat16", layers, heads, 8, 128, 131072)


def _deepseek_v3(id: str) -> ModelSpec:
    """DeepSeek-V3 architecture, FP8 weights. config.json: 61 layers, 128 heads (num_key_value_heads
    128), kv_lora_rank 512, qk_rope_head_dim 64, qk_nope_head_dim 128, max_position_embeddings 163840
    (read via SGLang/DeepSeek-R1-NextN and derivatives of deepseek-ai/DeepSeek-R1). head_dim here is
    the query/key width, qk_nope + qk_rope = 192; the KV cache uses the latent instead.
    Size: the reference's "642G" is `du -h`, i.e. GiB; 163 safetensors shards of ~4.3 GB on Hugging
    Face total ~688.6 GB = 641 GiB. 671B parameters plus the 14B multi-token-prediction layer."""
    return ModelSpec(id, 671, 688.6, "float8", 61, 128, 128, 192, 163840, kv_lora_rank=512, qk_rope_head_dim=64,
                     weight_source="the hub's 163 safetensors shards (688.6 GB)")


_SPECS: tuple[ModelSpec, ...] = (
    _deepseek_v3("deepseek-ai/DeepSeek-R1"),
    _deepseek_v3("deepseek-ai/DeepSeek-V3"),
    # R1 distills: config.json of derivatives naming deepseek-ai/DeepSeek-R1-Distill-* in _name_or_path.
    _qwen2("deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B", 1.78, 28, 12, 2, 131072),
    _qwen2("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", 7.62, 28, 28, 4, 131072),
    _qwen2("deepseek-ai/DeepSeek-R1-Distill-Qwen-14B", 14.77, 48, 40, 8, 131072),
    _qwen2("deepseek-ai/DeepSeek-R1-Distill-Qwen-32B", 32.76, 64, 40, 8, 131072),
    _llama("deepseek-ai/DeepSeek-R1-Distill-Llama-8B", 8.03, 32, 32),
    _llama("deepseek-ai/DeepSeek-R1-Distill-Llama-70B", 70.55, 80, 64),
    # Qwen3: Qwen3-8B config copied verbatim ("Copy config.json from Qwen/Qwen3-8B"); 0.6B/4B/14B/32B
    # from derivatives with the same architecture; 32B and 235B-A22B also match Ascend MindSpeed-RL
    # model yamls; 30B-A3B from Qwen3MoE derivatives (48 layers, 32/4 heads).
    _qwen3("Qwen/Qwen3-0.6B", 0.75, 28, 16, 8),
    _qwen3("Qwen/Qwen3-1.7B", 2.03, 28, 16, 8),
    _qwen3("Qwen/Qwen3-4B", 4.02, 36, 32, 8),
    _qwen3("Qwen/Qwen3-8B", 8.19, 36, 32, 8),
    _qwen3("Qwen/Qwen3-14B", 14.77, 40, 40, 8),
    _qwen3("Qwen/Qwen3-32B", 32.76, 64, 64, 8),
    _qwen3("Qwen/Qwen3-30B-A3B", 30.5, 48, 32, 4),
    _qwen3("Qwen/Qwen3-235B-A22B", 235.1, 94, 64, 4),
    # Qwen2.5 Instruct: max_position_embeddings 32768 (YaRN extends it, only when configured).
    _qwen2("Qwen/Qwen2.5-7B-Instruct", 7.62, 28, 28, 4, 32768),
    _qwen2("Qwen/Qwen2.5-14B-Instruct", 14.77, 48, 40, 8, 32768),
    _qwen2("Qwen/Qwen2.5-32B-Instruct", 32.76, 64, 40, 8, 32768),
    _qwen2("Qwen/Qwen2.5-72B-Instruct", 72.71, 80, 64, 8, 32768),
    # Llama: architecture as the R1 Llama distills built on them (Llama-3.1-8B, Llama-3.3-70B-Instruct).
    _llama("meta-llama/Llama-3.1-8B-Instruct", 8.03, 32, 32),
    _llama("meta-llama/Llama-3.1-70B-Instruct", 70.55, 80, 64),
    _llama("meta-llama/Llama-3.3-70B-Instruct", 70.55, 80, 64),
)

MODELS: dict[str, ModelSpec] = {m.id: m for m in _SPECS}

# Other names for the same checkpoints. ModelScope uses the Hugging Face ids for deepseek-ai/* and
# Qwen/* (reference section 8: "ModelScope name deepseek-ai/DeepSeek-R1"), so those need no alias.
# Meta's models live under LLM-Research on ModelScope (e.g. LLM-Research/Meta-Llama-3.1-8B-Instruct);
# Hugging Face renamed meta-llama/Meta-Llama-3.1-* to meta-llama/Llama-3.1-* and redirects the old ids.
ALIASES: dict[str, str] = {
    "meta-llama/Meta-Llama-3.1-8B-Instruct": "meta-llama/Llama-3.1-8B-Instruct",
    "meta-llama/Meta-Llama-3.1-70B-Instruct": "meta-llama/Llama-3.1-70B-Instruct",
    "LLM-Research/Meta-Llama-3.1-8B-Instruct": "meta-llama/Llama-3.1-8B-Instruct",
    "LLM-Research/Meta-Llama-3.1-70B-Instruct": "meta-llama/Llama-3.1-70B-Instruct",
    "LLM-Research/Llama-3.3-70B-Instruct": "meta-llama/Llama-3.3-70B-Instruct",
}

_FOLDED: dict[str, str] = {k.lower(): v for k, v in {**{m: m for m in MODELS}, **ALIASES}.items()}
_BY_NAME: dict[str, list[str]] = {}
for _id in MODELS:
    _BY_NAME.setdefault(_id.split("/")[-1].lower(), []).append(_id)


def lookup(model_id: str) -> ModelSpec | None:
    """The spec for a Hugging Face or ModelScope id, case-insensitively.

    Also accepts a path ending in `<org>/<name>` (the reference serves `/data/$LLM_MODEL`) and a bare
    name when exactly one catalog model has it (the SGLang guide serves `/data/model/DeepSeek-R1`)."""
    text = model_id.strip().strip("/")
    parts = text.split("/")
    candidates = [text]
    if len(parts) > 2:
        candidates.append("/".join(parts[-2:]))
    for cand in candidates:
        hit = _FOLDED.get(cand.lower())
        if hit:
            return MODELS[hit]
    named = _BY_NAME.get(parts[-1].lower(), [])
    return MODELS[named[0]] if len(named) == 1 else None


@dataclass(frozen=True)
class OllamaTag:
    tag: str
    bytes: int
    """Sum of the tag's layers as `ollama list` / GET /api/tags report it (`size`, bytes)."""
    source: str


OLLAMA_TAGS: dict[str, OllamaTag] = {t.tag: t for t in (
    # GET /api/tags of an Ollama server holding both tags (Q4_K_M GGUF, digests 0a8c2669... and
    # ea35dfe1...), quoted verbatim at https://wenku.csdn.net/answer/4fz5j1xej4 (2025-04); the Ollama
    # library page lists the same tags as 4.7 GB and 9.0 GB. Tags are mutable: a re-tag changes them.
    OllamaTag("deepseek-r1:7b", 4_683_075_271, "Ollama /api/tags size, digest 0a8c26691023"),
    OllamaTag("deepseek-r1:14b", 8_988_112_040, "Ollama /api/tags size, digest ea35dfe18182"),
)}


def ollama_tag(tag: str) -> OllamaTag | None:
    """The catalogued size of an Ollama tag; `name` alone means `name:latest`, as `ollama pull` reads it."""
    text = tag.strip().lower()
    return OLLAMA_TAGS.get(text if ":" in text.rsplit("/", 1)[-1] else f"{text}:latest")
