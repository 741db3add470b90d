"""Rules across a model's fields (checks/cross.py): the quantization its engine knows, and none for
Ollama, whose quantization is its tag; refused with the key instead of failing while rendering."""

from __future__ import annotations

import pytest

from catalog.quantization import QUANTIZATIONS
from checks.cross import cross_check
from config import parse

from tests.conftest import existing_config, tke_config

from .helpers import R1_7B, errors

OLLAMA = {"name": "r1", "servedName": "deepseek-r1:7b", "engine": "ollama", "pool": "gpu",
          "source": {"kind": "ollama", "tag": "deepseek-r1:7b"}}


def test_ollama_takes_no_quantization():
    found = errors(existing_config(models=[{**OLLAMA, "settings": {"quantization": "awq"}}]))
    assert "tke-llm:models[0].settings.quantization: Ollama's quantization is part of the model tag (e.g. " \
           "qwen3:14b-q4_K_M): unset quantization ('awq') and choose the tag in source.tag" in found, found


@pytest.mark.parametrize("engine, value", [("vllm", "bitsandbytes"), ("vllm", "gguf"), ("sglang", "torchao"),
                                           ("vllm", "fbgemm_fp8")])
def test_a_method_of_the_other_engine_is_refused(engine, value):
    model = {**R1_7B, "engine": engine, "settings": {"maxModelLen": 16384, "quantization": value}}
    (msg,) = [m for m in errors(tke_config(models=[model])) if m.startswith("tke-llm:models[0].settings.quantization")]
    assert f"is not a {engine} quantization method; {engine} knows awq" in msg or "pinned vLLM or SGLang" in msg, msg


@pytest.mark.parametrize("engine", ["vllm", "sglang"])
def test_every_method_of_the_engine_passes(engine):
    for value in QUANTIZATIONS[engine]:
        cfg = parse(tke_config(models=[{**R1_7B, "engine": engine, "settings": {"maxModelLen": 16384,
                                                                                "quantization": value}}]))
        assert not [i for i in cross_check(cfg) if "quantization" in i.key], value
