"""The image / driver pair preflight checks (checks/engine_images.py)."""

from __future__ import annotations

import pytest

from checks import checked
from config import ConfigError
from checks.engine_images import cuda12_twin, cuda_major, driver_version
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
    ("mirror.ccr/x/vllm/vllm-openai:v0.34.0-cu129", 12),
    ("vllm/vllm-openai:v0.34.0-cu129", 12),
    ("registry:5000/sglang:v1-cu126-amd64", 12),
    # vLLM's unsuffixed tags are CUDA 13.0 from 0.20.0 on, with every variant the release script publishes
    ("vllm/vllm-openai:v0.34.0", 13),
    ("vllm/vllm-openai:v0.20.0", 13),
    ("docker.io/vllm/vllm-openai:v0.34.0-x86_64", 13),
    ("mirror:5000/x/vllm/vllm-openai:v0.34.0-aarch64-ubuntu2404@sha256:00", 13),
    ("vllm/vllm-openai:v0.34.0-x86_64-cu129-ubuntu2404", 12),
    ("vllm/vllm-openai:latest", 13),
    ("vllm/vllm-openai:v0.19.1-cu130", 13),
    # before 0.20.0 unsuffixed was CUDA 12.9, not confirmed for every older release: unknown, not guessed
    ("vllm/vllm-openai:v0.19.1", None),
    # not vLLM's NVIDIA image, or not one of its release tags
    ("vllm/vllm-openai-rocm:v0.34.0", None),
    ("ccr.ccs.tencentyun.com/tke-ai-playbook/vllm-openai:v0.10.1-20250801", None),
    ("vllm/vllm-openai:v0.34.0-custom", None),
])  # fmt: skip
def test_cuda_major_from_catalog_or_tag(image, major):
    assert cuda_major(image) == major


@pytest.mark.parametrize(("image", "twin"), [
    ("vllm/vllm-openai:v0.34.0", "vllm/vllm-openai:v0.34.0-cu129"),
    ("mirror:5000/vllm/vllm-openai:v0.34.0-x86_64-ubuntu2404@sha256:00",
     "mirror:5000/vllm/vllm-openai:v0.34.0-x86_64-cu129-ubuntu2404"),
    ("vllm/vllm-openai:v0.34.0-cu129", None),
    ("vllm/vllm-openai:v0.19.1", None),
    ("lmsysorg/sglang:v0.5.23", None),
])  # fmt: skip
def test_cuda12_twin_is_the_release_script_s_cu129_tag(image, twin):
    assert cuda12_twin(image) == twin


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


VLLM = {**QWEN, "engine": "vllm"}


@pytest.mark.parametrize("driver", ["535.161.08", "570.133.20"])
def test_unsuffixed_vllm_tag_on_an_r535_or_r570_driver_is_refused_naming_the_cu129_tag(driver):
    model = {**VLLM, "image": "vllm/vllm-openai:v0.34.0"}
    raw = tke_config(nodePools=[SYSTEM_POOL, with_driver(driver)], models=[model])
    with pytest.raises(ConfigError) as exc:
        checked(raw)
    (msg,) = [str(i) for i in exc.value.issues if "driver" in str(i)]
    assert msg.startswith(f"tke-llm:nodePools[1].gpu.software.driver.version: driver {driver} cannot run "
                          "vllm/vllm-openai:v0.34.0 (model qwen), a CUDA 13 build that needs >= 580.65.06")
    assert msg.endswith("or models[0].image to vllm/vllm-openai:v0.34.0-cu129, the same release built on CUDA 12.9")


def test_vllm_default_cu129_image_runs_on_r535_and_unsuffixed_tag_on_r580():
    for version, image in (("535.161.08", None), ("525.60.13", None), ("580.65.06", "vllm/vllm-openai:v0.34.0")):
        model = {**VLLM, **({"image": image} if image else {})}
        cfg = checked(tke_config(nodePools=[SYSTEM_POOL, with_driver(version)], models=[model]))
        assert not [w for w in preflight(cfg).findings if "driver" in w.message or "CUDA" in w.message]


def test_unsuffixed_vllm_tag_with_tke_default_driver_warns_naming_the_cu129_tag():
    cfg = checked(tke_config(models=[{**VLLM, "image": "vllm/vllm-openai:v0.34.0"}]))
    (w,) = [str(f) for f in preflight(cfg).warnings if "driver" in f.message]
    assert w.startswith("tke-llm:nodePools[1].gpu.software: vllm/vllm-openai:v0.34.0 (model qwen) is a CUDA 13 "
                        "build and needs an NVIDIA driver >= 580.65.06")
    assert w.endswith("models[0].image to vllm/vllm-openai:v0.34.0-cu129, the same release built on CUDA 12.9")
    default = checked(tke_config(models=[VLLM]))
    assert not [f for f in preflight(default).findings if "driver" in f.message or "CUDA" in f.message]
