"""The keyed errors a config is refused with, and a Hugging Face model whose token is a secret config key."""

from __future__ import annotations

import pytest

from checks import checked
from config import ConfigError


def errors(raw, secrets=None) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        checked(raw, secrets)
    return [str(i) for i in exc.value.issues]


HF = {"kind": "huggingface", "repo": "Qwen/Qwen3-14B", "revision": "abc123", "tokenSecret": "hfToken"}


def _hf_model() -> dict:
    return {"name": "q", "servedName": "Q", "engine": "vllm", "pool": "gpu", "source": dict(HF),
            "settings": {"maxModelLen": 4096}, "architecture": {"paramsB": 1, "weightGb": 2, "layers": 2,
                                                                "attentionHeads": 8, "kvHeads": 8, "headDim": 64,
                                                                "contextLength": 4096}}
