"""Engine images at their pinned releases (catalog/images.py)."""

from __future__ import annotations

from render.model_cache import OLLAMA_IMAGE
from catalog.images import ENGINE_IMAGES, ENGINE_VERSIONS
from checks.engine_images import cuda_major


def test_default_images_are_the_pinned_releases_in_cuda_12_builds():
    assert ENGINE_IMAGES["vllm"] == f"vllm/vllm-openai:v{ENGINE_VERSIONS['vllm']}-cu129"
    assert ENGINE_IMAGES["sglang"] == f"lmsysorg/sglang:v{ENGINE_VERSIONS['sglang']}-cu129"
    assert ENGINE_IMAGES["ollama"] == f"ollama/ollama:{ENGINE_VERSIONS['ollama']}"
    # The download Job pulls with the same Ollama release that serves the store.
    assert OLLAMA_IMAGE == ENGINE_IMAGES["ollama"]
    assert cuda_major(ENGINE_IMAGES["vllm"]) == cuda_major(ENGINE_IMAGES["sglang"]) == 12
