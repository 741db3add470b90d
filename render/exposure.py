"""How an endpoint (the API, the UI) is reached from outside the cluster: a LoadBalancer Service (a TKE
CLB, public or internal), an Ingress, or a Gateway API HTTPRoute (reference 2.14-2.20).

The renderers take the endpoint and an exposure spec (derive/access.py builds it from the config), and
say which sources the endpoint's NetworkPolicy must admit. API routes carry only `/v1`; routes get the
gateway's request timeout (proxies cut long answers by default). See docs/gateway.md, "Exposure".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from render.meta import labels, metadata

TKE_INTERNAL_SUBNET = "service.kubernetes.io/qcloud-loadbalancer-internal-subnetid"
GATEWAY_API_GROUP = "gateway.networking.k8s.io"
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
ANY_SOURCE = None
"""NetworkPolicy rule without `from`: traffic from a CLB reaches the pods from client or node
addresses that cannot be listed, so only the port is restricted."""


@dataclass(frozen=True)
class Endpoint:
    name: str
    """Names the exposure objects (`<name>-lb`, Ingress and HTTPRoute `<name>`)."""
    namespace: str
    service: str
    """The ClusterIP Service behind the Ingress / HTTPRoute."""
    port: int
    selector: dict[str, str]
    """The pods the LoadBalancer Service selects (the ClusterIP Service's selector)."""
    component: str
    path: str = "/"
    timeout_seconds: int | None = None
    """Request timeout on the route (Ingress annotation for ingress-nginx, HTTPRoute `timeouts`)."""


@dataclass(frozen=True)
class LoadBalancer:
    """A Service of type LoadBalancer: TKE creates a CLB (private in `internal_subnet_id`)."""
    port: int = 80
    internal_subnet_id: str | None = None
    annotations: Mapping[str, str] = field(default_factory=dict)
    kind: Literal["loadBalancer"] = "loadBalancer"


@dataclass(frozen=True)
class Tls:
    secret_name: str | None = None
    issuer: str | None = None
    issuer_kind: str = "ClusterIssuer"


@dataclass(frozen=True)
class Ingress:
    host: str
    class_name: str | None = None
    tls: Tls | None = None
    annotations: Mapping[str, str] = field(default_factory=dict)
    controller_namespace: str | None = None
    kind: Literal["ingress"] = "ingress"

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"


@dataclass(frozen=True)
class HttpRoute:
    gateway_name: str
    gateway_namespace: str
    hostnames: tuple[str, ...]
    section_name: str | None = None
    scheme: str = "https"
    proxy_namespace: str | None = None
    kind: Literal["httpRoute"] = "httpRoute"

    @property
    def host(self) -> str:
        return self.hostnames[0]


ExposureSpec = LoadBalancer | Ingress | HttpRoute
"""How an endpoint is reached from outside; None where it is reached in-cluster only."""


def load_balancer(ep: Endpoint, exp: LoadBalancer) -> dict[str, Any]:
    annotations = dict(exp.annotations)
    if exp.internal_subnet_id:
        annotations[TKE_INTERNAL_SUBNET] = exp.internal_subnet_id
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(f"{ep.name}-lb", ep.namespace, labels(ep.component), annotations or None),
        "spec": {
            "type": "LoadBalancer",
            "selector": dict(ep.selector),
            "ports": [{"name": "http", "port": exp.port, "targetPort": "http", "protocol": "TCP"}],
        },
    }


def _is_nginx(class_name: str | None) -> bool:
    return bool(class_name) and "nginx" in class_name  # type: ignore[operator]


def ingress(ep: Endpoint, exp: Ingress) -> dict[str, Any]:
    annotations = dict(exp.annotations)
    if exp.tls and exp.tls.issuer:
        key = "cert-manager.io/cluster-issuer" if exp.tls.issuer_kind == "ClusterIssuer" else "cert-manager.io/issuer"
        annotations[key] = exp.tls.issuer
    if _is_nginx(exp.class_name):
        if ep.timeout_seconds:
            for a in ("proxy-read-timeout", "proxy-send-timeout"):
                annotations.setdefault(f"nginx.ingress.kubernetes.io/{a}", str(ep.timeout_seconds))
        # Long prompts (and images for vision models) exceed nginx's 1 MiB default body size.
        annotations.setdefault("nginx.ingress.kubernetes.io/proxy-body-size", "64m")
    spec: dict[str, Any] = {
        "rules": [{
            "host": exp.host,
            "http": {"paths": [{
                "path": ep.path,
                "pathType": "Prefix",
                "backend": {"service": {"name": ep.service, "port": {"number": ep.port}}},
            }]},
        }],
    }
    if exp.class_name:
        spec["ingressClassName"] = exp.class_name
    if exp.tls:
        spec["tls"] = [{"hosts": [exp.host], "secretName": tls_secret(ep, exp)}]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": metadata(ep.name, ep.namespace, labels(ep.component), annotations or None),
        "spec": spec,
    }


def tls_secret(ep: Endpoint, exp: Ingress) -> str | None:
    if exp.tls is None:
        return None
    return exp.tls.secret_name or f"{ep.name}-tls"


def http_route(ep: Endpoint, exp: HttpRoute) -> dict[str, Any]:
    parent: dict[str, Any] = {"group": GATEWAY_API_GROUP, "kind": "Gateway", "name": exp.gateway_name,
                              "namespace": exp.gateway_namespace}
    if exp.section_name:
        parent["sectionName"] = exp.section_name
    rule: dict[str, Any] = {
        "matches": [{"path": {"type": "PathPrefix", "value": ep.path}}],
        "backendRefs": [{"group": "", "kind": "Service", "name": ep.service, "port": ep.port}],
    }
    if ep.timeout_seconds:
        rule["timeouts"] = {"request": f"{ep.timeout_seconds}s"}
    return {
        "apiVersion": f"{GATEWAY_API_GROUP}/v1",
        "kind": "HTTPRoute",
        "metadata": metadata(ep.name, ep.namespace, labels(ep.component)),
        "spec": {"parentRefs": [parent], "hostnames": list(exp.hostnames), "rules": [rule]},
    }


def manifests(ep: Endpoint, exp: ExposureSpec | None) -> list[dict[str, Any]]:
    match exp:
        case LoadBalancer():
            return [load_balancer(ep, exp)]
        case Ingress():
            return [ingress(ep, exp)]
        case HttpRoute():
            return [http_route(ep, exp)]
    return []


def static_url(exp: ExposureSpec | None, path: str = "") -> str | None:
    """The external URL when it is known before anything is created (a host name); None for a
    LoadBalancer, whose address TKE assigns (see `lb_url`), and for no exposure."""
    match exp:
        case Ingress() | HttpRoute():
            return f"{exp.scheme}://{exp.host}{path}"
    return None


def lb_url(status: Any, port: int, path: str = "") -> str:
    """`http://<CLB address>[:port]<path>` from a LoadBalancer Service's status; a readable
    placeholder until TKE has assigned the address (and in the offline plan)."""
    ingress_list = _get(_get(status, "load_balancer", "loadBalancer"), "ingress") or []
    first = ingress_list[0] if ingress_list else None
    address = _get(first, "ip") or _get(first, "hostname")
    host = address or "<CLB address, assigned at creation>"
    return f"http://{host}{'' if port == 80 else f':{port}'}{path}"


def _get(obj: Any, *names: str) -> Any:
    for n in names:
        if obj is None:
            return None
        v = obj.get(n) if isinstance(obj, dict) else getattr(obj, n, None)
        if v is not None:
            return v
    return None


def sources(exp: ExposureSpec | None) -> list[dict[str, Any]] | None | bool:
    """Who the endpoint's NetworkPolicy admits for this exposure: a list of peers, ANY_SOURCE (None)
    for a CLB path, or False when nothing outside the namespace reaches it."""
    match exp:
        case LoadBalancer():
            return ANY_SOURCE
        case Ingress():
            return [namespace_peer(exp.controller_namespace)] if exp.controller_namespace else ANY_SOURCE
        case HttpRoute():
            return [namespace_peer(exp.proxy_namespace or exp.gateway_namespace)]
    return False


def namespace_peer(*names: str) -> dict[str, Any]:
    return {"namespaceSelector": {"matchExpressions": [
        {"key": NAMESPACE_NAME_LABEL, "operator": "In", "values": sorted(set(names))}]}}
