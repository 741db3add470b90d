"""The egress preflight (checks/egress.py): Hugging Face without a mirror from a region in mainland
China is a warning naming hf-mirror and ModelScope."""

from __future__ import annotations

import pytest

from checks import checked
from checks.preflight import preflight

from tests.conftest import tke_config

from .helpers import R1_7B

HF = {**R1_7B, "source": {"kind": "huggingface", "repo": "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B",
                          "revision": "916b56a44061fd5cd7d6a8fb632557ed4f724f60"}}


def _warnings(region: str, model: dict) -> list[str]:
    raw = tke_config(models=[model])
    raw["cluster"]["region"] = region
    raw["cluster"]["network"] = {"subnets": [{"zone": f"{region}-1", "cidr": "10.0.1.0/24"}]}
    return [str(w) for w in preflight(checked(raw)).warnings if w.key.endswith("source.endpoint")]


@pytest.mark.parametrize("region", ["ap-shanghai", "ap-beijing", "ap-guangzhou", "ap-shenzhen-fsi"])
def test_hugging_face_from_mainland_china_without_a_mirror_is_a_warning(region):
    (msg,) = _warnings(region, HF)
    assert msg.startswith(f"tke-llm:models[0].source.endpoint: r1-7b downloads from huggingface.co, which is "
                          f"unreachable or throttled from {region} (mainland China)"), msg
    assert "`endpoint: https://hf-mirror.com`" in msg and "ModelScope (`source.kind: modelscope`" in msg


@pytest.mark.parametrize("region, model", [
    ("ap-hongkong", HF), ("ap-singapore", HF), ("na-siliconvalley", HF), ("ap-shanghai", R1_7B),
    ("ap-shanghai", {**HF, "source": {**HF["source"], "endpoint": "https://hf-mirror.com"}}),
])
def test_no_warning_outside_the_mainland_or_with_a_mirror(region, model):
    assert _warnings(region, model) == []
