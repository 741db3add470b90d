"""Which models get a router, and the router's spec: the policy resolved from `models[].routing` (the
default follows whether the model can run two replicas), the router that serves the model's engine, the
model's serving pods as the replicas it discovers, on the CPU pool. docs/routing.md."""

from __future__ import annotations

from catalog.images import ROUTER_IMAGES
from config import StackConfig
from derive.placement import cpu_placement
from derive.replicas import max_replicas, min_replicas
from derive.routing_policy import can_scale_out, policy
from derive.serving import ServingPlan
from render import router as rt
from render.engines import port, service
from render.meta import image as mirrored

__all__ = ["can_scale_out", "policy", "router_spec", "routers"]


def router_spec(cfg: StackConfig, plan: ServingPlan) -> rt.RouterSpec | None:
    """The model's router, or None when the gateway calls the model's Service directly."""
    m = plan.config
    chosen = policy(cfg, m)
    if chosen == "none" or m.routing.via == "inferencePool":
        return None
    kind = rt.ROUTER_FOR_ENGINE[m.engine]
    r = m.routing
    return rt.RouterSpec(
        model=plan.spec.name,
        namespace=plan.spec.namespace,
        router=kind,
        image=mirrored(ROUTER_IMAGES[kind], cfg.image_registry),
        policy=chosen,  # type: ignore[arg-type]
        # The pods behind the model's own Service: the Deployment's, or every group's leader.
        engine_selector=dict(service(plan.spec)["spec"]["selector"]),
        engine_port=port(plan.spec.engine),
        served_name=plan.spec.served_name,
        min_replicas=min_replicas(m),
        max_replicas=max_replicas(m),
        replicas=r.replicas,
        cpu=r.cpu,
        memory=r.memory,
        placement=cpu_placement(cfg),
        health_interval_seconds=r.health_interval_seconds,
        request_timeout_seconds=cfg.gateway.request_timeout_seconds,
    )


def routers(cfg: StackConfig, plans: list[ServingPlan]) -> dict[str, rt.RouterSpec]:
    """The routed models' routers, by model name."""
    out = {}
    for plan in plans:
        spec = router_spec(cfg, plan)
        if spec is not None:
            out[plan.spec.name] = spec
    return out
