"""Which routing policy a model gets, read by both derive/routing.py (the router) and derive/serving.py
(a vLLM engine behind a prefix-aware vllm-router must serve the render endpoints the router tokenizes
with: `--enable-scale-out`, docs/routing.md). Kept apart so serving need not import the router's derive."""

from __future__ import annotations

from config import StackConfig
from config.models import ModelConfig
from derive.replicas import max_replicas
from render import router as rt


def can_scale_out(m: ModelConfig) -> bool:
    """Two replicas or more at some point: a fixed count >= 2 (of pods or LeaderWorkerSet groups), or
    an autoscaler whose maximum is >= 2."""
    return max_replicas(m) >= 2


def policy(cfg: StackConfig, m: ModelConfig) -> str:
    """The policy in force: the configured one, else `prefix-aware` where a router can help (a vLLM or
    SGLang model that can scale out, behind the gateway, which authenticates before any router), else `none`.
    Through an InferencePool: `round-robin`, the one policy of upstream's endpoint picker (lwepp v1.6.2)."""
    if m.routing.via == "inferencePool":
        return "round-robin"
    if m.routing.policy is not None:
        return m.routing.policy
    if cfg.gateway.enabled and m.engine in rt.ROUTER_FOR_ENGINE and can_scale_out(m):
        return "prefix-aware"
    return "none"


def renders_for_router(cfg: StackConfig, m: ModelConfig) -> bool:
    """vllm-router 0.1.17's cache-aware policy asks every replica's `/v1/chat/completions/render` for the
    prompt's token ids; vLLM 0.34 serves it only with `--enable-scale-out` (else 403, and the router
    falls back to load alone: measured in docs/routing.md)."""
    return m.engine == "vllm" and policy(cfg, m) == "prefix-aware"
