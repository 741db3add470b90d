"""Config to the smoke Job's spec: which API to call, with which key, and how long to wait.

The bound comes from the plan's bring-up estimate for the part that can still be running when the
workload reports ready: reading the weights (Ollama loads them on the first request) and the engine's
start-up, x1.5 as in `derive/serving.py` `load_seconds`, and never under two minutes. Why: docs/smoke.md.
"""

from __future__ import annotations

import hashlib
import math

from catalog.images import SMOKE_IMAGE
from catalog.storage import ENGINE_INIT_SECONDS, load_gbps
from config import StackConfig
from derive.placement import cpu_placement
from derive.serving import ServingPlan
from render import litellm
from render.meta import image as mirrored
from render.smoke import Api, SmokeSpec

MIN_SMOKE_SECONDS = 120
MARGIN = 1.5


def smoke_seconds(cfg: StackConfig, plan: ServingPlan) -> int:
    """`smoke.timeoutSeconds`, else the estimate: weights read at the storage's rate per node plus the
    engine's start-up, x1.5."""
    if cfg.smoke.timeout_seconds is not None:
        return cfg.smoke.timeout_seconds
    m = plan.config
    read = plan.size_gb / m.nodes / load_gbps(cfg.storage)
    return max(MIN_SMOKE_SECONDS, math.ceil((read + ENGINE_INIT_SECONDS[m.engine]) * MARGIN))


def smoke_api(cfg: StackConfig, plan: ServingPlan) -> Api:
    """Ollama's own API when apps reach Ollama directly; a text completion for the base models listed
    in `smoke.completion`; else a chat completion."""
    if not cfg.gateway.enabled and plan.spec.engine == "ollama":
        return "ollama"
    return "completions" if plan.spec.served_name in cfg.smoke.completion else "chat"


def app_key(cfg: StackConfig, plan: ServingPlan) -> tuple[str, str]:
    """(Secret, field) of the key the stack gives apps as `apiKey`: the gateway's app key (its master
    key with virtual keys), or the engine's own key without a gateway."""
    if not cfg.gateway.enabled:
        return plan.spec.api_key_secret, "api-key"
    if cfg.gateway.virtual_keys.enabled:
        return litellm.MASTER_KEY_SECRET, litellm.MASTER_KEY_FIELD
    return litellm.APP_KEY_SECRET, litellm.APP_KEY_FIELD


def revision(*parts: object) -> str:
    """A digest of the specs an answer comes from (frozen dataclasses: their repr is their value)."""
    return hashlib.sha256("\n".join(repr(p) for p in parts).encode()).hexdigest()[:16]


def smoke_spec(cfg: StackConfig, plan: ServingPlan, url: str, serving: tuple[object, ...] = ()) -> SmokeSpec:
    """`url`: the in-cluster base URL of the stack outputs; `serving`: the specs whose change must run
    the test again (the model's engine spec, the gateway's spec)."""
    secret, field = app_key(cfg, plan)
    return SmokeSpec(
        name=plan.spec.name, namespace=plan.spec.namespace, served_name=plan.spec.served_name, url=url,
        api=smoke_api(cfg, plan), key_secret=secret, key_field=field, timeout_seconds=smoke_seconds(cfg, plan),
        image=mirrored(SMOKE_IMAGE, cfg.image_registry), placement=cpu_placement(cfg),
        revision=revision(plan.spec, *serving),
    )
