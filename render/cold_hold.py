"""The gateway's cold-start hold: a LiteLLM callback (render/files/litellm_hold.py, shipped beside the
config, whose model_list tells it where each model's backend is) whose pre-call hook holds a request
while that backend does not answer yet, then lets it through; past the model's bound it answers 503
with Retry-After. This module renders its data file and names what the alerts and the wake-up query
read. Why and how: docs/gateway.md, "Requests held through cold starts"."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterable, Mapping, Protocol

HOOK_FILE = "litellm_hold.py"
"""The callback's source in render/files/, shipped as `<HOOK_MODULE>.py` beside the config."""
HOOK_MODULE = "tke_llm_hold"
CALLBACK = f"{HOOK_MODULE}.hold"
"""`litellm_settings.callbacks` entry: the module's `hold` instance (a CustomLogger)."""
DATA_FILE = "cold_hold.json"
HELD_METRIC = "tke_llm_gateway_requests_held"
"""Gauge, per `requested_model`: requests the gateway holds now. Scale-from-zero reads it: LiteLLM
counts a request in its own metrics only once it has finished."""
EXPIRED_CLASS = "ColdStartHoldExpired"
"""`exception_class` of LiteLLM's failed-requests metric for a request whose hold ran out (the 503)."""


@dataclass(frozen=True)
class Hold:
    seconds: int
    """0: no hold (the request goes straight to LiteLLM's router)."""
    retry_after_seconds: int = 30

    def __post_init__(self) -> None:
        if self.seconds < 0 or self.retry_after_seconds < 1:
            raise ValueError(f"hold {self.seconds} s, Retry-After {self.retry_after_seconds} s: not a bound")


ENGINE_PROBE = "/v1/models"
"""What the hook asks an engine's Service: the engine answers it once it serves (with the engine key)."""
ROUTER_PROBE = "/readiness"
"""What it asks a router: 503 until a replica passed the router's health check. Not /v1/models:
sglang-router 0.3.2 answers that itself while its only replica is unhealthy (measured,
tests/behaviour/test_hold_routed.py); vllm-router 0.1.17 forwards it to a healthy replica."""


class HeldBackend(Protocol):
    served_name: str
    hold: Hold | None
    probe_path: str
    """ENGINE_PROBE or ROUTER_PROBE, from the origin of the backend's api_base."""


def held(backends: Iterable[HeldBackend]) -> list[HeldBackend]:
    return [b for b in backends if b.hold is not None and b.hold.seconds > 0]


def callbacks(backends: Iterable[HeldBackend]) -> list[str]:
    """The callback entry when any model is held, else nothing (the proxy then runs as before)."""
    return [CALLBACK] if held(backends) else []


def data(backends: Iterable[HeldBackend], aliases: Mapping[str, str] | None = None) -> dict[str, dict[str, object]]:
    """Per served name the bound, the Retry-After and the path probed; each alias (a LoRA adapter's name,
    mapped to its base's served name) gets its base's entry. Where it probes the hook reads from the proxy's
    own `model_list` (each entry's api_base and key), so it asks where LiteLLM will send the request."""
    table: dict[str, dict[str, object]] = {
        b.served_name: {"holdSeconds": b.hold.seconds,  # type: ignore[union-attr]
                        "retryAfterSeconds": b.hold.retry_after_seconds,  # type: ignore[union-attr]
                        "probePath": b.probe_path}
        for b in held(backends)}
    table.update({alias: dict(table[base]) for alias, base in (aliases or {}).items() if base in table})
    return table


def config_files(backends: Iterable[HeldBackend], source: str,
                 aliases: Mapping[str, str] | None = None) -> dict[str, str]:
    """The hook's files for the gateway's ConfigMap (none when no model is held)."""
    table = data(backends, aliases)
    if not table:
        return {}
    return {f"{HOOK_MODULE}.py": source, DATA_FILE: json.dumps(table, indent=2, sort_keys=True) + "\n"}


def max_hold_seconds(backends: Iterable[HeldBackend]) -> int:
    """The longest hold: a route in front of the gateway must wait this long on top of the answer."""
    return max((b.hold.seconds for b in held(backends)), default=0)  # type: ignore[union-attr]
