"""The stack's namespace must be its own: not one where a controller the config names runs (the
HTTPRoute's Gateway and its proxies, the ingress controller, an existing Prometheus, TMP's agent), nor
an app namespace of `gateway.clientNamespaces`. The stack would label it for Pod Security, put its
default-deny NetworkPolicy in it (cutting that controller's traffic) and keep it in its state. Add-ons
the stack installs itself (KEDA, kube-prometheus-stack, LWS) are refused by program/uniqueness.py.
"""

from __future__ import annotations

from config import StackConfig
from config.access import HttpRouteExposure, IngressExposure
from config.errors import PROJECT, ConfigIssue
from config.operations import ExistingPrometheus, TkeManagedPrometheus


def _shared(cfg: StackConfig) -> dict[str, tuple[str, str]]:
    """Namespace -> (what runs there, the key that says so), first mention kept."""
    found: list[tuple[str, str, str]] = []
    for where, e in (("api", cfg.exposure.api), ("webui", cfg.exposure.webui)):
        if isinstance(e, HttpRouteExposure):
            found.append((e.gateway_namespace, f"the Gateway `{e.gateway_name}`", f"exposure.{where}.gatewayNamespace"))
            if e.proxy_namespace:
                found.append((e.proxy_namespace, "the Gateway's proxies", f"exposure.{where}.proxyNamespace"))
        elif isinstance(e, IngressExposure) and e.controller_namespace:
            found.append((e.controller_namespace, "the ingress controller", f"exposure.{where}.controllerNamespace"))
    prom = cfg.monitoring.prometheus if cfg.monitoring else None
    if isinstance(prom, ExistingPrometheus):
        found.append((prom.namespace, "the existing Prometheus", "monitoring.prometheus.namespace"))
    elif isinstance(prom, TkeManagedPrometheus):
        key = "agentNamespace" if prom.agent_namespace else "instanceId"
        found += [(ns, "TKE's Prometheus agent", f"monitoring.prometheus.{key}") for ns in prom.scrape_namespaces]
    for i, ns in enumerate(cfg.gateway.client_namespaces if cfg.gateway.enabled else []):
        found.append((ns, "the apps that call the gateway", f"gateway.clientNamespaces[{i}]"))
    out: dict[str, tuple[str, str]] = {}
    for ns, what, key in found:
        out.setdefault(ns, (what, key))
    return out


def namespace_issues(cfg: StackConfig) -> list[ConfigIssue]:
    """`tke-llm:namespace` naming a namespace another workload of the config lives in."""
    hit = _shared(cfg).get(cfg.namespace)
    if hit is None:
        return []
    what, key = hit
    return [ConfigIssue(f"{PROJECT}:namespace", f"{cfg.namespace!r} is where {what} runs ({PROJECT}:{key}): the stack "
                        "would take that namespace over, label it and deny all ingress into it by default, cutting "
                        "that traffic, and keep it in its state; give the stack a namespace of its own, e.g. llm")]
