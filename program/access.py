"""The access layer of the graph: the gateway in front of the served models, OpenWebUI, the exposure
of each endpoint, the NetworkPolicy paths between them, and the outputs apps consume. Called by
program/compose.py after the model servers exist (derive/access.py decides who may call each engine)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi

from catalog.images import OPENWEBUI_IMAGE, POSTGRES_IMAGE
from components.clb_security_group import ClbSecurityGroup
from components.exposure import Exposure
from components.gateway import Gateway
from components.webui import Webui
from config import StackConfig
from derive.access import exposure_spec, gateway_spec, webui_volume
from derive.naming import Names
from derive.placement import cpu_placement
from derive.serving import ServingPlan
from render import exposure as expose
from render import litellm, smoke, webui
from render.cold_hold import max_hold_seconds
from render.engines import port, service, service_name
from render.meta import image as mirrored
from render.network_policy import pod_peer, port_rule


@dataclass
class Access:
    outputs: dict[str, Any] = field(default_factory=dict)
    """The outputs apps read."""
    url: str = ""
    """The in-cluster base URL apps are given (`apiBaseUrlInCluster`), what the smoke Jobs call."""
    ready: list[pulumi.Resource] = field(default_factory=list)
    """What answers on `url` once ready (the gateway's Deployment and Service; none without a gateway)."""
    specs: tuple[Any, ...] = ()
    """The specs of what answers on `url` besides the engine (the gateway's), for the smoke revision."""


def build_access(cfg: StackConfig, in_ns: pulumi.ResourceOptions, storage: pulumi.Resource,
                 servers: dict[str, Any], plans: list[ServingPlan], names: Names,
                 cluster: pulumi.Resource | None = None, routers: dict[str, Any] | None = None) -> Access:
    """Register the gateway, the UI and their exposures; return the outputs apps read and what the
    smoke Jobs need. `cluster`: the TKE cluster the CLB security groups outlive on destroy
    (components/clb_security_group.py). `routers`: the ModelRouter of each routed model, which the
    gateway calls instead of the model's Service."""
    routers = routers or {}
    if not plans:
        return Access()  # nothing is served: no gateway (LiteLLM refuses an empty model list), no UI
    ns = cfg.namespace
    timeout = cfg.gateway.request_timeout_seconds
    rotate = cfg.keys.rotate
    api_exp, ui_exp = exposure_spec(cfg.exposure.api), exposure_spec(cfg.exposure.webui)
    api_sources = expose.sources(api_exp)
    if cfg.gateway.enabled:
        spec = gateway_spec(cfg, plans, {name: routers[name].url if name in routers else s.service_url
                                         for name, s in servers.items()})
        rules = []
        if cfg.webui.enabled:
            rules.append(port_rule(litellm.PORT, [pod_peer(webui.selector())]))
        if api_sources is not False:
            rules.append(port_rule(litellm.PORT, api_sources))  # type: ignore[arg-type]
        if cfg.gateway.client_namespaces:
            rules.append(port_rule(litellm.PORT, [expose.namespace_peer(*cfg.gateway.client_namespaces)]))
        if cfg.smoke.enabled:
            rules.append(port_rule(litellm.PORT, [pod_peer(smoke.peer())]))
        vk = cfg.gateway.virtual_keys
        gw = Gateway("gateway", spec=spec, after=[*(s.key_secret for s in servers.values()),
                                                  *(r.deployment for r in routers.values())], ingress_rules=rules,
                     db_image=mirrored(POSTGRES_IMAGE, cfg.image_registry), db_storage_gi=vk.storage_gi,
                     db_storage_class=vk.storage_class_name,
                     engine_secrets={n: d for s in servers.values() for n, d in s.secret_data.items()},
                     master_rotation=rotate.master_key, app_rotation=rotate.app_key, opts=in_ns)
        in_cluster, api_key, key_deps, key_data = gw.url, gw.api_key, [gw.key_secret], gw.secret_data
        admin_key = gw.admin_key
        ready, specs = [gw.deployment, gw.service], (spec,)
        key_ref = webui.SecretRef(litellm.MASTER_KEY_SECRET, litellm.MASTER_KEY_FIELD) if spec.virtual_keys \
            else webui.SecretRef(litellm.APP_KEY_SECRET, litellm.APP_KEY_FIELD)
        endpoint = expose.Endpoint(name=litellm.NAME, namespace=ns, service=litellm.NAME, port=litellm.PORT,
                                   selector=litellm.selector(), component=litellm.COMPONENT, path="/v1",
                                   # a held request's answer comes after its hold (render/cold_hold.py)
                                   timeout_seconds=timeout + 30 + max_hold_seconds(spec.backends))
    else:
        (plan,) = plans  # config refuses `gateway: none` with several models
        server = servers[plan.spec.name]
        in_cluster, api_key, key_deps, key_data = server.service_url, server.api_key, [server.key_secret], \
            server.secret_data
        admin_key = None
        ready, specs = [], ()
        key_ref = webui.SecretRef(plan.spec.api_key_secret, "api-key")
        svc = service(plan.spec)
        endpoint = expose.Endpoint(name=service_name(plan.spec), namespace=ns, service=service_name(plan.spec),
                                   port=port(plan.spec.engine), selector=svc["spec"]["selector"],
                                   component="model-server", path="/v1", timeout_seconds=timeout + 30)
    outputs: dict[str, Any] = {"apiBaseUrlInCluster": in_cluster, "apiKey": pulumi.Output.secret(api_key)}
    if admin_key is not None:
        outputs["adminKey"] = admin_key  # the gateway's master key: every route, keep it from apps
    api_url: Any = in_cluster
    if api_exp is not None:
        api_url = Exposure("api-exposure", endpoint=endpoint, exposure=api_exp, url_path="/v1",
                           security_groups=_clb_groups("api", api_exp, names, cluster), opts=in_ns).url
    outputs["apiBaseUrl"] = api_url

    if cfg.webui.enabled:
        ollama_only = not cfg.gateway.enabled and plans[0].spec.engine == "ollama"
        spec_ui = webui.WebuiSpec(
            namespace=ns,
            image=mirrored(OPENWEBUI_IMAGE, cfg.image_registry),
            openai_base_url=None if ollama_only else in_cluster,
            openai_key=None if ollama_only else key_ref,
            ollama_base_url=f"http://{service_name(plans[0].spec)}.{ns}.svc:{port('ollama')}" if ollama_only else None,
            replicas=cfg.webui.replicas,
            redis_url=cfg.webui.redis_url,
            public_url=expose.static_url(ui_exp),
            cpu=cfg.webui.cpu,
            memory=cfg.webui.memory,
            placement=cpu_placement(cfg),
        )
        storage_class, access_mode = webui_volume(cfg)
        ui_sources = expose.sources(ui_exp)
        ui_rules = [] if ui_sources is False else [port_rule(webui.PORT, ui_sources)]  # type: ignore[arg-type]
        ui = Webui("webui", spec=spec_ui, storage_class=storage_class, size_gi=cfg.webui.storage.size_gi,
                   access_mode=access_mode, after=key_deps, storage_after=[storage], ingress_rules=ui_rules,
                   key_secrets=key_data, secret_rotation=rotate.webui_secret_key, opts=in_ns)
        webui_url: Any = ui.url
        if ui_exp is not None:
            ui_endpoint = expose.Endpoint(name=webui.NAME, namespace=ns, service=webui.NAME, port=webui.PORT,
                                          selector=webui.selector(), component=webui.COMPONENT, path="/")
            webui_url = Exposure("webui-exposure", endpoint=ui_endpoint, exposure=ui_exp,
                                 security_groups=_clb_groups("webui", ui_exp, names, cluster), opts=in_ns).url
        outputs["webuiUrl"] = webui_url
    return Access(outputs=outputs, url=in_cluster, ready=ready, specs=specs)


def _clb_groups(key: str, exp: expose.ExposureSpec | None, names: Names,
                cluster: pulumi.Resource | None) -> pulumi.Output[str] | None:
    """A CLB restricted by `allowedCidrs`: its security group (a cloud resource, created with the cluster,
    not after the Kubernetes objects), and the annotation value naming it first, then `securityGroupIds`.
    The checks admit `allowedCidrs` only on a new TKE cluster, where the Tencent Cloud provider is."""
    if not isinstance(exp, expose.LoadBalancer) or not exp.allowed_cidrs:
        return None
    group = ClbSecurityGroup(f"{key}-clb", group_name=f"{names.cluster}-{key}-clb", cidrs=list(exp.allowed_cidrs),
                             port=exp.port, endpoint=key, tags=names.tags, after=[cluster] if cluster else None)
    return pulumi.Output.all(group.security_group_id, *exp.security_group_ids).apply(expose.join_groups)
