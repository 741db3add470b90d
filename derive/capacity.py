"""Will this model run on these GPUs, and with how much context? Pure estimates, checked at plan time.

Why: max_model_len beyond the KV cache (P4), CUDA OOM (P5), heads not divisible by the TP size (P10)
and bf16 on a V100 (P2) all follow from the model config and the GPU, so they are flagged before any GPU
is bought. Estimates in vLLM's terms, within ~10-20%. Units: GB = 1e9 bytes (checkpoints), GiB = 2**30
bytes (GPU memory). More: docs/capacity.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from catalog.gpus import Gpu
from catalog.models import ModelSpec

GB = 10**9
GIB = 2**30

RESERVE_FIXED_GIB = 1.0
"""CUDA context, cuBLAS/NCCL workspaces and allocator slack: memory the engine needs that is neither
weights nor KV cache (vLLM logs it as "non_torch_memory" plus part of the activation peak)."""
RESERVE_WEIGHT_SHARE = 0.02
"""Activation peak of the profiling forward pass, approximated as 2% of the per-GPU weights: wider
models have wider hidden/intermediate activations. With the fixed part this gives ~1.3 GiB for a 7B
model on one GPU (vLLM logs 0.7-1.4 GiB depending on max_num_batched_tokens) and ~2.6 GiB per GPU
for DeepSeek-R1 at TP 8."""


def _check_parallel(tp: int, pp: int) -> None:
    if tp < 1 or pp < 1:
        raise ValueError(f"tensor ({tp}) and pipeline ({pp}) parallel sizes must be >= 1")


def weight_bytes_per_gpu(model: ModelSpec, tp: int = 1, pp: int = 1) -> int:
    """Checkpoint bytes / (tp * pp): TP shards every matrix, PP gives each stage a share of layers.

    Ignores the small replicated parts (norms, and the embedding under PP), which the reserve
    absorbs. Uses the on-disk size, so FP8 checkpoints count at their real ~1 byte/param."""
    _check_parallel(tp, pp)
    return math.ceil(model.weight_gb * GB / (tp * pp))


def kv_bytes_per_token(model: ModelSpec, kv_dtype_bytes: int = 2) -> int:
    """KV-cache bytes one token occupies across the whole model.

    MHA/GQA: 2 (K and V) * layers * kv_heads * head_dim * bytes.
    MLA:     layers * (kv_lora_rank + qk_rope_head_dim) * bytes, one compressed latent per layer.
    kv_dtype_bytes: 2 for the default fp16/bf16 cache, 1 for an fp8 KV cache."""
    if model.mla:
        assert model.qk_rope_head_dim is not None and model.kv_lora_rank is not None
        return model.layers * (model.kv_lora_rank + model.qk_rope_head_dim) * kv_dtype_bytes
    return 2 * model.layers * model.kv_heads * model.head_dim * kv_dtype_bytes


def kv_heads_per_gpu(model: ModelSpec, tp: int) -> int:
    """KV heads each TP rank stores. vLLM/SGLang split them when kv_heads >= tp and otherwise
    replicate one head per rank (so KV memory stops shrinking once tp passes kv_heads)."""
    _check_parallel(tp, 1)
    return model.kv_heads // tp if model.kv_heads >= tp else 1


def kv_bytes_per_token_per_gpu(model: ModelSpec, tp: int = 1, pp: int = 1, kv_dtype_bytes: int = 2) -> int:
    """KV bytes per token on the busiest GPU.

    PP: a stage holds ceil(layers / pp) layers. TP: GQA/MHA heads split as kv_heads_per_gpu; the MLA
    latent is shared by all heads, so every TP rank keeps a full copy (no TP saving)."""
    _check_parallel(tp, pp)
    layers = math.ceil(model.layers / pp)
    if model.mla:
        assert model.qk_rope_head_dim is not None and model.kv_lora_rank is not None
        return layers * (model.kv_lora_rank + model.qk_rope_head_dim) * kv_dtype_bytes
    return 2 * layers * kv_heads_per_gpu(model, tp) * model.head_dim * kv_dtype_bytes


def default_reserve_gib(weights_per_gpu_gib: float) -> float:
    """RESERVE_FIXED_GIB + RESERVE_WEIGHT_SHARE * per-GPU weights (see those constants for why)."""
    return RESERVE_FIXED_GIB + RESERVE_WEIGHT_SHARE * weights_per_gpu_gib


def lora_bytes_per_gpu(model: ModelSpec, rank: int, slots: int, tp: int = 1, pp: int = 1,
                       dtype_bytes: int = 2) -> int:
    """GPU memory the engine sets aside for `slots` LoRA adapters of `rank` (vLLM allocates every slot at
    --max-lora-rank for every supported linear layer at start-up). A rank-r adapter on an (in x out)
    matrix has r(in + out) weights, at most 2r/hidden of the matrix's own for in, out >= hidden: so at most
    params x 2r/hidden per slot, sharded like the weights. An upper bound (embeddings count too); docs/capacity.md."""
    _check_parallel(tp, pp)
    hidden = model.attention_heads * model.head_dim
    per_slot = model.params_b * GB * 2 * rank / hidden * dtype_bytes
    return math.ceil(per_slot * slots / (tp * pp))


@dataclass(frozen=True)
class Fit:
    weights_per_gpu_gib: float
    kv_budget_gib: float
    """GPU memory left for the KV cache; negative = that much short before any KV cache."""
    sequences_at_max_len: int
    """Full-length sequences the KV cache holds at once (vLLM needs >= 1 to start: P4)."""
    max_len_that_fits: int
    """Longest max_model_len the KV cache could serve: min(cached tokens, model context)."""
    fits_weights: bool
    """The weights alone fit in the engine's share of each GPU."""
    fits_one_sequence: bool
    """Weights + reserve + one max_model_len sequence fit: the engine should start."""
    kv_tokens: int
    """Tokens of KV cache per GPU group (= per replica)."""
    reserve_gib: float
    lora_gib: float = 0.0
    """LoRA adapter slots per GPU (lora_bytes_per_gpu), taken from the KV cache's budget."""


def fit(
    model: ModelSpec,
    gpu: Gpu,
    tp: int = 1,
    pp: int = 1,
    memory_fraction: float = 0.9,
    max_model_len: int | None = None,
    activation_reserve_gib: float | None = None,
    kv_dtype_bytes: int = 2,
    lora_gib: float = 0.0,
) -> Fit:
    """Estimate the KV cache left on each GPU, the way vLLM sizes it (docs/capacity.md).

    budget = gpu.visible_gib * memory_fraction - weights_per_gpu - reserve - lora_gib
    tokens = floor(budget / kv_bytes_per_token_per_gpu)

    memory_fraction is vLLM's --gpu-memory-utilization (SGLang: pass activation_reserve_gib=0); visible_gib
    is what CUDA reports; reserve defaults to default_reserve_gib(weights_per_gpu); max_model_len to the
    model's context length, as in vLLM."""
    if not 0 < memory_fraction <= 1:
        raise ValueError(f"memory_fraction must be in (0, 1], got {memory_fraction}")
    max_len = model.context_length if max_model_len is None else max_model_len
    if max_len < 1:
        raise ValueError(f"max_model_len must be >= 1, got {max_len}")

    weights_gib = weight_bytes_per_gpu(model, tp, pp) / GIB
    reserve = default_reserve_gib(weights_gib) if activation_reserve_gib is None else activation_reserve_gib
    share = gpu.visible_gib * memory_fraction
    budget = share - weights_gib - reserve - lora_gib
    per_token = kv_bytes_per_token_per_gpu(model, tp, pp, kv_dtype_bytes)
    tokens = max(0, math.floor(budget * GIB / per_token))
    return Fit(
        weights_per_gpu_gib=weights_gib,
        kv_budget_gib=budget,
        sequences_at_max_len=tokens // max_len,
        max_len_that_fits=min(tokens, model.context_length),
        fits_weights=weights_gib <= share,
        fits_one_sequence=tokens >= max_len,
        kv_tokens=tokens,
        reserve_gib=reserve,
        lora_gib=lora_gib,
    )


def heads_divisible(model: ModelSpec, tp: int) -> list[str]:
    """Problems that make an engine refuse this tensor-parallel size (P10); empty when none.

    Attention heads must split evenly (vLLM: "Total number of attention heads (N) must be divisible
    by tensor parallel size"; SGLang asserts total_num_heads % tp_size == 0). KV heads must either
    split evenly or be replicated evenly: kv_heads % tp == 0 or tp % kv_heads == 0."""
    _check_parallel(tp, 1)
    problems = []
    if model.attention_heads % tp:
        problems.append(
            f"{model.id}: total number of attention heads ({model.attention_heads}) must be divisible "
            f"by tensor parallel size ({tp})"
        )
    if not model.mla and model.kv_heads % tp and tp % model.kv_heads:
        problems.append(
            f"{model.id}: KV heads ({model.kv_heads}) must divide or be a multiple of tensor parallel "
            f"size ({tp})"
        )
    return problems


_DTYPES = {
    "auto": "auto",
    "bfloat16": "bfloat16", "bf16": "bfloat16",
    "float16": "half", "fp16": "half", "half": "half",
    "float32": "float32", "fp32": "float32", "float": "float32",
}


def dtype_for(gpu: Gpu, requested: str = "auto") -> tuple[str, str | None]:
    """The --dtype to pass the engine for this GPU, and a warning to surface (or None).

    "auto" on a GPU without bfloat16 becomes "half": BF16 checkpoints (nearly all of them) would
    otherwise stop vLLM with P2's error. An explicit bfloat16 there is a config error, raised with
    the same facts vLLM prints."""
    key = requested.strip().lower()
    if key not in _DTYPES:
        raise ValueError(f"unknown dtype {requested!r}; use one of {', '.join(sorted(_DTYPES))}")
    dtype = _DTYPES[key]
    major, minor = gpu.compute_capability
    if dtype == "bfloat16" and not gpu.bf16:
        raise ValueError(
            f"Bfloat16 is only supported on GPUs with compute capability of at least 8.0. The {gpu.name} "
            f"GPU has compute capability {major}.{minor}; use dtype 'half' (float16) instead."
        )
    if dtype == "auto" and not gpu.bf16:
        return "half", (
            f"{gpu.name} (compute capability {major}.{minor}) has no bfloat16; serving in float16 "
            f"('half'). BF16-trained weights can overflow in fp16 on rare inputs."
        )
    return dtype, None
