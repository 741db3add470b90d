"""A model's adapters from its config (derive/adapters.py) and the GPU memory their slots take
(derive/capacity.py lora_bytes_per_gpu)."""

from __future__ import annotations

import pytest

from catalog import GPUS, lookup
from config.models import ModelConfig
from derive.adapters import adapter_dir, downloads, lora
from derive.capacity import GIB, fit, lora_bytes_per_gpu

SOURCE = {"kind": "huggingface", "repo": "Qwen/Qwen3-8B", "revision": "b968826d9c46dd6066d109eabc6255188de91218"}


def model(**kw) -> ModelConfig:
    return ModelConfig.model_validate({"name": "qwen3-8b", "servedName": "Qwen3-8B", "engine": "vllm", "pool": "gpu",
                                       "source": SOURCE, **kw})


ADAPTERS = [{"name": "sql", "source": {"kind": "huggingface", "repo": "org/sql", "revision": "abc", "endpoint":
                                       "https://hf-mirror.com"}, "rank": 8},
            {"name": "chat", "source": {"kind": "modelscope", "model": "org/chat", "revision": "v1"}, "rank": 64}]


def test_adapters_live_in_the_weights_layout_and_every_one_is_loaded():
    m = model(adapters=ADAPTERS)
    assert [adapter_dir(a) for a in m.adapters] == ["huggingface/org/sql/abc", "modelscope/org/chat/v1"]
    spec = lora(m)
    assert spec is not None and spec.max_loras == 2 and spec.max_rank == 64
    assert [(a.name, a.dir, a.rank) for a in spec.adapters] == [("sql", "huggingface/org/sql/abc", 8),
                                                              ("chat", "modelscope/org/chat/v1", 64)]
    (hf, _), (ms, _) = downloads(m)
    assert (hf.kind, hf.model_id, hf.revision, hf.endpoint) == ("huggingface", "org/sql", "abc", "https://hf-mirror.com")
    assert (ms.kind, ms.model_id, ms.endpoint, ms.token_secret) == ("modelscope", "org/chat", None, None)
    assert lora(model(adapters=ADAPTERS, settings={"maxLoras": 1})).max_loras == 1
    assert lora(model()) is None and downloads(model()) == ()


def test_lora_memory_is_an_upper_bound_sharded_like_the_weights():
    spec = lookup("Qwen/Qwen3-14B")
    hidden = spec.attention_heads * spec.head_dim
    one = lora_bytes_per_gpu(spec, 16, 1)
    assert one == pytest.approx(spec.params_b * 1e9 * 2 * 16 / hidden * 2, rel=1e-6)
    assert lora_bytes_per_gpu(spec, 16, 4) == pytest.approx(4 * one, rel=1e-6)
    assert lora_bytes_per_gpu(spec, 16, 4, tp=2) == pytest.approx(2 * one, rel=1e-6)
    assert lora_bytes_per_gpu(spec, 64, 1) == pytest.approx(4 * one, rel=1e-6)


def test_lora_memory_comes_out_of_the_kv_cache():
    spec, gpu = lookup("Qwen/Qwen3-14B"), GPUS["L20"]
    plain = fit(spec, gpu, max_model_len=8192)
    slots = lora_bytes_per_gpu(spec, 64, 8) / GIB
    with_lora = fit(spec, gpu, max_model_len=8192, lora_gib=slots)
    assert with_lora.kv_budget_gib == pytest.approx(plain.kv_budget_gib - slots)
    assert with_lora.kv_tokens < plain.kv_tokens and with_lora.lora_gib == slots
