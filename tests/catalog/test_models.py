"""The model catalog (catalog/models.py): internally consistent, and resolving the names the reference
deployment uses."""

from __future__ import annotations

import pytest

from catalog import ALIASES, MODELS, lookup


@pytest.mark.parametrize("model_id", list(MODELS))
def test_every_catalog_model_resolves(model_id):
    assert lookup(model_id) is MODELS[model_id]
    assert lookup(model_id.lower()) is MODELS[model_id]


@pytest.mark.parametrize("alias", list(ALIASES))
def test_aliases_resolve(alias):
    assert lookup(alias) is MODELS[ALIASES[alias]]


@pytest.mark.parametrize("spec", MODELS.values(), ids=lambda m: m.id)
def test_model_shapes_are_sane(spec):
    assert spec.attention_heads % spec.kv_heads == 0
    assert spec.layers > 0 and spec.context_length >= 32768
    if spec.dtype == "bfloat16":
        assert spec.weight_gb == pytest.approx(spec.params_b * 2, rel=0.01)
    assert spec.mla == (spec.kv_lora_rank is not None) == (spec.qk_rope_head_dim is not None)


def test_reference_paths_and_names_resolve():
    """vLLM serves /data/$LLM_MODEL; the SGLang guide serves /data/model/DeepSeek-R1."""
    assert lookup("/data/deepseek-ai/DeepSeek-R1-Distill-Qwen-7B").id == "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B"
    assert lookup("/data/model/DeepSeek-R1").id == "deepseek-ai/DeepSeek-R1"
    assert lookup("no-such-org/no-such-model") is None


def test_deepseek_r1_matches_the_reference():
    r1 = lookup("deepseek-ai/DeepSeek-R1")
    assert (r1.params_b, r1.dtype, r1.layers, r1.attention_heads) == (671, "float8", 61, 128)
    assert (r1.kv_lora_rank, r1.qk_rope_head_dim, r1.context_length) == (512, 64, 163840)
    # The reference's "642G" is du's GiB; the catalog stores decimal GB.
    assert r1.weight_gb * 1e9 / 2**30 == pytest.approx(642, abs=1.5)
