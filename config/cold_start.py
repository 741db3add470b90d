"""What the gateway does with a request to a model that has no ready replica yet (scaled to zero, or
its replicas still loading): hold it, bounded, then serve it; past the bound answer 503 with
Retry-After. Why a hold at the gateway and how: docs/gateway.md, "Requests held through cold starts".
"""

from __future__ import annotations

from pydantic import Field

from config.base import ConfigModel


class ColdStart(ConfigModel):
    hold_seconds: int | None = Field(None, ge=0, le=86400)
    """How long the gateway holds a request while the model has no ready replica (scaling from zero, or
    its replicas still loading), then sends it on; past this the client gets 503 with Retry-After, naming
    the model. Default: the model's estimated load time from the plan (a new GPU node's boot and image
    pull too when a scaled-to-zero model's pool releases its nodes), at most
    `gateway.requestTimeoutSeconds`; 0 for a parked model (`replicas: 0`, no autoscaling) and for a model
    with `gateway.fallbacks` (they answer at once instead; the hold runs before them, so a bound above 0
    is refused there). 0: no hold."""
    retry_after_seconds: int = Field(30, ge=1, le=3600)
    """The Retry-After header (seconds) of the 503 a client gets when the hold runs out."""
