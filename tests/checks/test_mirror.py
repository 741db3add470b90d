"""The weight mirror's keyed refusals and warnings (checks/mirror.py, checks/secrets.py)."""

from __future__ import annotations

from checks import load

from tests.conftest import MIRROR_KEYS as KEYS, config_errors, existing_config, tke_config

MIRROR = {"bucket": "tke-llm-weights-1250000000"}
OLLAMA = {"name": "o", "servedName": "o", "engine": "ollama", "pool": "gpu", "sizeGb": 5,
          "source": {"kind": "ollama", "tag": "qwen3:8b"}}


def warnings(raw) -> dict[str, str]:
    _, report = load(raw, set(KEYS))
    return {f.key: f.message for f in report.warnings}


def test_an_existing_cluster_needs_the_buckets_region():
    found = config_errors(existing_config(modelCache={"mirror": MIRROR}, **KEYS))
    assert any(m.startswith("tke-llm:modelCache.mirror.region: an existing cluster has no region") for m in found), found


def test_the_keys_must_exist_and_be_encrypted():
    found = config_errors(tke_config(modelCache={"mirror": MIRROR}))
    assert "tke-llm:modelCache.mirror.secretIdSecret: no config key tke-llm:cosSecretId; set it with " \
           "`pulumi config set --secret cosSecretId <value>`" in found
    assert any(m.startswith("tke-llm:modelCache.mirror.secretKeySecret: no config key tke-llm:cosSecretKey")
               for m in found)
    plain = tke_config(modelCache={"mirror": MIRROR}, **KEYS)
    with __import__("pytest").raises(Exception) as exc:
        load(plain, set())
    assert "tke-llm:modelCache.mirror.secretIdSecret: tke-llm:cosSecretId is stored in plain text" in str(exc.value)


def test_a_bucket_in_another_region_warns_of_billed_cross_region_traffic():
    found = warnings(tke_config(modelCache={"mirror": {**MIRROR, "region": "ap-guangzhou"}}, **KEYS))
    msg = found["tke-llm:modelCache.mirror.region"]
    assert "ap-guangzhou" in msg and "ap-shanghai" in msg and "billed" in msg
    assert "tke-llm:modelCache.mirror.region" not in warnings(tke_config(modelCache={"mirror": MIRROR}, **KEYS))


def test_ollama_models_are_told_the_mirror_does_not_apply():
    found = warnings(tke_config(modelCache={"mirror": MIRROR}, models=[OLLAMA], **KEYS))
    assert "the weight mirror does not apply" in found["tke-llm:models[0].source.kind"]
