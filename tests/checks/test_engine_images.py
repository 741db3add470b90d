"""The image / driver pair preflight checks (checks/engine_images.py)."""

from __future__ import annotations

import pytest

from checks import checked
from config import ConfigError
from checks.engine_images import cuda_major, driver_version
from checks.preflight import preflight

from tests.conftest import GPU_POOL, SYSTEM_POOL, tke_config

QWEN = {"name": "qwen", "servedName": "qwen", "engine": "sglang", "pool": "gpu",
        "source": {"kind": "modelscope", "model": "Qwen/Qwen3-8B", "revision": "v1"},
        "settings": {"maxModelLen": 8192}}  # fmt: skip


def with_driver(version: str) -> dict:
    return {**GPU_POOL, "gpu": {**GPU_POOL["gpu"], "software": {"driver": {"name": "NVIDIA", "version": version},
                                                               "cuda": {"name": "CUDA", "version": "12.4"}}}}


@pytest.mark.parametrize(("image", "major"), [
    ("lmsysorg/sglang:v0.5.23", None),
    ("lmsysorg/sglang:v0.5.23-cu130", 13),
    ("mirror.ccr/x/vllm/vllm-openai:v0.33.0-cu129", 12),
    ("vllm/vllm-openai:v0.33.0-cu129", 12),
    ("registry:5000/sglang:v1-cu126-amd64", 12),
])  # fmt: skip
def test_cuda_major_from_catalog_or_tag(image, major):
    assert cuda_major(image) == major


def test_driver_versions_parse_from_version_or_package_name():
    assert driver_version("535.161.08") == (535, 161, 8)
    assert driver_version("NVIDIA-Linux-x86_64-570.133.20.run") == (570, 133, 20)
    assert driver_version("latest") is None


def test_cuda_13_image_on_an_older_driver_is_refused_with_the_fix():
    raw = tke_config(nodePools=[SYSTEM_POOL, with_driver("535.161.08")],
                     models=[{**QWEN, "image": "lmsysorg/sglang:v0.5.23-cu130"}])
    with pytest.raises(ConfigError) as exc:
        checked(raw)
    (msg,) = [str(i) for i in exc.value.issues if "driver" in str(i)]
    assert msg.startswith("tke-llm:nodePools[1].gpu.software.driver.version: driver 535.161.08 cannot run "
                          "lmsysorg/sglang:v0.5.23-cu130 (model qwen), a CUDA 13 build that needs >= 580.65.06")
    assert "models[0].image" in msg and "-cu129" in msg


def test_cuda_13_image_on_a_new_driver_and_cuda_12_image_on_an_old_driver_pass():
    for version, image in (("580.82.07", "lmsysorg/sglang:v0.5.23-cu130"), ("535.161.08", None)):
        model = {**QWEN, **({"image": image} if image else {})}
        cfg = checked(tke_config(nodePools=[SYSTEM_POOL, with_driver(version)], models=[model]))
        assert not [w for w in preflight(cfg).findings if "driver" in w.message]


def test_cuda_13_image_with_tke_default_driver_warns():
    cfg = checked(tke_config(models=[{**QWEN, "image": "lmsysorg/sglang:v0.5.23-cu130"}]))
    (w,) = [str(f) for f in preflight(cfg).warnings if "driver" in f.message]
    assert w.startswith("tke-llm:nodePools[1].gpu.software: lmsysorg/sglang:v0.5.23-cu130 (model qwen) is a CUDA 13 "
                        "build and needs an NVIDIA driver >= 580.65.06")
    unknown = checked(tke_config(models=[{**QWEN, "image": "lmsysorg/sglang:v0.5.23"}]))
    assert any(str(f).startswith("tke-llm:models[0].image: cannot tell which CUDA release")
               for f in preflight(unknown).warnings)
