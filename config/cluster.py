"""Where the stack runs: a new TKE cluster, or an existing cluster reached through a kubeconfig."""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from catalog.tke_addons import ADDONS, RDMA_AGENT_NODE_LABEL
from config.base import ConfigModel
from config.errors import AtKey
from config.egress import Egress
from config.formats import KubeContext, Labels, Region, SubnetId, VpcId, Zone, printable, zone_in

MIN_MINOR = 24
K8S_VERSION = re.compile(r"^1\.(\d+)(\.\d+)?$")


def _cidr(value: str) -> str:
    try:
        net = ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a network in CIDR form such as 10.0.0.0/16 ({exc})") from None
    if not net.is_private:
        raise ValueError(f"{value} is not a private range (use 10/8, 172.16/12 or 192.168/16)")
    return value


def _version(value: str) -> str:
    match = K8S_VERSION.fullmatch(value)
    if not match:
        raise ValueError(f"{value!r} is not a Kubernetes version such as 1.30.0")
    if int(match.group(1)) < MIN_MINOR:
        raise ValueError(f"{value} is too old: the rendered manifests need 1.{MIN_MINOR} or newer")
    return value


class Subnet(ConfigModel):
    zone: Zone
    """Availability zone, e.g. ap-shanghai-5."""
    cidr: str | None = None
    """CIDR of a subnet to create inside the VPC; give this or `id`."""
    id: SubnetId | None = None
    """An existing subnet id (subnet-xxxxxxxx)."""

    @field_validator("cidr")
    @classmethod
    def _check_cidr(cls, v: str | None) -> str | None:
        return None if v is None else _cidr(v)

    @model_validator(mode="after")
    def _one_of(self) -> "Subnet":
        if (self.cidr is None) == (self.id is None):
            raise ValueError("give exactly one of `cidr` (create a subnet) or `id` (use an existing one)")
        return self


class Network(ConfigModel):
    vpc_id: VpcId | None = None
    """An existing VPC id (vpc-xxxxxxxx); leave unset to create a VPC with `vpcCidr`."""
    vpc_cidr: str = "10.0.0.0/16"
    subnets: list[Subnet] = Field(min_length=1)
    """One subnet per availability zone the node pools use."""
    egress: Egress = Egress()
    """How the nodes reach the internet: see config/egress.py (`nat` for a new VPC by default)."""

    @field_validator("vpc_cidr")
    @classmethod
    def _check_vpc(cls, v: str) -> str:
        return _cidr(v)

    @model_validator(mode="after")
    def _subnets_fit(self) -> "Network":
        zones = [s.zone for s in self.subnets]
        for j, zone in enumerate(zones):
            if zones.index(zone) != j:
                raise AtKey(("subnets", j, "zone"), f"{zone!r} already has subnets[{zones.index(zone)}]: one subnet "
                            "per zone")
        if self.vpc_id is None:
            vpc = ipaddress.ip_network(self.vpc_cidr)
            for j, s in enumerate(self.subnets):
                if s.id is not None:
                    raise AtKey(("subnets", j, "id"), "an existing subnet needs the existing `vpcId` it belongs to")
                if s.cidr and not ipaddress.ip_network(s.cidr).subnet_of(vpc):  # type: ignore[arg-type]
                    raise AtKey(("subnets", j, "cidr"), f"{s.cidr} lies outside vpcCidr {self.vpc_cidr}")
        if self.vpc_id is None and self.egress.kind == "existing":
            raise AtKey(("egress", "kind"), "`existing` needs an existing `vpcId`: a new VPC has no egress to "
                        "reuse; use `nat` (the default) or `publicIp`")
        if self.egress_kind == "nat" and any(s.id for s in self.subnets):
            raise AtKey(("egress", "kind"), "`nat` routes only the subnets the stack creates; existing subnets "
                        "(subnets[].id) keep their own route tables: use `existing` (with natGatewayId if you "
                        "have one)")
        return self

    @property
    def egress_kind(self) -> str:
        """The egress in effect: the stated kind, else a NAT gateway for a new VPC and the VPC's own
        path for an existing one."""
        return self.egress.kind or ("existing" if self.vpc_id else "nat")

    @property
    def zones(self) -> list[str]:
        return [s.zone for s in self.subnets]


class Endpoint(ConfigModel):
    access: Literal["public", "private"] = "public"
    """`public` opens the API server through a CLB reachable from `allowedCidrs` (Pulumi usually runs
    outside the VPC); `private` keeps it inside the VPC, for runners that sit in it."""
    allowed_cidrs: list[str] = Field(default_factory=list)
    """Source ranges allowed to reach a public API server. Empty means nobody: set your runner's egress."""

    @model_validator(mode="after")
    def _public_needs_sources(self) -> "Endpoint":
        if self.access == "public" and not self.allowed_cidrs:
            raise AtKey("allowed_cidrs", "a public endpoint (`access: public`) needs source ranges (e.g. your CI "
                        "runner's egress /32)")
        for j, c in enumerate(self.allowed_cidrs):
            try:
                ipaddress.ip_network(c, strict=True)
            except ValueError:
                raise AtKey(("allowed_cidrs", j), f"{c!r} is not a CIDR such as 203.0.113.7/32") from None
            if c in ("0.0.0.0/0", "::/0"):
                raise AtKey(("allowed_cidrs", j), f"{c} would open the API server to the whole internet")
            if self.allowed_cidrs.index(c) != j:
                raise AtKey(("allowed_cidrs", j), f"{c} listed twice (the security group would get the same "
                            "rule twice); list each range once")
        return self


ADDON_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
TKE_CLUSTER_NAME = re.compile(r"^[\w][\w.-]{0,49}$")
"""A TKE cluster name: at most 50 letters (Chinese included), digits, '_', '.', '-'; no spaces."""
CLUSTER_ID = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$")
"""The identifier of an existing cluster: at most 63 letters, digits, '.', '_', '-'."""


def _addon_name(v: str) -> str:
    if not ADDON_NAME.fullmatch(v):
        raise ValueError(f"{v!r} is not a TKE add-on name (letters, digits, '.', '_', '-'), e.g. NetworkPolicy")
    return v


AddonName = Annotated[str, AfterValidator(_addon_name)]


class AddonSettings(ConfigModel):
    """A TKE add-on installed by InstallAddon (`tencentcloud_kubernetes_addon`); names and sources:
    catalog/tke_addons.py."""

    version: str | None = None
    """Add-on version (InstallAddon `AddonVersion`); the newest TKE offers when unset. A change updates it in place."""
    raw_values: dict[str, Any] | None = None
    """The add-on's parameters (InstallAddon `RawValues`, a JSON object), sent when it is installed; later
    edits are not applied (the provider reports server-side defaults as drift): change them in the console."""

    @field_validator("raw_values")
    @classmethod
    def _json(cls, v: dict[str, Any] | None) -> dict[str, Any] | None:
        if v is not None:
            try:
                json.dumps(v, allow_nan=False)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"rawValues must be plain JSON (strings, numbers, booleans, lists, maps): "
                                 f"{exc}") from None
        return v

    @property
    def raw_values_json(self) -> str | None:
        """Plain JSON, keys sorted: the provider base64-encodes it itself (resource_tc_kubernetes_addon.go)."""
        return None if self.raw_values is None else json.dumps(self.raw_values, sort_keys=True, separators=(",", ":"))


class CfsCsiAddon(AddonSettings):
    name: AddonName = ADDONS["cfsCsi"].name
    """InstallAddon name of the CFS CSI add-on (confirmed by the provider's own test)."""


class CfsTurboCsiAddon(AddonSettings):
    name: AddonName = ADDONS["cfsTurboCsi"].name
    """InstallAddon name of the CFS-Turbo CSI add-on (from a third party only)."""


class NetworkPolicyAddon(AddonSettings):
    install: bool = True
    """Install TKE's NetworkPolicy add-on (kube-router): without it a new cluster enforces none of the
    NetworkPolicies the stack renders."""
    name: AddonName = ADDONS["networkPolicy"].name
    """InstallAddon name; not confirmed by Tencent or the provider (the other candidate is `networkpolicy`):
    check with `tccli tke DescribeAddon --ClusterId <id>` on a cluster where the console installed it."""


class RdmaAgentAddon(AddonSettings):
    install: bool = True
    """Install TKE's rdma-agent add-on (the RDMA device plugin) when a multi-node model runs on a pool
    with `gpu.rdma` on."""
    name: AddonName = ADDONS["rdmaAgent"].name
    """InstallAddon name; from a third-party rewrite of TKE's doc 116719 only."""
    node_labels: Labels = Field(default_factory=lambda: dict(RDMA_AGENT_NODE_LABEL))
    """Labels the agent's DaemonSet selects; the default is its default node selector (third-party source
    only). The stack puts them on those RDMA pools' nodes when it creates the pool (normal, native: a
    label change is an in-place update), never through an attachment (any change to one re-attaches, i.e.
    reinstalls, the machine): label attached nodes with the `kubectl label` command the plan states, or
    list the labels in that pool's own `labels` before its first attachment. `{}` if TKE labels the nodes
    itself."""


class TkeAddons(ConfigModel):
    """TKE add-ons, all installed through `tencentcloud_kubernetes_addon` (InstallAddon)."""

    network_policy: NetworkPolicyAddon = NetworkPolicyAddon()
    """Enforcement of the stack's NetworkPolicies (installed by default)."""
    rdma_agent: RdmaAgentAddon = RdmaAgentAddon()
    """RDMA devices for multi-node models on RDMA pools (mode per pool: `nodePools[].gpu.rdma.mode`)."""
    cfs_csi: CfsCsiAddon = CfsCsiAddon()
    """The CFS CSI add-on, installed with `storage.kind: cfs`."""
    cfs_turbo_csi: CfsTurboCsiAddon = CfsTurboCsiAddon()
    """The CFS-Turbo CSI add-on, installed with `storage.kind: cfs-turbo`."""


class _Versioned(ConfigModel):
    """The Kubernetes version both cluster kinds carry, validated once."""

    kubernetes_version: str = "1.30.0"

    @field_validator("kubernetes_version")
    @classmethod
    def _check_version(cls, v: str) -> str:
        return _version(v)

    @property
    def minor(self) -> int:
        return int(K8S_VERSION.fullmatch(self.kubernetes_version).group(1))  # type: ignore[union-attr]


class TkeCluster(_Versioned):
    kind: Literal["tke"]
    name: str | None = None
    """Cluster name in the console (at most 50 letters, digits, '_', '.', '-'); defaults to `tke-llm-<stack>`."""
    region: Region
    """Tencent Cloud region, e.g. ap-shanghai (where the GPUs are sold)."""
    kubernetes_version: str = "1.30.0"
    """TKE Kubernetes version; 1.28 or newer is needed for LeaderWorkerSet (multi-node models)."""
    network: Network
    cluster_cidr: str = "172.16.0.0/16"
    """Pod range (GlobalRouter); must not overlap the VPC or other clusters in it."""
    service_cidr: str = "172.31.0.0/22"
    """Service range; must not overlap the VPC or the pod range."""
    max_pods_per_node: int = Field(64, ge=16, le=256)
    deletion_protection: bool = True
    """Protects the cluster in Tencent Cloud and in Pulumi state against accidental deletion."""
    endpoint: Endpoint = Endpoint(access="private")
    addons: TkeAddons = TkeAddons()
    """TKE add-ons: names, versions and parameters (see docs/cloud-resources.md, "TKE add-ons")."""

    @field_validator("cluster_cidr", "service_cidr")
    @classmethod
    def _check_cidrs(cls, v: str) -> str:
        return _cidr(v)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str | None) -> str | None:
        if v is not None:
            printable(v, "cluster name", 50)
            if not TKE_CLUSTER_NAME.fullmatch(v):
                raise ValueError(f"{v!r} is not a TKE cluster name: letters, digits, '_', '.' and '-' (no spaces or "
                                 "':'), at most 50, e.g. llm-prod")
        return v

    @field_validator("max_pods_per_node")
    @classmethod
    def _power_of_two(cls, v: int) -> int:
        if v & (v - 1):
            raise ValueError(f"{v} is not a power of two (TKE rounds it up; write 16, 32, 64, 128 or 256)")
        return v

    @model_validator(mode="after")
    def _no_overlap(self) -> "TkeCluster":
        for j, s in enumerate(self.network.subnets):
            if not zone_in(s.zone, self.region):
                raise AtKey(("network", "subnets", j, "zone"), f"{s.zone!r} is not in region {self.region} "
                            f"(cluster.region; zones there are {self.region}-<n>, e.g. {self.region}-1)")
        ranges = {"clusterCidr": self.cluster_cidr, "serviceCidr": self.service_cidr}
        if self.network.vpc_id is None:
            ranges["network.vpcCidr"] = self.network.vpc_cidr
        nets = {k: ipaddress.ip_network(v) for k, v in ranges.items()}
        keys = list(nets)
        for i, a in enumerate(keys):
            for b in keys[i + 1:]:
                if nets[a].overlaps(nets[b]):  # type: ignore[arg-type]
                    raise AtKey(tuple(a.split(".")), f"{ranges[a]} overlaps {b} {ranges[b]}; pick disjoint "
                                "private ranges")
        return self



class ExistingCluster(_Versioned):
    kind: Literal["existing"]
    name: str
    """A stable identifier for the cluster (at most 63 letters, digits, '.', '_', '-'); changing it replaces
    every Kubernetes object of the stack."""
    provider: Literal["tke"] | None = None
    """`tke`: a TKE cluster the stack did not create. TKE's CLB annotations (`internalSubnetId`) and GPU
    metric (`autoscaling.metric: gpu`) then apply; the stack still creates no Tencent Cloud resource.
    Unset for any other Kubernetes."""
    kubernetes_version: str
    """The cluster's version (used to validate manifests and gate LeaderWorkerSet, which needs 1.28+)."""
    kubeconfig_path: str | None = None
    """Path of a kubeconfig file on the machine running Pulumi (`~` is expanded)."""
    kubeconfig_secret: str | None = None
    """Name of a secret config key holding the kubeconfig, set with `pulumi config set --secret <name>`."""
    context: KubeContext | None = None
    """kubeconfig context to use; the file's current context when unset."""
    leader_worker_set_installed: bool = False
    """The cluster already runs the LeaderWorkerSet controller (installed by its platform team, with its
    CRD and webhooks): the stack then does not install it for multi-node models."""

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        printable(v, "cluster name", 63)
        if not CLUSTER_ID.fullmatch(v):
            raise ValueError(f"{v!r} is not a cluster identifier: letters, digits, '.', '_' and '-' (no spaces or "
                             "':'), at most 63, e.g. lab-gpu")
        return v

    @field_validator("kubeconfig_path", "kubeconfig_secret")
    @classmethod
    def _one_line(cls, v: str | None, info: ValidationInfo) -> str | None:
        return v if v is None else printable(v, "kubeconfig path" if info.field_name == "kubeconfig_path"
                                             else "secret key name", 1024)

    @model_validator(mode="after")
    def _one_source(self) -> "ExistingCluster":
        if self.kubeconfig_path is not None and self.kubeconfig_secret is not None:
            raise AtKey("kubeconfig_secret", "kubeconfigPath is set too: give exactly one of `kubeconfigPath` "
                        "or `kubeconfigSecret`")
        if self.kubeconfig_path is None and self.kubeconfig_secret is None:
            raise AtKey("kubeconfig_path", "required: give exactly one of `kubeconfigPath` (a file) or "
                        "`kubeconfigSecret` (a secret config key)")
        return self



ClusterConfig = Annotated[TkeCluster | ExistingCluster, Field(discriminator="kind")]
