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


def test_local_storage_the_seed_must_fit_the_system_pools_system_disk():
    """The seed Job stages the whole model on the system node's system disk: 100 GB of weights (a 95 Gi
    scratch) need 103 + 30 GB; the default 100 GB disk is refused at the pool's key, 200 GB passes."""
    from tests.conftest import GPU_POOL, SYSTEM_POOL
    big = {"name": "big", "servedName": "big", "engine": "vllm", "pool": "gpu", "settings": {"maxModelLen": 8192},
           "sizeGb": 100, "source": {"kind": "huggingface", "repo": "acme/big", "revision": "v1"}}

    def stack(system: dict, **storage) -> dict:
        return tke_config(nodePools=[system, GPU_POOL], models=[big], modelCache={"mirror": MIRROR}, **storage, **KEYS)

    found = config_errors(stack(SYSTEM_POOL, storage={"kind": "local"}))
    assert "tke-llm:nodePools[0].systemDiskGb: 100 GB cannot hold the weight mirror's seed of big: its Job " \
           "stages the whole model (95 Gi) on an emptyDir of a `system` node, on its system disk, beside the " \
           "system's own 30 GB; use >= 133" in found, found
    load(stack({**SYSTEM_POOL, "systemDiskGb": 200}, storage={"kind": "local"}), set(KEYS))
    load(stack(SYSTEM_POOL), set(KEYS))  # shared storage: no seed Job
