"""Capacity estimates against the reference deployment's facts and hand-computed numbers."""

from __future__ import annotations

import pytest

from derive.capacity import (
    dtype_for,
    fit,
    heads_divisible,
    kv_bytes_per_token,
    kv_bytes_per_token_per_gpu,
    kv_heads_per_gpu,
    weight_bytes_per_gpu,
)
from catalog import GPUS, lookup

R1 = lookup("deepseek-ai/DeepSeek-R1")
QWEN7 = lookup("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B")
QWEN32 = lookup("deepseek-ai/DeepSeek-R1-Distill-Qwen-32B")


def test_r1_fits_two_8x_h20_nodes():
    """Reference 2.9: SGLang --tp 16 over two 8-GPU H20 machines (HCCPNV6)."""
    f = fit(R1, GPUS["H20"], tp=16, pp=1, memory_fraction=0.9, max_model_len=R1.context_length)
    assert f.fits_weights and f.fits_one_sequence
    assert f.weights_per_gpu_gib == pytest.approx(688.6e9 / 16 / 2**30, rel=1e-6)


def test_r1_fits_one_8x_h20_node_but_barely():
    """Reference 8: a single PNV6 also runs R1; little room is left for KV cache."""
    f = fit(R1, GPUS["H20"], tp=8, memory_fraction=0.9, max_model_len=16384)
    assert f.fits_weights and f.fits_one_sequence
    assert f.kv_budget_gib < 5


def test_r1_does_not_fit_8x_a10():
    f = fit(R1, GPUS["A10"], tp=8, memory_fraction=0.9, max_model_len=4096)
    assert not f.fits_weights
    assert not f.fits_one_sequence
    assert f.kv_budget_gib < 0 and f.kv_tokens == 0 and f.max_len_that_fits == 0


def test_qwen7b_distill_on_one_a10():
    """By hand, DeepSeek-R1-Distill-Qwen-7B on one A10, max_model_len 32768, fraction 0.9:

    weights   = 7.62e9 params * 2 B = 15.24e9 B = 15.24e9 / 2**30      = 14.1934 GiB
    reserve   = 1 GiB + 2% of weights = 1 + 0.28387                      =  1.2839 GiB
    share     = CUDA-visible A10 memory 22.18 GiB * 0.9                  = 19.9620 GiB
    KV budget = 19.9620 - 14.1934 - 1.2839                               =  4.4848 GiB
    per token = 2 (K,V) * 28 layers * 4 KV heads * 128 dim * 2 B         = 57344 B (56 KiB)
    tokens    = floor(4.48478 GiB * 2**30 / 57344) = floor(83975.5)      = 83975
    sequences at 32768 = 83975 // 32768 = 2
    max_len_that_fits  = min(83975, context 131072) = 83975

    Sanity check against reality: the reference's P4 error on this model reported a KV cache of
    93760 tokens (vLLM with small batches, so a smaller activation peak); the estimate is ~10% lower,
    on the safe side. Without --max-model-len vLLM would try 131072 > 83975 and refuse to start (P4).
    """
    f = fit(QWEN7, GPUS["A10"], tp=1, pp=1, memory_fraction=0.9, max_model_len=32768)
    assert kv_bytes_per_token(QWEN7) == 57344
    assert f.weights_per_gpu_gib == pytest.approx(14.1934, abs=1e-4)
    assert f.reserve_gib == pytest.approx(1.2839, abs=1e-4)
    assert f.kv_budget_gib == pytest.approx(4.4848, abs=1e-4)
    assert f.kv_tokens == 83975
    assert f.sequences_at_max_len == 2
    assert f.max_len_that_fits == 83975
    assert f.fits_weights and f.fits_one_sequence
    assert not fit(QWEN7, GPUS["A10"], memory_fraction=0.9).fits_one_sequence  # default len 131072


def test_7b_distill_does_not_fit_a_t4():
    """P5: CUDA OOM on a 14.58 GiB T4: 14.19 GiB of weights exceed 0.9 * 14.58 = 13.12 GiB."""
    f = fit(QWEN7, GPUS["T4"], memory_fraction=0.9, max_model_len=1024)
    assert not f.fits_weights and not f.fits_one_sequence


def test_mla_kv_is_compressed_and_not_split_by_tp():
    assert kv_bytes_per_token(R1) == 61 * (512 + 64) * 2  # 70272 B vs ~4 MB if it were plain MHA
    assert kv_bytes_per_token_per_gpu(R1, tp=16) == kv_bytes_per_token(R1)
    assert kv_bytes_per_token_per_gpu(R1, tp=8, pp=2) == 31 * 576 * 2  # ceil(61 / 2) layers


def test_gqa_kv_split_and_replication():
    assert kv_heads_per_gpu(QWEN7, 2) == 2  # 4 KV heads split
    assert kv_heads_per_gpu(QWEN7, 4) == 1
    assert kv_heads_per_gpu(QWEN7, 8) == 1  # replicated, not 0.5
    assert kv_bytes_per_token_per_gpu(QWEN7, tp=2) == kv_bytes_per_token(QWEN7) // 2
    assert kv_bytes_per_token_per_gpu(QWEN7, tp=8) == kv_bytes_per_token(QWEN7) // 4
    assert kv_bytes_per_token_per_gpu(QWEN7, pp=2) == kv_bytes_per_token(QWEN7) // 2


def test_weights_split_over_tp_and_pp():
    assert weight_bytes_per_gpu(QWEN32, 2, 2) == pytest.approx(QWEN32.weight_gb * 1e9 / 4, abs=1)
    with pytest.raises(ValueError):
        weight_bytes_per_gpu(QWEN32, 0, 1)


def test_heads_divisibility_p10():
    """P10: DeepSeek-R1-Distill-Qwen-32B has 40 heads; 3 nodes x 1 GPU fails, 2 works."""
    assert QWEN32.attention_heads == 40
    problems = heads_divisible(QWEN32, 3)
    assert problems and "40" in problems[0] and "(3)" in problems[0]
    assert heads_divisible(QWEN32, 2) == []
    assert heads_divisible(QWEN32, 8) == []
    assert len(heads_divisible(QWEN32, 16)) == 1  # 40 heads do not split 16 ways; 8 KV heads would


def test_kv_head_rule():
    qwen3_30b = lookup("Qwen/Qwen3-30B-A3B")  # 32 heads, 4 KV heads
    assert heads_divisible(qwen3_30b, 8) == []  # 8 % 4 == 0: KV heads replicated twice
    assert heads_divisible(qwen3_30b, 4) == []
    assert heads_divisible(R1, 16) == []
    qwen25_7b = lookup("Qwen/Qwen2.5-7B-Instruct")  # 28 heads, 4 KV heads
    problems = heads_divisible(qwen25_7b, 7)  # 28 % 7 == 0, but 7 neither divides nor is a multiple of 4
    assert len(problems) == 1 and "KV heads (4)" in problems[0]


def test_v100_auto_dtype_becomes_half_with_warning():
    dtype, warning = dtype_for(GPUS["V100"], "auto")
    assert dtype == "half"
    assert warning and "V100" in warning and "7.0" in warning


def test_v100_bfloat16_is_refused_like_vllm():
    with pytest.raises(ValueError, match=r"compute capability of at least 8\.0.*V100.*7\.0"):
        dtype_for(GPUS["V100"], "bfloat16")


def test_dtype_on_bf16_gpus_and_aliases():
    assert dtype_for(GPUS["A10"], "auto") == ("auto", None)
    assert dtype_for(GPUS["A10"], "bf16") == ("bfloat16", None)
    assert dtype_for(GPUS["T4"], "fp16") == ("half", None)
    with pytest.raises(ValueError, match="unknown dtype"):
        dtype_for(GPUS["A10"], "int4")
