"""Access config: the API gateway in front of the engines, OpenWebUI, and how each endpoint (the API,
the UI) is reached from outside the cluster.

Defaults are the secure, useful ones: a LiteLLM gateway with a generated master key (two replicas,
no database), OpenWebUI talking to it, and nothing exposed outside the cluster until an exposure is
chosen. Cross-section rules (a rate limit naming a model the stack does not serve, exposing a UI that
is off) are in `access_issues`, which reports the exact key.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic.alias_generators import to_camel

from catalog import clb
from config.base import ConfigModel
from config.errors import AtKey
from config.formats import (DNS_LABEL, Annotations, IngressClassName, IssuerName, Quantity, SecurityGroupId,
                            StorageClassName, boolean_shorthand)

HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$")
"""A fully qualified DNS name (lowercase, at least two labels). Wildcards are refused: the stack
outputs a URL apps call, and `*.example.com` is not one."""
SUBNET_ID = re.compile(r"^subnet-[a-z0-9]{8}$")
CERT_ID = re.compile(r"^[A-Za-z0-9]{4,32}$")
"""An SSL certificate id: the provider's examples are 8 letters and digits (`8u8DII0l`); the length is
left loose, the check catches a name, domain or PEM pasted instead."""
CLB_MANAGED_ANNOTATIONS = {
    clb.SECURITY_GROUPS: "is written from allowedCidrs and securityGroupIds; list the groups there",
    clb.PASS_TO_TARGET: "is set by the stack on a CLB with security groups or a public one (not on a reused CLB)",
    clb.SPECIFY_PROTOCOL: "is written from tls (certificateId, protocol) and host; set those instead",
}
"""TKE annotations the fields set; refused in `annotations`, so the plan's account of a CLB is the truth.
(The internal-subnet annotation stays writable there: on an existing cluster it is the way to it.)"""
ROUTING_STRATEGIES = ("simple-shuffle", "least-busy", "latency-based-routing", "usage-based-routing-v2")


def _hostname(v: str) -> str:
    if not HOSTNAME.fullmatch(v):
        raise ValueError(f"{v!r} is not a DNS name such as llm.example.com (lowercase, no wildcard, no IP address)")
    if re.fullmatch(r"[0-9.]+", v):
        raise ValueError(f"{v!r} is an IP address; an Ingress or HTTPRoute host must be a DNS name")
    return v


def _k8s_name(v: str, what: str) -> str:
    if not DNS_LABEL.fullmatch(v):
        raise ValueError(f"{v!r} is not a valid {what} (a lowercase DNS label)")
    return v


class RateLimit(ConfigModel):
    model: str
    """The served name (`models[].servedName`) the limit applies to."""
    rpm: int | None = Field(None, ge=1)
    """Requests per minute."""
    tpm: int | None = Field(None, ge=1)
    """Tokens (prompt + completion) per minute."""

    @model_validator(mode="after")
    def _some(self) -> "RateLimit":
        if self.rpm is None and self.tpm is None:
            raise ValueError("set rpm, tpm or both")
        return self


class Fallback(ConfigModel):
    model: str
    """A served name; when its engine fails (after retries), the gateway tries `to` in order."""
    to: list[str] = Field(min_length=1)

    @field_validator("to")
    @classmethod
    def _once(cls, v: list[str]) -> list[str]:
        for j, t in enumerate(v):
            if v.index(t) != j:
                raise AtKey((j,), f"{t} listed twice: the gateway tries each target once, list it once")
        return v


class VirtualKeys(ConfigModel):
    """LiteLLM virtual keys (per-app keys, budgets, spend tracking) need Postgres. The stack then runs
    one in the namespace, with a generated password, and migrates its schema in a Job that must
    finish before any new gateway pod starts."""

    enabled: bool = False
    storage_gi: int = Field(20, ge=1)
    """The database volume (ReadWriteOnce, the cluster's default StorageClass unless set)."""
    storage_class_name: StorageClassName | None = None




class GatewayConfig(ConfigModel):
    """`gateway: litellm` (the default) or `gateway: none`, or the mapping below."""

    kind: Literal["litellm", "none"] = "litellm"
    """`none`: no gateway; apps and the UI call the engine Service directly with the engine's own key,
    as the reference guides do (one model only)."""
    replicas: int = Field(2, ge=2, le=20)
    """At least two: with one, every rollout or node drain is an API outage."""
    routing_strategy: Literal[ROUTING_STRATEGIES] = "simple-shuffle"  # type: ignore[valid-type]
    request_timeout_seconds: int = Field(600, ge=10, le=3600)
    """Per request to an engine; long generations of reasoning models take minutes."""
    num_retries: int = Field(2, ge=0, le=10)
    fallbacks: list[Fallback] = Field(default_factory=list)
    rate_limits: list[RateLimit] = Field(default_factory=list)
    """Per-model limits for the gateway key, enforced in memory by each gateway replica (no database):
    with N replicas the whole gateway admits up to N times the figure."""
    virtual_keys: VirtualKeys = VirtualKeys()
    client_namespaces: list[str] = Field(default_factory=list)
    """Namespaces whose pods may call the gateway in-cluster (`apiBaseUrlInCluster`), e.g. [llm-apps]:
    the stack's namespace denies all other ingress, so an app elsewhere times out unless listed here."""
    cpu: Quantity = "500m"
    memory: Quantity = "1Gi"

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"kind": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _none_has_no_settings(self) -> "GatewayConfig":
        if self.kind == "none":
            extra = sorted(self.model_fields_set - {"kind"})
            if extra:
                raise AtKey(extra[0], "gateway `none` takes no settings (found "
                            f"{', '.join(map(to_camel, extra))})")
        if self.virtual_keys.enabled and self.rate_limits:
            raise AtKey("rate_limits", "rateLimits apply to the gateway key without a database; with "
                        "virtualKeys.enabled, set model_rpm_limit / model_tpm_limit on the keys you generate instead")
        for j, ns in enumerate(self.client_namespaces):
            if not DNS_LABEL.fullmatch(ns):
                raise AtKey(("client_namespaces", j), f"{ns!r} is not a namespace name (lowercase letters, "
                            "digits, '-', at most 63)")
        names = [r.model for r in self.rate_limits]
        for j, name in enumerate(names):
            if names.index(name) != j:
                raise AtKey(("rate_limits", j, "model"), f"{name!r} already has a limit in "
                            f"rateLimits[{names.index(name)}]: one entry per model")
        return self

    @field_validator("fallbacks")
    @classmethod
    def _one_per_model(cls, v: list[Fallback]) -> list[Fallback]:
        names = [f.model for f in v]
        for j, name in enumerate(names):
            if names.index(name) != j:
                raise AtKey((j, "model"), f"{name} has two fallback entries: the gateway keeps one list per model; "
                            "merge their `to` into one entry")
        return v

    @field_validator("client_namespaces")
    @classmethod
    def _namespaces_once(cls, v: list[str]) -> list[str]:
        for j, ns in enumerate(v):
            if v.index(ns) != j:
                raise AtKey((j,), f"{ns} listed twice; list each namespace once")
        return v

    @property
    def enabled(self) -> bool:
        return self.kind != "none"


class KeyRotation(ConfigModel):
    """Generation counters of the keys the stack generates: change one (raise it) and the next `pulumi up`
    generates that key anew, updates its Secret in place and rolls the pods that read it; the old key
    is refused from then on. docs/operations.md, "Rotating keys"."""

    app_key: int = Field(0, ge=0)
    """The gateway's app key (output `apiKey`, what apps and the UI send): every app needs the new one."""
    master_key: int = Field(0, ge=0)
    """The gateway's master key (output `adminKey`; with virtual keys also `apiKey`)."""
    engine_keys: int = Field(0, ge=0)
    """Every model's engine key (only the gateway uses them; without a gateway, output `apiKey`). The
    engines restart and load their model again; until a model's last old pod is gone, requests the new
    gateway pods send to it may get 401: a maintenance window."""
    webui_secret_key: int = Field(0, ge=0)
    """OpenWebUI's session-signing key: everyone is signed out."""


class KeysConfig(ConfigModel):
    rotate: KeyRotation = KeyRotation()


class WebuiStorage(ConfigModel):
    size_gi: int = Field(20, ge=1)
    storage_class_name: StorageClassName | None = None
    """Default: the stack's model StorageClass (CFS, CFS-Turbo or the existing class); with `local`
    model storage, the cluster's default class (on TKE, CBS block storage)."""
    access_mode: Literal["ReadWriteOnce", "ReadWriteMany"] | None = None
    """Default: ReadWriteMany on the stack's shared class, ReadWriteOnce on the cluster default."""


class WebuiConfig(ConfigModel):
    """`webui: true` (the default) / `false`, or the mapping below."""

    enabled: bool = True
    redis_url: str | None = None
    """redis:// or rediss:// URL without a password (a password would sit in plain config)."""
    replicas: int = Field(1, ge=1, le=10)
    """More than one needs `redisUrl`: without Redis, OpenWebUI's websockets break across replicas."""
    storage: WebuiStorage = WebuiStorage()
    cpu: Quantity = "500m"
    memory: Quantity = "1Gi"

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"enabled": data} if isinstance(data, bool) else boolean_shorthand(data)

    @field_validator("redis_url")
    @classmethod
    def _redis(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if not re.fullmatch(r"^rediss?://[^\s/]+(/\d+)?$", v):
            raise ValueError(f"{v!r} is not a redis:// or rediss:// URL such as redis://redis.cache.svc:6379/0")
        if "@" in v:
            raise ValueError("write the Redis URL without credentials: it is plain config, not a secret")
        return v

    @field_validator("replicas")
    @classmethod
    def _replicas(cls, v: int, info: ValidationInfo) -> int:
        if v > 1 and info.data.get("redis_url") is None:
            raise ValueError(f"{v} replicas need redisUrl: without Redis, OpenWebUI's websockets break across "
                             "replicas; keep 1 replica or set redisUrl")
        return v


class NoExposure(ConfigModel):
    kind: Literal["none"]
    """Reachable inside the cluster only (kubectl port-forward for a person)."""


class ClbTls(ConfigModel):
    """TLS ends at the CLB: TKE's `specify-protocol` annotation turns the listener into TCP_SSL or
    HTTPS with a certificate from Tencent Cloud's SSL Certificates service (docs/gateway.md)."""

    certificate_id: str
    """The SSL certificate's id (SSL Certificates console, e.g. `8u8DII0l`); the stack puts it in an Opaque
    Secret under `qcloud_cert_id`, which the annotation names. Not a secret: the key stays in the console."""
    protocol: Literal[clb.TLS_PROTOCOLS] = "TCP_SSL"  # type: ignore[valid-type]
    """`TCP_SSL`: TLS on a layer-4 listener, like the plain one otherwise. `HTTPS`: a layer-7 listener
    whose rule is `host` (the CLB then speaks HTTP to the pods)."""

    @field_validator("certificate_id")
    @classmethod
    def _cert(cls, v: str) -> str:
        if not CERT_ID.fullmatch(v):
            raise ValueError(f"{v!r} is not an SSL certificate id such as 8u8DII0l (the ID column of the SSL "
                             "Certificates console; not the certificate's name, domain or PEM)")
        return v


class LoadBalancerExposure(ConfigModel):
    kind: Literal["loadBalancer"]
    """A Service of type LoadBalancer: TKE creates a CLB. Public unless `internalSubnetId`; a public one
    needs `allowedCidrs`/`securityGroupIds` or `tls`, or `allowPublicPlainHttp: true` to say it is meant."""
    internal_subnet_id: str | None = None
    """A private CLB in this subnet (TKE annotation
    `service.kubernetes.io/qcloud-loadbalancer-internal-subnetid`); a public CLB when unset."""
    port: int | None = Field(None, ge=1, le=65535)
    """The CLB listener's port; default 443 with `tls`, else 80."""
    host: str | None = None
    """The DNS name you point at the CLB's address: the URL the stack outputs, and the certificate's name
    (required with `tls`, whose certificate an IP address does not match)."""
    allowed_cidrs: list[str] = Field(default_factory=list)
    """Client ranges the CLB admits on its port: the stack creates a security group from them and binds it
    (`service.cloud.tencent.com/security-groups` + `pass-to-target`). A new TKE cluster only."""
    security_group_ids: list[SecurityGroupId] = Field(default_factory=list)
    """Existing security groups to bind to the CLB as well (at most 5 with the stack's own), e.g. on an
    existing TKE cluster, where the stack creates no cloud resource."""
    tls: ClbTls | None = None
    allow_public_plain_http: bool = False
    """`true` says a public CLB with plain HTTP and no source restriction is meant (the key then travels
    in clear text from anywhere); without it such an exposure is refused."""
    annotations: Annotations = Field(default_factory=dict)
    """Extra Service annotations, e.g. `service.kubernetes.io/tke-existed-lbid` to reuse a CLB. The ones the
    fields above set are refused here."""

    @field_validator("internal_subnet_id")
    @classmethod
    def _subnet(cls, v: str | None) -> str | None:
        if v is not None and not SUBNET_ID.fullmatch(v):
            raise ValueError(f"{v!r} is not a subnet id such as subnet-abcd1234")
        return v

    @field_validator("host")
    @classmethod
    def _host(cls, v: str | None) -> str | None:
        return v if v is None else _hostname(v)

    @field_validator("allowed_cidrs")
    @classmethod
    def _cidrs(cls, v: list[str]) -> list[str]:
        for c in v:
            try:
                net = ipaddress.ip_network(c, strict=True)
            except ValueError:
                raise ValueError(f"{c!r} is not a CIDR such as 203.0.113.0/24 (host bits unset)") from None
            if net.version != 4:
                raise ValueError(f"{c} is an IPv6 range: the CLB TKE creates is IPv4, and an IPv6 CLB's security "
                                 "groups allow by default (Tencent Cloud CLB docs, \"Configuring CLB Security Group\")")
            if net.prefixlen == 0:
                raise ValueError(f"{c} admits every address, which is no restriction: list your clients' ranges, "
                                 "or drop allowedCidrs and set allowPublicPlainHttp: true if that is meant")
        for j, c in enumerate(v):
            if v.index(c) != j:
                raise AtKey((j,), f"{c} listed twice (the security group would get the same rule twice); list "
                            "each range once")
        return v

    @field_validator("security_group_ids")
    @classmethod
    def _groups(cls, v: list[str]) -> list[str]:
        for j, g in enumerate(v):
            if v.index(g) != j:
                raise AtKey((j,), f"{g} listed twice; list each security group once")
        return v

    @field_validator("annotations")
    @classmethod
    def _managed(cls, v: dict[str, str]) -> dict[str, str]:
        for key, why in CLB_MANAGED_ANNOTATIONS.items():
            if key in v:
                raise ValueError(f"{key} {why}")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> "LoadBalancerExposure":
        own = 1 if self.allowed_cidrs else 0
        if own + len(self.security_group_ids) > clb.MAX_SECURITY_GROUPS:
            raise AtKey("security_group_ids", f"a CLB takes at most {clb.MAX_SECURITY_GROUPS} security groups "
                        f"(TKE's security-groups annotation); {own + len(self.security_group_ids)} here"
                        + (", counting the one the stack creates from allowedCidrs" if own else ""))
        if self.tls is not None and self.host is None:
            raise AtKey("host", "required with `tls`: the DNS name you point at the CLB, which the certificate "
                        "names (clients that call the CLB's IP address cannot verify it)")
        restricted = bool(self.allowed_cidrs or self.security_group_ids)
        if restricted and clb.EXISTING_LB in self.annotations:
            raise AtKey("allowed_cidrs" if self.allowed_cidrs else "security_group_ids",
                        f"annotation {clb.EXISTING_LB} reuses a CLB the stack does not own, and TKE's "
                        "pass-to-target does not work on a reused CLB (imroc/tke-guide); bind the security groups "
                        "to that CLB itself and drop allowedCidrs and securityGroupIds here")
        if self.allow_public_plain_http:
            meant = [k for k, on in (("internalSubnetId", not self.public), ("allowedCidrs", self.allowed_cidrs),
                                     ("securityGroupIds", self.security_group_ids), ("tls", self.tls)) if on]
            if meant:
                raise AtKey("allow_public_plain_http", "says a public, unrestricted plain-HTTP CLB is meant, but "
                            f"{', '.join(meant)} is set; drop allowPublicPlainHttp")
        return self

    @property
    def listener_port(self) -> int:
        return self.port if self.port is not None else (443 if self.tls else 80)

    @property
    def public(self) -> bool:
        """No internal subnet, neither by the field nor by TKE's annotation written in `annotations`."""
        return self.internal_subnet_id is None and clb.INTERNAL_SUBNET not in self.annotations

    @property
    def restricted(self) -> bool:
        """Clients are filtered by security groups bound to the CLB."""
        return bool(self.allowed_cidrs or self.security_group_ids)


class Tls(ConfigModel):
    secret_name: str | None = None
    """An existing kubernetes.io/tls Secret in the namespace; or the Secret cert-manager fills."""
    issuer: IssuerName | None = None
    """A cert-manager issuer that obtains the certificate (the Secret defaults to `<endpoint>-tls`): the
    name of its (Cluster)Issuer object."""
    issuer_kind: Literal["ClusterIssuer", "Issuer"] = "ClusterIssuer"

    @field_validator("secret_name")
    @classmethod
    def _secret(cls, v: str | None) -> str | None:
        return v if v is None else _k8s_name(v, "Secret name")

    @model_validator(mode="after")
    def _source(self) -> "Tls":
        if self.secret_name is None and self.issuer is None:
            raise ValueError("TLS needs a certificate: set secretName (an existing TLS Secret) or issuer "
                             "(cert-manager), or drop `tls` for plain HTTP")
        return self


class IngressExposure(ConfigModel):
    kind: Literal["ingress"]
    host: str
    class_name: IngressClassName | None = None
    """ingressClassName (an IngressClass object's name); unset uses the cluster's default (on TKE, a
    CLB-backed Ingress)."""
    tls: Tls | None = None
    annotations: Annotations = Field(default_factory=dict)
    controller_namespace: str | None = None
    """Where an in-cluster ingress controller (e.g. ingress-nginx) runs: the NetworkPolicy then admits
    only it. Unset admits any source on the endpoint's port (a TKE CLB Ingress reaches pods directly)."""

    @field_validator("host")
    @classmethod
    def _host(cls, v: str) -> str:
        return _hostname(v)

    @field_validator("controller_namespace")
    @classmethod
    def _ns(cls, v: str | None) -> str | None:
        return v if v is None else _k8s_name(v, "namespace")

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"


class HttpRouteExposure(ConfigModel):
    kind: Literal["httpRoute"]
    gateway_name: str
    """The parent Gateway (Gateway API), e.g. an Envoy Gateway from the TKE app market."""
    gateway_namespace: str
    section_name: str | None = None
    """A listener of that Gateway, e.g. `https`."""
    hostnames: list[str] = Field(min_length=1)
    scheme: Literal["https", "http"] = "https"
    """The protocol of the parent listener (TLS terminates at the Gateway); used for the URL outputs."""
    proxy_namespace: str | None = None
    """Where the Gateway's proxy pods run, for the NetworkPolicy; default `gatewayNamespace`."""

    @field_validator("hostnames")
    @classmethod
    def _hosts(cls, v: list[str]) -> list[str]:
        for j, h in enumerate(v):
            _hostname(h)
            if v.index(h) != j:
                raise AtKey((j,), f"{h} listed twice (the HTTPRoute would match it twice); list each hostname once")
        return v

    @field_validator("gateway_name", "gateway_namespace", "proxy_namespace", "section_name")
    @classmethod
    def _names(cls, v: str | None) -> str | None:
        return v if v is None else _k8s_name(v, "name")

    @property
    def host(self) -> str:
        return self.hostnames[0]


Exposure = Annotated[NoExposure | LoadBalancerExposure | IngressExposure | HttpRouteExposure,
                     Field(discriminator="kind")]


def _exposure(data: Any) -> Any:
    return {"kind": data} if isinstance(data, str) else data


class ExposureConfig(ConfigModel):
    api: Exposure = NoExposure(kind="none")
    """The OpenAI-compatible API: the gateway, or the engine when `gateway: none`."""
    webui: Exposure = NoExposure(kind="none")

    @field_validator("api", "webui", mode="before")
    @classmethod
    def _shorthand(cls, v: Any) -> Any:
        return _exposure(v)
