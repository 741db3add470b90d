"""Extra arguments that would override a flag the program owns (checks/owned_flags.py), refused naming the
flag."""

from __future__ import annotations

import pytest

from checks import checked

from tests.conftest import existing_config, tke_config

from .helpers import R1_7B, errors


@pytest.mark.parametrize("engine, args, index, flag", [
    ("vllm", ["--enforce-eager", "--max_model_len=4096"], 1, "--max-model-len"),
    ("vllm", ["--port", "9000"], 0, "--port"),
    ("vllm", ["--api-key", "k"], 0, "--api-key"),
    ("vllm", ["--tensor-parallel-size=2"], 0, "--tensor-parallel-size"),
    ("sglang", ["--context-length", "4096"], 0, "--context-length"),
    ("sglang", ["--enable-torch-compile", "--port=1"], 1, "--port"),
    ("sglang", ["--tp-size", "2"], 0, "--tp-size"),
])
def test_extra_args_that_override_owned_flags_are_refused_naming_the_flag(engine, args, index, flag):
    model = {**R1_7B, "engine": engine, "settings": {"maxModelLen": 16384, "extraArgs": args}}
    found = errors(tke_config(models=[model]))
    assert any(m.startswith(f"tke-llm:models[0].settings.extraArgs[{index}]: {flag} is set by the program")
               for m in found), found
    assert len([m for m in found if "extraArgs" in m]) == 1


def test_extra_args_the_program_does_not_own_pass():
    checked(tke_config(models=[{**R1_7B, "settings": {"maxModelLen": 16384, "extraArgs": ["--enforce-eager"]}}]))


def test_ollama_extra_args_are_refused_with_the_key():
    found = errors(existing_config(models=[{"name": "r1-7b", "servedName": "r1", "engine": "ollama", "pool": "gpu",
                                            "source": {"kind": "ollama", "tag": "deepseek-r1:7b"},
                                            "settings": {"extraArgs": ["--verbose"]}}]))
    assert any(m.startswith("tke-llm:models[0].settings.extraArgs[0]: `ollama serve` takes no arguments")
               for m in found), found


def test_owned_flags_follow_the_renderer(monkeypatch):
    """Derived, not retyped: a flag a renderer starts writing is owned from then on."""
    from render.engines import vllm

    original = vllm.vllm_args
    monkeypatch.setattr(vllm, "vllm_args", lambda spec, role="server": original(spec, role)[:-len(spec.extra_args) or None]
                        + ["--kv-cache-dtype", "fp8"] + list(spec.extra_args))
    model = {**R1_7B, "settings": {"maxModelLen": 16384, "extraArgs": ["--kv-cache-dtype", "auto"]}}
    assert any(m.startswith("tke-llm:models[0].settings.extraArgs[0]: --kv-cache-dtype is set by the program")
               for m in errors(tke_config(models=[model])))
