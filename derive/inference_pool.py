"""Which models are served through an InferencePool (`models[].routing.via: inferencePool`) and each
pool's spec: the model's serving pods and port (the same pods a router would discover), the Gateway
of the stack's API exposure as the route's parent, the endpoint picker on the CPU pool. The checks
(checks/routing.py) guarantee the exposure is an HTTPRoute and the gateway URL is set. docs/routing.md."""

from __future__ import annotations

from catalog.images import EPP_IMAGE
from config import StackConfig
from config.access import HttpRouteExposure
from derive.placement import cpu_placement
from derive.serving import ServingPlan
from render import inference_pool as ip
from render.engines import port, service
from render.meta import image as mirrored


def pool_spec(cfg: StackConfig, plan: ServingPlan) -> ip.PoolSpec | None:
    """The model's pool, or None when it is not served through one."""
    m = plan.config
    if m.routing.via != "inferencePool":
        return None
    exp = cfg.exposure.api
    if not isinstance(exp, HttpRouteExposure) or m.routing.gateway_url is None:
        raise ValueError(f"{m.name}: an InferencePool needs exposure.api of kind httpRoute and "
                         "routing.gatewayUrl (checks/routing.py refuses the config otherwise)")
    return ip.PoolSpec(
        model=plan.spec.name,
        namespace=plan.spec.namespace,
        image=mirrored(EPP_IMAGE, cfg.image_registry),
        engine_selector=dict(service(plan.spec)["spec"]["selector"]),
        engine_port=port(plan.spec.engine),
        gateway_url=m.routing.gateway_url,
        gateway_name=exp.gateway_name,
        gateway_namespace=exp.gateway_namespace,
        section_name=exp.section_name,
        proxy_namespace=exp.proxy_namespace,
        timeout_seconds=cfg.gateway.request_timeout_seconds,
        placement=cpu_placement(cfg),
    )


def pools(cfg: StackConfig, plans: list[ServingPlan]) -> dict[str, ip.PoolSpec]:
    """The pooled models' specs, by model name."""
    out = {}
    for plan in plans:
        spec = pool_spec(cfg, plan)
        if spec is not None:
            out[plan.spec.name] = spec
    return out
