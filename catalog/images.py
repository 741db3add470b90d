"""Pinned images of every workload the stack runs, in one place. Released tags only, never `latest`:
a re-deploy must run the same bits. `imageRegistry` in the stack config puts a mirror in front.

Engines at vLLM 0.34.0, SGLang 0.5.23 and Ollama 0.32.15, every rendered flag, variable, metric and
endpoint checked against that version's source; vLLM and SGLang as their CUDA 12.9 builds (`-cu129`),
which run on every driver from R525 on (the unsuffixed tags are CUDA 13: R580 on). Sources: docs/engines.md.
"""

ENGINE_IMAGES = {
    "vllm": "vllm/vllm-openai:v0.34.0-cu129",
    "sglang": "lmsysorg/sglang:v0.5.23-cu129",
    "ollama": "ollama/ollama:0.32.15",
}
ENGINE_VERSIONS = {"vllm": "0.34.0", "sglang": "0.5.23", "ollama": "0.32.15"}
"""The release each default image runs; tests/render/engines/test_engine_parsers.py downloads the same PyPI wheels."""

CUDA_MIN_DRIVER = {12: (525, 60, 13), 13: (580, 65, 6)}
"""Oldest Linux driver that runs a CUDA major release's user-space libraries (NVIDIA CUDA Toolkit
release notes, "CUDA Toolkit and Minimum Required Driver Version for CUDA Minor Version
Compatibility": 12.x >= 525.60.13, 13.x >= 580.65.06)."""
IMAGE_CUDA_MAJOR = {
    "vllm/vllm-openai:v0.34.0-cu129": 12,
    "lmsysorg/sglang:v0.5.23-cu129": 12,
}
"""CUDA major of the catalog's own images; other tags are read by their `cuNNN` suffix."""
CUDA13_UNSUFFIXED_SINCE = {"vllm/vllm-openai": (0, 20, 0)}
"""Repositories whose release tags without a `cuNNN` suffix are CUDA 13.0 builds from this release on
(vLLM: the 0.20.0 wheel's vllm/envs.py sets VLLM_MAIN_CUDA_VERSION "13.0", 0.19.1's "12.9"; vllm#39878
"Switch default CUDA to 13.0"; .buildkite/scripts/publish-release-images.sh "CUDA (default: 13.0)").
Older unsuffixed tags, and SGLang's (switch release not confirmed upstream), stay unknown."""

SMOKE_IMAGE = "python:3.12.12-slim-bookworm"
"""The smoke Job's interpreter (render/files/smoke.py is stdlib only): the Docker Official Image tag the
hub download Job runs (render/model_cache.py PYTHON_IMAGE), so the CPU node often has it already; a
published tag (public Dockerfiles pin it by digest, docs/smoke.md)."""

LWS_CHART = "oci://registry.k8s.io/lws/charts/lws"
LWS_CHART_VERSION = "0.10.0"
LWS_IMAGE = "registry.k8s.io/lws/lws"
LWS_IMAGE_TAG = "v0.10.0"

# Operations add-ons (upstream charts, pinned). KEDA is matched to the cluster: each release is tested
# on three Kubernetes minors (keda.sh/docs/<version>/operate/cluster), so the newest release tested on
# the cluster's minor is installed; the ScaledObject fields the stack renders exist in all of them.
KEDA_CHART_REPO = "https://kedacore.github.io/charts"
KEDA_CHART = "keda"
KEDA_CHART_BY_MINOR = {28: "2.15.1", 29: "2.16.1", 30: "2.17.2", 31: "2.18.0", 32: "2.19.0", 33: "2.20.2",
                       34: "2.20.2", 35: "2.20.2"}
"""Kubernetes 1.x -> KEDA chart (= app) version. 2.20.2 is the release of the ScaledObject CRD in shared/crds."""
KEDA_IMAGES = {"keda": "kedacore/keda", "metricsApiServer": "kedacore/keda-metrics-apiserver",
               "webhooks": "kedacore/keda-admission-webhooks"}
KEDA_REGISTRY = "ghcr.io"

PROMETHEUS_COMMUNITY_REPO = "https://prometheus-community.github.io/helm-charts"
PROMETHEUS_ADAPTER_CHART = "prometheus-adapter"
PROMETHEUS_ADAPTER_CHART_VERSION = "5.3.0"
"""Prometheus Adapter v0.12.0."""
PROMETHEUS_ADAPTER_IMAGE = "registry.k8s.io/prometheus-adapter/prometheus-adapter"
KUBE_PROMETHEUS_STACK_CHART = "kube-prometheus-stack"
KUBE_PROMETHEUS_STACK_CHART_VERSION = "88.0.0"
"""Prometheus Operator v0.93.0: the ServiceMonitor / PrometheusRule CRDs in shared/crds."""
KUBE_PROMETHEUS_STACK_RELEASE = "kube-prometheus-stack"

DCGM_EXPORTER_REPO = "https://nvidia.github.io/dcgm-exporter/helm-charts"
DCGM_EXPORTER_CHART = "dcgm-exporter"
DCGM_EXPORTER_CHART_VERSION = "4.8.2"
"""DCGM exporter 4.5.3-4.8.2 (DCGM 4.5.3)."""
DCGM_EXPORTER_IMAGE = "nvcr.io/nvidia/k8s/dcgm-exporter"

# Access layer. LiteLLM's release workflow (BerriAI/litellm .github/workflows/release-docker.yml, dispatched
# from the release's git tag, stored commit ab81dd40) pushes `ghcr.io/berriai/litellm:<that tag>` through
# _publish-container.yml (`ghcr.io/${owner}/${image-name}:${inputs.tag}`, stored commit 186226d0); releases
# are tagged `v<version>` (release notes: "published as ghcr.io/berriai/litellm:v1.102.4"). 1.110.2 is the
# newest PyPI release (2026-12) and the one the real-gateway tests run (requirements-gateway.txt), so the
# config the stack renders is exercised by the same proxy code it deploys. docs/gateway.md, "The LiteLLM release".
LITELLM_IMAGE = "ghcr.io/berriai/litellm:v1.110.2"
OPENWEBUI_IMAGE = "ghcr.io/open-webui/open-webui:v0.12.4"
"""PyPI open-webui 0.12.4; OFFLINE_MODE / RAG_EMBEDDING_MODEL_AUTO_UPDATE checked in its env.py and config.py."""
POSTGRES_IMAGE = "postgres:17.11-alpine"
"""Only with `gateway.virtualKeys.enabled` (LiteLLM's key store); the alpine image's postgres user is uid 70."""

# Routers (docs/routing.md). vllm-project/router publishes `vllm/vllm-router:v<version>` for each release
# (.buildkite/scripts/publish-release-images.sh, release mode: `v${RELEASE_VERSION}` and latest; the
# release pipeline checks the tag equals pyproject's version, which PyPI's vllm-router 0.1.17 carries);
# the image runs the Rust binary `vllm-router` (Dockerfile.router). SGLang's model gateway publishes
# `lmsysorg/sglang-router:v<version>` from sglang_router/version.py
# (sgl-project/sglang .github/workflows/release-docker-gateway.yml, docker/gateway.Dockerfile, whose
# ENTRYPOINT is `python3 -m sglang_router.launch_router`); 0.3.2 is the PyPI sglang-router release.
ROUTER_VERSIONS = {"vllm-router": "0.1.17", "sglang-router": "0.3.2"}
ROUTER_IMAGES = {
    "vllm-router": "vllm/vllm-router:v0.1.17",
    "sglang-router": "lmsysorg/sglang-router:v0.3.2",
}

# Endpoint picker of an InferencePool (docs/routing.md, "InferencePool"): the Gateway API Inference
# Extension v1.6.2 builds one image, the lightweight EPP (cloudbuild.yaml: `make lwepp-image-push` with
# EXTRA_TAG = the pushed tag; Makefile LWEPP_IMAGE_REPO .../gateway-api-inference-extension/lwepp), and
# its release issue template (.github/ISSUE_TEMPLATE/new-release.md, step 9) promotes it to
# `registry.k8s.io/gateway-api-inference-extension/lwepp:v${MAJOR}.${MINOR}.${PATCH}`. lwepp.Dockerfile:
# distroless static:nonroot, ENTRYPOINT ["/lwepp"]. The CRD the tests install is the same release's.
INFERENCE_EXTENSION_VERSION = "v1.6.2"
EPP_IMAGE = f"registry.k8s.io/gateway-api-inference-extension/lwepp:{INFERENCE_EXTENSION_VERSION}"
