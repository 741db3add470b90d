"""Engine images at their pinned releases, and the image / driver pair preflight checks."""

from __future__ import annotations

import pytest

from render.model_cache import OLLAMA_IMAGE
from catalog.images import ENGINE_IMAGES, ENGINE_VERSIONS
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


def test_default_images_are_the_pinned_releases_in_cuda_12_builds():
    assert ENGINE_IMAGES["vllm"] == f"vllm/vllm-openai:v{ENGINE_VERSIONS['vllm']}-cu129"
    assert ENGINE_IMAGES["sglang"] == f"lmsysorg/sglang:v{ENGINE_VERSIONS['sglang']}-cu129"
    assert ENGINE_IMAGES["ollama"] == f"ollama/ollama:{ENGINE_VERSIONS['ollama']}"
    # The download Job pulls with the same Ollama release that serves the store.
    assert OLLAMA_IMAGE == ENGINE_IMAGES["ollama"]
    assert cuda_major(ENGINE_IMAGES["vllm"]) == cuda_major(ENGINE_IMAGES["sglang"]) == 12


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


def test_webui_never_fetches_its_embedding_model_at_start():
    """OpenWebUI 0.12.4 loads RAG_EMBEDDING_MODEL from Hugging Face at start unless OFFLINE_MODE is
    'true' (compared lower-case), which also sets HF_HUB_OFFLINE and turns every *_AUTO_UPDATE off."""
    from render import webui

    spec = webui.WebuiSpec(namespace="llm", image="ghcr.io/open-webui/open-webui:v0.12.4",
                           openai_base_url="http://gw:4000/v1", openai_key=webui.SecretRef("k", "key"))
    env = {e["name"]: e.get("value") for e in webui.env(spec)}
    assert env["OFFLINE_MODE"].lower() == "true"
    assert "RAG_EMBEDDING_MODEL_AUTO_UPDATE" not in env or env["RAG_EMBEDDING_MODEL_AUTO_UPDATE"].lower() != "true"


def test_multi_node_on_rdma_warns_that_nccl_may_fall_back_to_tcp():
    from .test_preflight import H20, R1

    found = [str(w) for w in preflight(checked(tke_config(nodePools=[SYSTEM_POOL, H20], models=[R1],
                                                        storage={"kind": "cfs", "sizeGi": 1000}))).warnings]
    (w,) = [x for x in found if "RDMA device" in x]
    assert w.startswith("tke-llm:models[0].nodes: r1 spans 2 RDMA nodes, but host networking alone gives its pods no "
                        "RDMA device")
    assert "rdma-agent" in w and "NET/IB" in w
    one_node = checked(tke_config(nodePools=[SYSTEM_POOL, H20], models=[{**R1, "nodes": 1}],
                                storage={"kind": "cfs", "sizeGi": 1000}))
    assert not [x for x in preflight(one_node).warnings if "RDMA device" in x.message]
