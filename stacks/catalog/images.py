"""Pinned images of every workload the stack runs, in one place. Released tags only, never `latest`:
a re-deploy must run the same bits. `imageRegistry` in the stack config puts a mirror in front.

Sources: vLLM v0.18.0 and SGLang v0.5.15 are releases adopted by llm-d and CoreWeave's containers in
2026; Ollama 0.12.10 and the LWS chart 0.10.0 match the CRD schemas in shared/crds.
"""

ENGINE_IMAGES = {
    "vllm": "vllm/vllm-openai:v0.18.0",
    "sglang": "lmsysorg/sglang:v0.5.15",
    "ollama": "ollama/ollama:0.12.10",
}

LWS_CHART = "oci://registry.k8s.io/lws/charts/lws"
LWS_CHART_VERSION = "0.10.0"
LWS_IMAGE = "registry.k8s.io/lws/lws"
LWS_IMAGE_TAG = "v0.10.0"
