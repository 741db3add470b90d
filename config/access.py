"""Access config: the API gateway in front of the engines, OpenWebUI, and how each endpoint (the API,
the UI) is reached from outside the cluster.

Defaults are the secure, useful ones: a LiteLLM gateway with a generated master key (two replicas,
no database), OpenWebUI talking to it, and nothing exposed outside the cluster until an exposure is
chosen. Cross-section rules (a rate limit naming a model the stack does not serve, exposing a UI that
is off) are in `access_issues`, which reports the exact key.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from config.base import ConfigModel
from config.formats import Annotations, Quantity, StorageClassName

HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$")
"""A fully qualified DNS name (lowercase, at least two labels). Wildcards are refused: the stack
outputs a URL apps call, and `*.example.com` is not one."""
K8S_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
SUBNET_ID = re.compile(r"^subnet-[a-z0-9]{8}$")
ROUTING_STRATEGIES = ("simple-shuffle", "least-busy", "latency-based-routing", "usage-based-routing-v2")


def _hostname(v: str) -> str:
    if not HOSTNAME.match(v):
        raise ValueError(f"{v!r} is not a DNS name such as llm.example.com (lowercase, no wildcard, no IP address)")
    if re.fullmatch(r"[0-9.]+", v):
        raise ValueError(f"{v!r} is an IP address; an Ingress or HTTPRoute host must be a DNS name")
    return v


def _k8s_name(v: str, what: str) -> str:
    if not K8S_NAME.match(v):
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


class VirtualKeys(ConfigModel):
    """LiteLLM virtual keys (per-app keys, budgets, spend tracking) need Postgres. The stack then runs
    one in the namespace, with a generated password, and migrates its schema in a Job that must
    finish before any new gateway pod starts."""

    enabled: bool = False
    storage_gi: int = Field(20, ge=1)
    """The database volume (ReadWriteOnce, the cluster's default StorageClass unless set)."""
    storage_class_name: StorageClassName | None = None


DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


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
                raise ValueError(f"gateway `none` takes no settings (found {', '.join(extra)})")
        if self.virtual_keys.enabled and self.rate_limits:
            raise ValueError("rateLimits apply to the gateway key without a database; with virtualKeys, set "
                             "model_rpm_limit / model_tpm_limit on the keys you generate instead")
        for ns in self.client_namespaces:
            if not DNS_LABEL.match(ns):
                raise ValueError(f"clientNamespaces: {ns!r} is not a namespace name (lowercase letters, digits, "
                                 "'-', at most 63)")
        names = [r.model for r in self.rate_limits]
        if len(set(names)) != len(names):
            raise ValueError("rateLimits: one entry per model")
        return self

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
        return {"enabled": data} if isinstance(data, bool) else data

    @field_validator("redis_url")
    @classmethod
    def _redis(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if not re.match(r"^rediss?://[^\s/]+(/\d+)?$", v):
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


class LoadBalancerExposure(ConfigModel):
    kind: Literal["loadBalancer"]
    """A Service of type LoadBalancer: TKE creates a CLB. Plain HTTP: prefer an Ingress or HTTPRoute
    with TLS for anything public, since the API key travels in every request."""
    internal_subnet_id: str | None = None
    """A private CLB in this subnet (TKE annotation
    `service.kubernetes.io/qcloud-loadbalancer-internal-subnetid`); a public CLB when unset."""
    port: int = Field(80, ge=1, le=65535)
    annotations: Annotations = Field(default_factory=dict)
    """Extra Service annotations, e.g. `service.kubernetes.io/tke-existed-lbid` to reuse a CLB."""

    @field_validator("internal_subnet_id")
    @classmethod
    def _subnet(cls, v: str | None) -> str | None:
        if v is not None and not SUBNET_ID.match(v):
            raise ValueError(f"{v!r} is not a subnet id such as subnet-abcd1234")
        return v


class Tls(ConfigModel):
    secret_name: str | None = None
    """An existing kubernetes.io/tls Secret in the namespace; or the Secret cert-manager fills."""
    issuer: str | None = None
    """A cert-manager issuer that obtains the certificate (the Secret defaults to `<endpoint>-tls`)."""
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
    class_name: str | None = None
    """ingressClassName; unset uses the cluster's default (on TKE, a CLB-backed Ingress)."""
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
        for h in v:
            _hostname(h)
        if len(set(v)) != len(v):
            raise ValueError("hostnames repeat")
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
