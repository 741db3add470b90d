"""The `--quantization` values the pinned engines accept (catalog/images.py ENGINE_VERSIONS), read from
their own sources; a value outside them stops the server at start-up, after its GPU node is billed.

tests/render/engines/test_engine_parsers.py compares both lists with the unpacked wheels (`make engines-venv`).
"""

from __future__ import annotations

VLLM = (
    "awq", "auto_awq", "fp8", "w4afp8", "modelopt", "modelopt_fp4", "modelopt_mxfp8", "modelopt_mixed",
    "auto_gptq", "gptq", "gptq_marlin", "awq_marlin", "humming", "compressed-tensors", "experts_int8", "quark",
    "moe_wna16", "torchao", "inc", "mxfp4", "gpt_oss_mxfp4", "deepseek_v4_fp8", "online", "fp8_per_tensor",
    "fp8_per_block", "fp8_per_channel", "int8_per_channel_weight_only", "nvfp4_per_token", "mxfp8", "lut_b_moe",
    "mxfp4_hadamard32",
)
"""vLLM 0.34.0, vllm/model_executor/layers/quantization/__init__.py `QuantizationMethods`, which
ModelConfig checks the value against ("Unknown quantization method"), without
`DEPRECATED_QUANTIZATION_METHODS` (`fbgemm_fp8`), refused unless `--allow-deprecated-quantization`."""
VLLM_DEPRECATED = ("fbgemm_fp8",)
SGLANG = (
    "awq", "fp8", "mxfp8", "gptq", "gptq_marlin", "awq_marlin", "bitsandbytes", "gguf", "modelopt", "modelopt_fp8",
    "modelopt_fp4", "nvfp4_online", "modelopt_mixed", "petit_nvfp4", "w8a8_int8", "w8a8_fp8", "moe_wna16", "w4afp8",
    "mxfp4", "auto-round", "auto-round-int8", "compressed-tensors", "modelslim", "mxfp_w4a8", "quark",
    "quark_int4fp8_moe", "quark_mxfp4", "mlx_q4", "mlx_q8", "unquant", "humming",
)
"""SGLang 0.5.23, sglang/srt/arg_groups/choices.py `QUANTIZATION_CHOICES`: the `choices` of its
`--quantization` argument (sglang/srt/arg_groups/fields/model.py)."""

QUANTIZATIONS: dict[str, tuple[str, ...]] = {"vllm": VLLM, "sglang": SGLANG}
"""By engine; Ollama takes none (the quantization is part of its model tag)."""
