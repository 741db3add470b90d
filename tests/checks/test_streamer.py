"""checks/streamer.py: the streamer's buffer must fit the streaming engine's pod."""

from __future__ import annotations

from checks import checked
from derive.serving import streamer_memory_bytes

from tests.checks.helpers import R1_7B, errors
from tests.conftest import MIRROR_KEYS, existing_config, tke_config

MIRROR = {"bucket": "tke-llm-weights-1250000000"}


def test_a_buffer_the_pod_cannot_hold_is_refused_with_the_key():
    found = errors(tke_config(**MIRROR_KEYS, models=[R1_7B], modelCache={"mirror": {**MIRROR, "streamer": {"memoryLimitGb": 40}}}))
    assert any(m.startswith("tke-llm:modelCache.mirror.streamer.memoryLimitGb: 40 GB does not fit models[0]")
               for m in found), found


def test_one_that_fits_is_used_as_is_and_the_default_is_capped_at_half_the_pod():
    cfg = checked(tke_config(**MIRROR_KEYS, models=[R1_7B], modelCache={"mirror": {**MIRROR, "streamer": {"memoryLimitGb": 4}}}))
    assert streamer_memory_bytes(cfg, cfg.models[0]) == 4_000_000_000
    cfg = checked(tke_config(**MIRROR_KEYS, models=[R1_7B], modelCache={"mirror": MIRROR}))
    # 1 GPU: an 18 Gi pod with 2 Gi of /dev/shm; half of the other 16 Gi, below the streamer's 40 GB default
    assert streamer_memory_bytes(cfg, cfg.models[0]) == 8 * 2**30


def test_volume_loading_needs_no_buffer():
    cfg = checked(tke_config(**MIRROR_KEYS, models=[R1_7B], modelCache={"mirror": {**MIRROR, "load": "volume",
                                                                    "streamer": {"memoryLimitGb": 400}}}))
    assert cfg.models[0].name


def test_a_mirror_on_an_existing_cluster_needs_its_region():
    model = {"name": "q", "servedName": "Q", "engine": "vllm", "pool": "gpu",
             "source": {"kind": "huggingface", "repo": "Qwen/Qwen3-0.6B", "revision": "c1899de289a04d12100db370d81485cdf75e47ca"}}
    found = errors(existing_config(**MIRROR_KEYS, models=[model], modelCache={"mirror": MIRROR}))
    assert any(m.startswith("tke-llm:modelCache.mirror.region: an existing cluster has no region") for m in found), found
    checked(existing_config(**MIRROR_KEYS, models=[model], modelCache={"mirror": {**MIRROR, "region": "ap-shanghai"}}))
