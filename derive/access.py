"""Access specs from the config: who may call each engine, the UI's volume, the gateway spec and the
renderer's view of each exposure. program/access.py registers what these describe."""

from __future__ import annotations

from typing import Any

from catalog import clb
from catalog.images import LITELLM_IMAGE
from config import StackConfig
from config.access import HttpRouteExposure, IngressExposure, LoadBalancerExposure
from config.storage import CfsStorage, CfsTurboStorage, ExistingStorage
from derive.cold_hold import hold
from derive.inference_pool import pool_spec
from derive.operations import cold_start
from derive.placement import cpu_placement
from derive.routing import policy, router_spec
from derive.serving import ServingPlan
from render import cold_hold
from render import exposure as expose
from render import inference_pool as ip
from render import litellm, smoke, webui
from render import router as rt
from render.engines import port
from render.engines.lora import engine_model
from render.meta import image as mirrored
from render.network_policy import port_rule


def engine_ingress(cfg: StackConfig, plan: ServingPlan) -> tuple[list[dict[str, str]] | None, list[dict[str, Any]]]:
    """(pod selectors admitted to the engine's API port, extra ingress rules). A routed model is called by
    its router only; otherwise with the gateway only the gateway calls engines; without it the UI does,
    and the API's exposure path reaches the engine. A pooled model is called by the Gateway's proxy pods."""
    pooled = pool_spec(cfg, plan)
    if pooled is not None:
        # LiteLLM is admitted too (an empty list would admit every pod of the stack); its calls go via the Gateway.
        return [litellm.selector()], [port_rule(port(plan.spec.engine),
                                                [expose.namespace_peer(ip.proxy_namespace(pooled))])]
    routed = router_spec(cfg, plan)
    if routed is not None:
        return [rt.selector(routed)], []
    if cfg.gateway.enabled:
        return [litellm.selector()], []
    peers = [webui.selector()] if cfg.webui.enabled else None
    if peers is not None and cfg.smoke.enabled:
        peers.append(smoke.peer())  # the smoke Job calls the engine as apps do (None admits it already)
    sources = expose.sources(exposure_spec(cfg.exposure.api))
    extra = [] if sources is False else [port_rule(port(plan.spec.engine), sources)]  # type: ignore[arg-type]
    return peers, extra


def webui_volume(cfg: StackConfig) -> tuple[str | None, str]:
    """(StorageClass, access mode) of the UI's data volume: the stack's shared class when it has one,
    the cluster's default (block storage, one node at a time) with local model storage."""
    ws = cfg.webui.storage
    if ws.storage_class_name:
        return ws.storage_class_name, ws.access_mode or "ReadWriteOnce"
    st = cfg.storage
    if isinstance(st, (CfsStorage, CfsTurboStorage)):
        return st.storage_class_name, ws.access_mode or "ReadWriteMany"
    if isinstance(st, ExistingStorage):
        return st.storage_class_name, ws.access_mode or st.access_mode
    return None, ws.access_mode or "ReadWriteOnce"


def gateway_spec(cfg: StackConfig, plans: list[ServingPlan], urls: dict[str, str]) -> litellm.GatewaySpec:
    g = cfg.gateway
    return litellm.GatewaySpec(
        namespace=cfg.namespace,
        image=mirrored(LITELLM_IMAGE, cfg.image_registry),
        backends=tuple(litellm.Backend(name=p.spec.name, served_name=p.spec.served_name, api_base=urls[p.spec.name],
                                       key_secret=p.spec.api_key_secret, hold=hold(cfg, p, cold_start(cfg, p)),
                                       # a routed model's api_base is its router (program/access.py)
                                       probe_path=cold_hold.ROUTER_PROBE if router_spec(cfg, p) is not None
                                       else cold_hold.ENGINE_PROBE) for p in plans),
        replicas=g.replicas,
        routing_strategy=g.routing_strategy,
        request_timeout_seconds=g.request_timeout_seconds,
        num_retries=g.num_retries,
        fallbacks=tuple((f.model, tuple(f.to)) for f in g.fallbacks),
        rate_limits=tuple(litellm.RateLimit(r.model, r.rpm, r.tpm) for r in g.rate_limits),
        virtual_keys=g.virtual_keys.enabled,
        cpu=g.cpu,
        memory=g.memory,
        placement=cpu_placement(cfg),
        # an adapter is a model group of its own at the gateway, routed by its base's router
        header_models=tuple(name for p in plans if policy(cfg, p.config) == "session"
                            for name in (p.spec.served_name, *(a.name for a in p.config.adapters))),
        adapters=tuple(litellm.AdapterRoute(served_name=a.name, base=p.spec.name,
                                            engine_model=engine_model(p.spec.engine, p.spec.served_name, a.name))
                       for p in plans for a in p.config.adapters),
    )


def exposure_spec(exp: Any) -> expose.ExposureSpec | None:
    """The renderer's view of one endpoint's exposure config; None when it is reached in-cluster only."""
    match exp:
        case LoadBalancerExposure():
            tls = expose.ClbTls(exp.tls.certificate_id, exp.tls.protocol) if exp.tls else None
            # pass-to-target wherever the CLB is TKE's own (not reused) and filters by group or faces the
            # internet: the CLB keeps client addresses, which the nodes' groups drop (catalog/clb.py).
            reused = clb.EXISTING_LB in exp.annotations
            return expose.LoadBalancer(port=exp.listener_port, internal_subnet_id=exp.internal_subnet_id,
                                       annotations=dict(exp.annotations), host=exp.host, tls=tls,
                                       allowed_cidrs=tuple(exp.allowed_cidrs),
                                       security_group_ids=tuple(exp.security_group_ids),
                                       pass_to_target=not reused and (exp.restricted or exp.public))
        case IngressExposure():
            tls = expose.Tls(exp.tls.secret_name, exp.tls.issuer, exp.tls.issuer_kind) if exp.tls else None
            return expose.Ingress(host=exp.host, class_name=exp.class_name, tls=tls,
                                  annotations=dict(exp.annotations), controller_namespace=exp.controller_namespace)
        case HttpRouteExposure():
            return expose.HttpRoute(gateway_name=exp.gateway_name, gateway_namespace=exp.gateway_namespace,
                                    hostnames=tuple(exp.hostnames), section_name=exp.section_name,
                                    scheme=exp.scheme, proxy_namespace=exp.proxy_namespace)
    return None
