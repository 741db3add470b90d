"""How long the gateway holds a request for a model with no ready replica: the configured
`coldStart.holdSeconds`, else the model's estimated load time from the plan's cold-start estimate
(derive/operations.py), plus a router's time to pass the replica, at most the gateway's request timeout. Why: docs/gateway.md, "Requests held
through cold starts"."""

from __future__ import annotations

from typing import Protocol

from config import StackConfig
from derive.replicas import min_replicas
from derive.routing_policy import policy
from derive.serving import ServingPlan
from render import router as rt
from render.cold_hold import Hold


class LoadEstimate(Protocol):
    warm_node_seconds: int
    new_node_seconds: int | None


def expected_load_seconds(plan: ServingPlan, estimate: LoadEstimate) -> int:
    """The load time a held request waits out: reading the weights and starting the engine; for a model
    that scales to zero on a pool that releases its nodes, also buying a node and pulling the image."""
    if min_replicas(plan.config) == 0 and estimate.new_node_seconds is not None:
        return estimate.new_node_seconds
    return estimate.warm_node_seconds


def router_notice_seconds(cfg: StackConfig, plan: ServingPlan) -> int:
    """For a routed model, how long its router may take to pass a replica that has come up (docs/routing.md)."""
    if policy(cfg, plan.config) == "none":
        return 0
    return rt.HEALTH_SUCCESS_THRESHOLD * plan.config.routing.health_interval_seconds


def hold(cfg: StackConfig, plan: ServingPlan, estimate: LoadEstimate) -> Hold:
    m = plan.config
    c = m.cold_start
    if c.hold_seconds is not None:
        seconds = c.hold_seconds
    elif m.replicas == 0 and m.autoscaling is None:
        seconds = 0  # parked: nothing will start a replica, so a request has nothing to wait for
    elif any(f.model == m.served_name for f in cfg.gateway.fallbacks):
        seconds = 0  # the hook runs before LiteLLM's router: a held request would never reach the fallback
    else:
        seconds = min(expected_load_seconds(plan, estimate) + router_notice_seconds(cfg, plan),
                      cfg.gateway.request_timeout_seconds)
    return Hold(seconds=seconds, retry_after_seconds=c.retry_after_seconds)
