"""checks/streamer.py: the streamer's buffer must fit the streaming engine's pod."""

from __future__ import annotations

from checks import checked
from derive.serving import streamer_memory_bytes

from tests.checks.helpers import R1_7B, errors
from tests.conftest import tke_config

MIRROR = {"bucket": "tke-llm-weights-1250000000"}


def test_a_buffer_the_pod_cannot_hold_is_refused_with_the_key():
    found = errors(tke_config(models=[R1_7B], modelCache={"mirror": {**MIRROR, "streamer": {"memoryLimitGb": 40}}}))
    assert any(m.startswith("tke-llm:modelCache.mirror.streamer.memoryLimitGb: 40 GB does not fit models[0]")
               for m in found), found


def test_one_that_fits_is_used_as_is_and_the_default_is_capped_at_half_the_pod():
    cfg = checked(tke_config(models=[R1_7B], modelCache={"mirror": {**MIRROR, "streamer": {"memoryLimitGb": 4}}}))
    assert streamer_memory_bytes(cfg, cfg.models[0]) == 4_000_000_000
    cfg = checked(tke_config(models=[R1_7B], modelCache={"mirror": MIRROR}))
    # 1 GPU: an 18 Gi pod with 2 Gi of /dev/shm; half of the other 16 Gi, below the streamer's 40 GB default
    assert streamer_memory_bytes(cfg, cfg.models[0]) == 8 * 2**30


def test_volume_loading_needs_no_buffer():
    cfg = checked(tke_config(models=[R1_7B], modelCache={"mirror": {**MIRROR, "load": "volume",
                                                                    "streamer": {"memoryLimitGb": 400}}}))
    assert cfg.models[0].name
