"""How an endpoint (the API, the UI) is reached from outside the cluster: a LoadBalancer Service (a TKE
CLB, public or internal, with security groups and TLS by TKE's annotations), an Ingress, or a Gateway
API HTTPRoute (reference 2.14-2.20).

The renderers take the endpoint and an exposure spec (derive/access.py builds it from the config), and
say which sources the endpoint's NetworkPolicy must admit. API routes carry only `/v1`; routes get the
gateway's request timeout (proxies cut long answers by default). See docs/gateway.md, "Exposure".
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from catalog import clb
from render.credentials import opaque_secret
from render.meta import labels, metadata

TKE_INTERNAL_SUBNET = clb.INTERNAL_SUBNET
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
class ClbTls:
    """TLS on the CLB listener with an SSL certificate id (`specify-protocol`, catalog/clb.py)."""
    certificate_id: str
    protocol: str = "TCP_SSL"


@dataclass(frozen=True)
class LoadBalancer:
    """A Service of type LoadBalancer: TKE creates a CLB (private in `internal_subnet_id`). The CLB admits
    only `allowed_cidrs` (a group the component creates) and `security_group_ids` when either is set."""
    port: int = 80
    internal_subnet_id: str | None = None
    annotations: Mapping[str, str] = field(default_factory=dict)
    host: str | None = None
    tls: ClbTls | None = None
    allowed_cidrs: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()
    pass_to_target: bool = False
    """The CLB's own groups, not the nodes', filter its clients (whose addresses the CLB preserves)."""
    kind: Literal["loadBalancer"] = "loadBalancer"

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    @property
    def restricted(self) -> bool:
        return bool(self.allowed_cidrs or self.security_group_ids)


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


def load_balancer(ep: Endpoint, exp: LoadBalancer, security_groups: Any = None) -> dict[str, Any]:
    """The Service. `security_groups`: the value of TKE's security-groups annotation (ids, comma-separated,
    see `join_groups`), which the caller passes when a group is created from `allowed_cidrs` (an output)."""
    annotations = dict(exp.annotations)
    if exp.internal_subnet_id:
        annotations[TKE_INTERNAL_SUBNET] = exp.internal_subnet_id
    if security_groups is None and exp.restricted:
        if exp.allowed_cidrs:
            raise ValueError(f"{ep.name}: pass the id of the group created from allowed_cidrs (security_groups)")
        security_groups = join_groups(exp.security_group_ids)
    if security_groups is not None:
        annotations[clb.SECURITY_GROUPS] = security_groups
    if exp.pass_to_target:
        annotations[clb.PASS_TO_TARGET] = "true"
    if exp.tls:
        annotations[clb.SPECIFY_PROTOCOL] = specify_protocol(ep, exp)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(f"{ep.name}-lb", ep.namespace, labels(ep.component), annotations or None),
        "spec": {
            "type": "LoadBalancer",
            "selector": dict(ep.selector),
            "ports": [{"name": exp.scheme, "port": exp.port, "targetPort": "http", "protocol": "TCP"}],
        },
    }


def join_groups(ids: Sequence[str]) -> str:
    """The security-groups annotation's value: ids in binding order, comma-separated (TKE docs' example
    `"sg-xxxxxx,sg-xxxxxx"`)."""
    return ",".join(ids)


def specify_protocol(ep: Endpoint, exp: LoadBalancer) -> str:
    """TKE's listener protocol for the Service port, as JSON: TCP_SSL names the certificate Secret on the
    port, HTTPS under the host rule (`Service 扩展协议` L32-76; the CLB speaks HTTP to the pods)."""
    if exp.tls is None or (exp.tls.protocol == "HTTPS" and not exp.host):
        raise ValueError(f"{ep.name}: a CLB listener protocol needs tls, and HTTPS a host")
    secret = clb_cert_secret_name(ep)
    if exp.tls.protocol == "HTTPS":
        listener: dict[str, Any] = {"protocol": ["HTTPS"], "hosts": {exp.host: {"tls": secret}}}
    else:
        listener = {"protocol": [exp.tls.protocol], "tls": secret}
    return json.dumps({str(exp.port): listener}, separators=(",", ":"), sort_keys=True)


def clb_cert_secret_name(ep: Endpoint) -> str:
    return f"{ep.name}-clb-cert"


def clb_cert_secret(ep: Endpoint, exp: LoadBalancer) -> dict[str, Any] | None:
    """The Opaque Secret `specify-protocol` names: the SSL certificate id under `qcloud_cert_id`, in the
    Service's namespace (TKE's certificate Secret format). None without TLS."""
    if exp.tls is None:
        return None
    return opaque_secret(clb_cert_secret_name(ep), ep.namespace, {clb.CERT_ID_KEY: exp.tls.certificate_id},
                         ep.component)


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


def manifests(ep: Endpoint, exp: ExposureSpec | None, security_groups: Any = None) -> list[dict[str, Any]]:
    """The objects of one exposure, each after what it names (the certificate Secret before its Service)."""
    match exp:
        case LoadBalancer():
            secret = clb_cert_secret(ep, exp)
            return [*([secret] if secret else []), load_balancer(ep, exp, security_groups)]
        case Ingress():
            return [ingress(ep, exp)]
        case HttpRoute():
            return [http_route(ep, exp)]
    return []


def static_url(exp: ExposureSpec | None, path: str = "") -> str | None:
    """The external URL when it is known before anything is created (a host name); None for a
    LoadBalancer without `host`, whose address TKE assigns (see `lb_url`), and for no exposure."""
    match exp:
        case Ingress() | HttpRoute():
            return f"{exp.scheme}://{exp.host}{path}"
        case LoadBalancer(host=str()):
            default = 443 if exp.scheme == "https" else 80
            return f"{exp.scheme}://{exp.host}{'' if exp.port == default else f':{exp.port}'}{path}"
    return None


def lb_url(status: Any, port: int, path: str = "", scheme: str = "http") -> str:
    """`<scheme>://<CLB address>[:port]<path>` from a LoadBalancer Service's status; a readable
    placeholder until TKE has assigned the address (and in the offline plan)."""
    ingress_list = _get(_get(status, "load_balancer", "loadBalancer"), "ingress") or []
    first = ingress_list[0] if ingress_list else None
    address = _get(first, "ip") or _get(first, "hostname")
    host = address or "<CLB address, assigned at creation>"
    default = 443 if scheme == "https" else 80
    return f"{scheme}://{host}{'' if port == default else f':{port}'}{path}"


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
