"""The whole stack config. The rules that span sections (pools vs cluster, storage vs zones) are checks/'s
(checks/pools.py), where each can name the key to change."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from config.access import ExposureConfig, GatewayConfig, KeysConfig, WebuiConfig
from config.base import ConfigModel
from config.cluster import ClusterConfig, ExistingCluster, TkeCluster
from config.errors import PROJECT, ConfigIssue, UnknownPool, unknown_pool
from config.formats import DNS_LABEL
from config.models import ModelCacheConfig, ModelConfig
from config.node_pools import NodePool, NodePoolConfig
from config.operations import AutoscalersConfig, MonitoringConfig
from config.overrides import PullSecrets
from config.smoke import SmokeConfig
from config.storage import StorageConfig

REGISTRY = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:(?P<port>[0-9]{1,5}))?"
                      r"(/[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*)*$")
"""A registry host, optional port and repository path (distribution/reference grammar, lowercase)."""


class StackConfig(ConfigModel):
    cluster: ClusterConfig
    node_pools: list[NodePoolConfig] = Field(default_factory=list)
    storage: StorageConfig
    models: list[ModelConfig] = Field(default_factory=list)
    model_cache: ModelCacheConfig = ModelCacheConfig()
    namespace: str = "llm"
    """Namespace of every object the stack creates. One that already exists in the cluster is refused at
    `pulumi preview`/`up` unless this stack created it (annotation `tke-llm.io/stack`) or `namespaceAdopt`."""
    namespace_adopt: bool = False
    """`true` takes over a `namespace` that already exists and this stack did not create (another team's, or
    another stack's): the stack labels it, puts its default-deny policy in it and annotates it as its own."""
    image_registry: str | None = None
    """Mirror prefix put in front of every image, e.g. `ccr.ccs.tencentyun.com/my-mirror` (Docker Hub,
    ghcr.io and registry.k8s.io are slow or unreachable from some regions)."""
    image_pull_secrets: PullSecrets = Field(default_factory=list)
    """Secrets (type kubernetes.io/dockerconfigjson, in the stack's namespace) for a private
    `imageRegistry`: every pod the stack renders (engines, downloads, gateway, UI) pulls with them."""
    monitoring: MonitoringConfig | None = None
    """ServiceMonitors, the default alert set and a Grafana dashboard for a Prometheus Operator target."""
    autoscalers: AutoscalersConfig = AutoscalersConfig()
    """KEDA / Prometheus Adapter installed by the stack (for clusters that do not run them yet)."""
    gateway: GatewayConfig = GatewayConfig()
    """The API gateway (LiteLLM) in front of the engines, or `none`; see config/access.py."""
    webui: WebuiConfig = WebuiConfig()
    """OpenWebUI, talking to the gateway."""
    exposure: ExposureConfig = ExposureConfig()
    """How the API and the UI are reached from outside the cluster (none, loadBalancer, ingress, httpRoute)."""
    keys: KeysConfig = KeysConfig()
    """Rotation of the generated keys (`keys.rotate.appKey: 1`, ...)."""
    smoke: SmokeConfig = SmokeConfig()
    """The smoke gate: `pulumi up` ends only once each model answers one request through the in-cluster
    URL and key apps use, and every LeaderWorkerSet group is ready; `false` turns the smoke Job off
    (docs/smoke.md)."""

    @field_validator("namespace")
    @classmethod
    def _ns(cls, v: str) -> str:
        if not DNS_LABEL.fullmatch(v) or v.startswith("kube-") or v == "default":
            raise ValueError(f"{v!r} is not a usable namespace (a DNS label, not kube-* or default, which every "
                             "cluster already has and the stack would try to create and delete)")
        return v

    @field_validator("image_registry")
    @classmethod
    def _registry(cls, v: str | None) -> str | None:
        if v is None:
            return v
        v = v.rstrip("/")
        m = REGISTRY.fullmatch(v) if len(v) <= 255 else None
        if "://" in v or m is None or not 0 < int(m["port"] or 1) < 65536:
            raise ValueError(f"{v[:80]!r}: write a registry host, optional port and path (lowercase; no scheme, "
                             "no '..'), e.g. ccr.ccs.tencentyun.com/mirror")
        return v

    @property
    def is_tke(self) -> bool:
        return isinstance(self.cluster, TkeCluster)

    @property
    def on_tke(self) -> bool:
        """A TKE cluster: the one the stack creates, or an existing one declared `provider: tke`."""
        return self.is_tke or (isinstance(self.cluster, ExistingCluster) and self.cluster.provider == "tke")

    @property
    def existing_cluster(self) -> ExistingCluster | None:
        return self.cluster if isinstance(self.cluster, ExistingCluster) else None

    def has_pool(self, name: str) -> bool:
        """A node pool has this name (models naming none are reported by checks/cross.py)."""
        return any(p.name == name for p in self.node_pools)

    def pool_index(self, name: str) -> int:
        """Index of the named pool in `nodePools`; UnknownPool, keyed to the first model naming it."""
        for j, p in enumerate(self.node_pools):
            if p.name == name:
                return j
        i = next((i for i, m in enumerate(self.models) if m.pool == name), None)
        key = f"{PROJECT}:models[{i}].pool" if i is not None else f"{PROJECT}:nodePools"
        raise UnknownPool(ConfigIssue(key, unknown_pool(name, [p.name for p in self.node_pools])))

    def pool(self, name: str) -> NodePool:
        """The named node pool; UnknownPool (a ConfigError and a LookupError) when there is none."""
        return self.node_pools[self.pool_index(name)]

    @property
    def system_pool(self):
        return next((p for p in self.node_pools if not p.is_gpu and p.kind in ("normal", "native")), None)
