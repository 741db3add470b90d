"""Independent stages report together: one run lists the unknown keys, the secret references, the
rules across sections and the preflight of every model those rules did not flag."""

from __future__ import annotations

from checks import validate
from config.load import parse_sections

from tests.checks.helpers import R1_7B, errors
from tests.conftest import GPU_POOL, SYSTEM_POOL, tke_config

HF_SOURCE = {"kind": "huggingface", "repo": "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", "revision": "abc123",
             "tokenSecret": "hfToken"}


def _one_error_per_stage() -> dict:
    models = [
        {**R1_7B, "name": "lost", "servedName": "Lost", "pool": "nope"},  # across sections: no such pool
        {**R1_7B, "startupTimeoutSeconds": 120},  # preflight: the probe would kill the loading server
        {**R1_7B, "name": "gated", "servedName": "Gated", "source": HF_SOURCE},  # secret reference: no hfToken
    ]
    return tke_config(models=models, nmespace="x")  # unknown key


def test_one_run_lists_an_error_of_every_stage():
    found = errors(_one_error_per_stage())
    assert any(m.startswith("tke-llm:nmespace: unknown key") for m in found), found
    assert any(m.startswith("tke-llm:models[2].source.tokenSecret: no config key tke-llm:hfToken") for m in found)
    assert any(m.startswith("tke-llm:models[0].pool: no node pool named 'nope'") for m in found)
    assert any(m.startswith("tke-llm:models[1].startupTimeoutSeconds: 120 s is shorter") for m in found), found


def test_the_preflight_skips_the_models_other_errors_name():
    report = validate(parse_sections(_one_error_per_stage()))  # no raw config: no secret references checked
    keys = [f.key for f in report.findings]
    assert [k for k in keys if k.startswith("tke-llm:models[0].")] == ["tke-llm:models[0].pool"]
    assert "tke-llm:models[1].startupTimeoutSeconds" in keys, keys  # its own index, not the kept list's
    assert [r.model for r in report.capacity] == ["r1-7b", "gated"]


def test_a_pool_rule_keeps_the_preflight_from_running():
    raw = tke_config(nodePools=[SYSTEM_POOL, GPU_POOL, GPU_POOL], models=[{**R1_7B, "startupTimeoutSeconds": 120,
                                                                           "pool": "nope"}])
    found = errors(raw)
    assert "tke-llm:nodePools[2].name: 'gpu' is already used by nodePools[1]" in found
    assert any(m.startswith("tke-llm:models[0].pool: no node pool named 'nope'") for m in found)
    raw = tke_config(nodePools=[SYSTEM_POOL, GPU_POOL, GPU_POOL], models=[{**R1_7B, "startupTimeoutSeconds": 120}])
    assert errors(raw) == ["tke-llm:nodePools[2].name: 'gpu' is already used by nodePools[1]"]
