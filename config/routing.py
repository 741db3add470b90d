"""How the gateway reaches a model's replicas: straight to the model's Service, or through a router
that picks the replica (the one likely holding the prompt's prefix in KV cache, by default, for any
model that can run more than one replica). Why and which router: docs/routing.md.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from config.base import ConfigModel
from config.formats import Quantity

RoutingPolicy = Literal["prefix-aware", "round-robin", "session", "least-load", "none"]
RoutingVia = Literal["router", "inferencePool"]


class Routing(ConfigModel):
    policy: RoutingPolicy | None = None
    """How the model's router picks a replica. `prefix-aware`: the replica whose KV cache likely holds
    the request's prompt prefix, unless it is far busier than the others; `round-robin`; `session`: the
    same `x-session-id` request header (which the gateway then passes on) to the same replica (vLLM models only); `least-load`:
    the less busy of two replicas; `none`: no router, the gateway calls the model's Service. Default:
    `prefix-aware` for a vLLM or SGLang model that can run two replicas or more (replicas >= 2, or
    autoscaling.maxReplicas >= 2) behind the gateway, `none` otherwise."""
    replicas: int = Field(1, ge=1, le=10)
    """Router pods. 1 by default: each router keeps its own prefix tree, so two routers split what
    one would learn; the gateway retries while a single router restarts."""
    cpu: Quantity = "500m"
    """CPU request of each router pod (on the CPU pool)."""
    memory: Quantity = "1Gi"
    """Memory request and limit of each router pod; the prefix tree is bounded to fit it."""
    health_interval_seconds: int = Field(10, ge=1, le=300)
    """How often the router checks each replica's /health; three failures in a row take a replica out
    of rotation until it answers again."""
    via: RoutingVia = "router"
    """`router`: the model's own router Deployment (the settings above). `inferencePool`: an InferencePool backend of an
    HTTPRoute on the stack's Gateway (`exposure.api.kind: httpRoute`, a Gateway that implements the
    Gateway API Inference Extension), whose endpoint picker (upstream lwepp v1.6.2) picks a replica
    round-robin; LiteLLM then calls the Gateway at `gatewayUrl`. docs/routing.md, "InferencePool"."""
    gateway_url: str | None = None
    """With `via: inferencePool`: the Gateway listener's in-cluster base URL, e.g.
    `http://envoy-gw.envoy-gateway-system.svc.cluster.local` (its host becomes the route's hostname)."""

    @field_validator("gateway_url")
    @classmethod
    def _http_url(cls, v: str | None) -> str | None:
        if v is not None and (not v.startswith(("http://", "https://")) or "://" == v[-3:]
                              or "/" in v.split("://", 1)[1].rstrip("/")):
            raise ValueError("an http(s) URL of the Gateway listener without a path, e.g. "
                             "http://envoy-gw.envoy-gateway-system.svc.cluster.local")
        return v
