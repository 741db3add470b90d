"""Which model streams from the mirror, prefetches from a network file system or keeps a compile cache
(derive/serving.py), as the stack file decides it."""

from __future__ import annotations

import pytest

from checks import checked
from derive.naming import derive
from derive.serving import serving_plan

from tests.conftest import MIRROR_KEYS, tke_config

VLLM = {"name": "qwen3-0-6b", "servedName": "Qwen3-0.6B", "engine": "vllm", "pool": "gpu",
        "source": {"kind": "huggingface", "repo": "Qwen/Qwen3-0.6B", "revision": "c1899de289a04d12100db370d81485cdf75e47ca"}}
OLLAMA = {"name": "r1-7b", "servedName": "deepseek-r1:7b", "engine": "ollama", "pool": "gpu",
          "source": {"kind": "ollama", "tag": "deepseek-r1:7b"}}
MIRROR = {"bucket": "tke-llm-weights-1250000000"}


def _spec(model: dict, **sections):
    keys = MIRROR_KEYS if "mirror" in sections.get("modelCache", {}) else {}
    cfg = checked(tke_config(**keys, models=[model], **sections))
    return serving_plan(cfg, derive(cfg, "t"), cfg.models[0], "key").spec


def test_a_mirror_with_stream_streams_and_skips_the_volume_strategy():
    spec = _spec(VLLM, modelCache={"mirror": {**MIRROR, "streamer": {"concurrency": 24}}})
    assert spec.stream is not None and spec.stream.concurrency == 24 and not spec.network_fs
    assert spec.stream.mirror.endpoint == "https://cos.ap-shanghai.myqcloud.com"
    assert spec.compile_cache == ".compile-cache/vllm/qwen3-0-6b"


@pytest.mark.parametrize("storage, network_fs", [({"kind": "cfs"}, True),
                                                 ({"kind": "cfs-turbo", "capacityGib": 20480, "sizeGi": 1000}, True),
                                                 ({"kind": "existing", "storageClassName": "rwx", "sizeGi": 100}, False)])
def test_volume_loading_prefetches_on_cfs_and_cfs_turbo_only(storage, network_fs):
    spec = _spec(VLLM, storage=storage, modelCache={"mirror": {**MIRROR, "load": "volume"}})
    assert spec.stream is None and spec.network_fs is network_fs and spec.compile_cache is not None


def test_local_disks_get_no_cache_and_ollama_none_of_it():
    local = _spec(VLLM, storage={"kind": "local", "hostPath": "/data/models"})
    assert local.compile_cache is None and not local.network_fs
    ollama = _spec(OLLAMA, modelCache={"mirror": MIRROR})
    assert ollama.stream is None and ollama.compile_cache is None and not ollama.network_fs


def test_sglang_streams_only_with_streamer_sglang():
    sglang = {**VLLM, "name": "q", "engine": "sglang"}
    off = _spec(sglang, modelCache={"mirror": MIRROR})
    assert off.stream is None and off.network_fs  # dev-like CFS: the volume with the prefetch
    on = _spec(sglang, modelCache={"mirror": {**MIRROR, "streamer": {"sglang": True}}})
    assert on.stream is not None and not on.network_fs
