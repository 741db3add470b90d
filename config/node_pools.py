"""Node pools: one CPU system pool for add-ons, gateway, UI and downloads, plus the GPU pools.

GPU pools default to a NoSchedule taint so only model servers land on (and pay for) GPU nodes, and to
200 GB disks because serving images alone are 10-20 GB unpacked (reference pitfall P13).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, ValidationInfo, field_validator, model_validator
from pydantic.alias_generators import to_camel

from config.base import ConfigModel
from config.errors import AtKey
from config.formats import (ImageId, InstanceId, InstanceType, KeyId, Labels, OsImage, Zone, boolean_shorthand,
                            label_value, qualified_name)

POOL_NAME = re.compile(r"^[a-z]([a-z0-9-]{0,23}[a-z0-9])?$")
LABEL_KEY = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
GPU_LABEL = "tke-llm.io/gpu"
POOL_LABEL = "tke-llm.io/pool"
GPU_TAINT_KEY = "nvidia.com/gpu"
MIN_GPU_DISK_GB = 200
MAX_HOURLY_PRICE = 100_000
"""No node costs this much an hour in CNY or USD (Tencent Cloud's billing currencies): a larger figure
is a typo, and the plan would print it as the stack's cost."""


class Taint(ConfigModel):
    key: Annotated[str, AfterValidator(lambda v: qualified_name(v, "taint key"))]
    value: Annotated[str, AfterValidator(label_value)] = ""
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] = "NoSchedule"


class VersionedPackage(ConfigModel):
    """A TKE GPU software package as the console lists it (name of the .run/.tgz and its version)."""

    name: str
    version: str


class CudnnPackage(VersionedPackage):
    doc_name: str | None = None
    dev_name: str | None = None


class GpuSoftware(ConfigModel):
    """Driver/CUDA/cuDNN for normal pools. Valid combinations come from the TKE console or API, so they
    are config, never constants; leave unset to let TKE install its default for the instance type."""

    driver: VersionedPackage
    cuda: VersionedPackage
    cudnn: CudnnPackage | None = None
    mig: bool = False


RDMA_ENV = re.compile(r"^(NCCL|GLOO|UCX)_[A-Z0-9_]+$")
RDMA_OWNED_ENV = {"NCCL_IB_GID_INDEX": "gidIndex", "NCCL_IB_HCA": "hca", "NCCL_SOCKET_IFNAME": "socketInterface",
                  "GLOO_SOCKET_IFNAME": "socketInterface"}
"""Variables the typed RDMA settings write; `env` may not set them a second time."""
_NCCL_LIST = re.compile(r"^[\^=]?[A-Za-z0-9_.:-]+(,[A-Za-z0-9_.:-]+)*$")


def _env_value(v: Any) -> Any:
    return str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v


class Rdma(ConfigModel):
    """RDMA between the pool's nodes, for models spread over several of them: `rdma: true` for the
    defaults, or the mapping below. The devices come from TKE's rdma-agent add-on; every default and its
    source: docs/rdma.md."""

    enabled: bool = True
    """`false` (or no `rdma` at all): the pods request no RDMA and multi-node groups talk over TCP."""
    mode: Literal["shared", "exclusive"] = "shared"
    """How the rdma-agent add-on hands out the nodes' RDMA NICs: `shared` (IPVLAN; pods share the NICs,
    Tencent's tke-ai-playbook) or `exclusive` (MACVLAN; each device is a whole bonded NIC)."""
    devices_per_node: int | None = Field(None, ge=1, le=1000)
    """`tke.cloud.tencent.com/tke-shared-rdma` a node offers. Default: 1000 (virtual) in shared mode; in
    exclusive mode the NIC count the GPU catalog knows (4 on 8x H20), else required."""
    devices_per_pod: int | None = Field(None, ge=1, le=1000)
    """`tke.cloud.tencent.com/tke-shared-rdma` each server pod requests. Default: 1 in shared mode; in
    exclusive mode the node's devices in proportion to the GPUs the pod takes (all for a whole node)."""
    host_network: bool = True
    """Run the group's pods on the node's network, as the TKE guides do on HCCPNV6. Off: the pod network
    plus the RDMA NICs through the `tke.cloud.tencent.com/networks` annotation."""
    primary_network: Literal["tke-bridge", "tke-route-eni"] | None = None
    """First network of that annotation: the cluster's pod network. Default: `tke-bridge` on the
    GlobalRouter clusters this stack creates, `tke-route-eni` (VPC-CNI) on an existing cluster."""
    gid_index: int = Field(3, ge=0, le=255)
    """NCCL_IB_GID_INDEX: the RoCE v2 GID of the NICs (3 on TKE HCC nodes, tke-ai-playbook)."""
    hca: str = "mlx5"
    """NCCL_IB_HCA: the RDMA NICs NCCL uses (a prefix or list, NCCL's syntax)."""
    socket_interface: str = "eth0"
    """NCCL_SOCKET_IFNAME and GLOO_SOCKET_IFNAME: the interface of NCCL's and Gloo's TCP bootstrap."""
    env: dict[str, Annotated[str, BeforeValidator(_env_value)]] = Field(default_factory=dict)
    """Further NCCL_*, GLOO_* or UCX_* variables for the group's pods, e.g. `NCCL_DEBUG: INFO` for the
    first start."""

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"enabled": data} if isinstance(data, bool) else boolean_shorthand(data)

    @field_validator("hca", "socket_interface")
    @classmethod
    def _nccl_list(cls, v: str) -> str:
        if not _NCCL_LIST.fullmatch(v):
            raise ValueError(f"{v!r} is not an NCCL interface list such as mlx5, eth0 or ^docker,lo")
        return v

    @field_validator("env")
    @classmethod
    def _env(cls, v: dict[str, str]) -> dict[str, str]:
        for name in v:
            if name in RDMA_OWNED_ENV:
                key = RDMA_OWNED_ENV[name]
                raise ValueError(f"{name} is rendered from `{key}`; set `{key}` instead")
            if not RDMA_ENV.fullmatch(name):
                raise ValueError(f"{name!r}: only NCCL_*, GLOO_* and UCX_* variables (upper case) are set here")
        return v

    @model_validator(mode="after")
    def _off_has_no_settings(self) -> "Rdma":
        extra = sorted(self.model_fields_set - {"enabled"})
        if not self.enabled and extra:
            raise AtKey(extra[0], "`enabled: false` takes no other RDMA settings (found "
                        f"{', '.join(map(to_camel, extra))})")
        return self


class GpuSpec(ConfigModel):
    type: str
    """GPU model carried by the instances, e.g. A10, L20, H20, V100, T4 (see the GPU catalog)."""
    count: int = Field(ge=1, le=16)
    """GPUs per node."""
    rdma: Rdma = Field(default_factory=lambda: Rdma(enabled=False))
    """The instances have an RDMA fabric (HCC types such as HCCPNV6): models across nodes request its
    devices. `true` for the defaults, or settings (docs/rdma.md)."""
    software: GpuSoftware | None = None


class PoolBase(ConfigModel):
    name: str
    """Pool name (<= 25 characters, lowercase, digits, '-'); also its node label value."""
    gpu: GpuSpec | None = None
    """Absent for the CPU system pool."""
    labels: Labels = Field(default_factory=dict)
    taints: list[Taint] | None = None
    """Defaults: `nvidia.com/gpu=present:NoSchedule` on GPU pools, none on CPU pools."""
    hourly_price: float | None = Field(None, ge=0)
    """Price of one node per hour (any currency) for the cost lines of the plan summary; at most 100000."""

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not POOL_NAME.fullmatch(v):
            raise ValueError(f"{v!r}: use at most 25 lowercase letters, digits and '-', starting with a letter")
        return v

    @field_validator("hourly_price")
    @classmethod
    def _price(cls, v: float | None) -> float | None:
        if v is not None and v > MAX_HOURLY_PRICE:
            raise ValueError(f"{v:g} an hour is past any node's price (at most {MAX_HOURLY_PRICE} in CNY or USD, the "
                             "currencies Tencent Cloud bills in): write the price of one node for one hour")
        return v

    @field_validator("labels")
    @classmethod
    def _labels(cls, v: dict[str, str]) -> dict[str, str]:
        for k in v:
            if not LABEL_KEY.fullmatch(k):
                raise ValueError(f"label key {k!r} is not a valid Kubernetes label key")
            if k in (POOL_LABEL, GPU_LABEL):
                raise ValueError(f"label {k} is set by tke-llm itself; remove it")
        return v

    @property
    def is_gpu(self) -> bool:
        return self.gpu is not None

    @property
    def node_labels(self) -> dict[str, str]:
        """Labels the workloads select on: derived once here so pools and pods never disagree."""
        labels = {POOL_LABEL: self.name, **self.labels}
        if self.gpu:
            labels[GPU_LABEL] = self.gpu.type
        return labels

    @property
    def node_taints(self) -> list[Taint]:
        if self.taints is not None:
            return self.taints
        return [Taint(key=GPU_TAINT_KEY, value="present")] if self.gpu else []


class ScalingBounds(ConfigModel):
    min_size: int = Field(0, ge=0)
    max_size: int = Field(1, ge=0)
    desired_size: int | None = Field(None, ge=0)
    """Initial node count; ignored after creation while `autoscaling` is on."""
    autoscaling: bool = True

    @field_validator("max_size")
    @classmethod
    def _max(cls, v: int, info: ValidationInfo) -> int:
        low = info.data.get("min_size")
        if low is not None and v < low:
            raise ValueError(f"must be >= minSize ({low})")
        return v

    @field_validator("desired_size")
    @classmethod
    def _desired(cls, v: int | None, info: ValidationInfo) -> int | None:
        low, high = info.data.get("min_size"), info.data.get("max_size")
        if v is not None and low is not None and high is not None and not low <= v <= high:
            raise ValueError(f"must lie within minSize..maxSize ({low}..{high})")
        return v

    @property
    def initial_size(self) -> int:
        return self.desired_size if self.desired_size is not None else self.min_size


class Disks(ConfigModel):
    system_disk_gb: int | None = Field(None, ge=50, le=2048)
    """System disk; defaults to 200 GB on GPU pools (images are large) and 100 GB otherwise. Above
    2 TB needs a UEFI OS image (P14), so it is capped here."""
    system_disk_type: Literal["CLOUD_PREMIUM", "CLOUD_SSD", "CLOUD_BSSD", "CLOUD_HSSD"] = "CLOUD_SSD"
    data_disk_gb: int | None = Field(None, ge=20, le=32000)
    """Optional data disk mounted at /var/lib/containerd so images do not fill the system disk."""
    data_disk_type: Literal["CLOUD_PREMIUM", "CLOUD_SSD", "CLOUD_BSSD", "CLOUD_HSSD"] = "CLOUD_SSD"


def _backups(v: list[str], info: ValidationInfo) -> list[str]:
    types = [info.data.get("instance_type"), *v]
    for j, t in enumerate(v):
        if types.index(t) != j + 1:
            raise AtKey((j,), f"{t} listed twice (or as instanceType too): each type is tried once, list it once")
    return v


def _unique_zones(v: list[str] | None) -> list[str] | None:
    for j, z in enumerate(v or []):
        if v.index(z) != j:
            raise AtKey((j,), f"zones repeat in {v}: list each zone once")
    return v


class NormalPool(PoolBase, ScalingBounds, Disks):
    """A TKE node pool backed by an auto-scaling group of CVM instances."""

    kind: Literal["normal"]
    instance_type: InstanceType
    """CVM instance type, `<family>.<size>` (e.g. PNV4.7XLARGE116)."""
    backup_instance_types: list[InstanceType] = Field(default_factory=list)
    """Tried in order when `instanceType` is sold out in the zone."""
    zones: list[Zone] | None = None
    """Zones (of the cluster's subnets) to place nodes in; all of them when unset."""
    os_image: OsImage = "tlinux3.1x86_64"
    """TKE node OS name (e.g. tlinux3.1x86_64, ubuntu20.04x86_64)."""
    public_bandwidth_mbps: int = Field(0, ge=0, le=1000)
    """Public egress per node (for downloads when there is no NAT gateway: pitfall P8). 0 = none."""
    charge_type: Literal["POSTPAID_BY_HOUR", "SPOTPAID"] = "POSTPAID_BY_HOUR"
    deletion_protection: bool = False

    _check_backups = field_validator("backup_instance_types")(_backups)
    _check_zones = field_validator("zones")(_unique_zones)

    @model_validator(mode="after")
    def _gpu_disk(self) -> "NormalPool":
        _check_gpu_disk(self)
        return self


class NativePool(PoolBase, ScalingBounds, Disks):
    """A TKE native node pool (managed nodes). TKE installs the GPU driver itself: there are no
    driver arguments, so `gpu.software` is refused here."""

    kind: Literal["native"]
    instance_type: InstanceType
    """CVM instance type, `<family>.<size>` (e.g. PNV4.7XLARGE116)."""
    backup_instance_types: list[InstanceType] = Field(default_factory=list)
    """Tried in order when `instanceType` is sold out in the zone."""
    zones: list[Zone] | None = None
    public_bandwidth_mbps: int = Field(0, ge=0, le=1000)
    charge_type: Literal["POSTPAID_BY_HOUR", "SPOTPAID"] = "POSTPAID_BY_HOUR"

    _check_backups = field_validator("backup_instance_types")(_backups)
    _check_zones = field_validator("zones")(_unique_zones)

    @model_validator(mode="after")
    def _no_driver(self) -> "NativePool":
        if self.gpu and self.gpu.software:
            raise AtKey(("gpu", "software"), "native pools take no GPU driver settings (TKE installs them); remove it")
        _check_gpu_disk(self)
        return self


class SuperPool(PoolBase):
    """Super nodes (serverless): every pod is its own VM; the GPU model is chosen per pod by
    annotation, so `gpu.count` is the per-pod GPU count the models may ask for."""

    kind: Literal["super"]
    zones: list[Zone] | None = None
    root_disk_gb: int = Field(100, ge=20, le=500)
    """Pod system disk; the 20 GB default cannot hold a serving image (P7). Above 20 GB is billed."""

    @model_validator(mode="after")
    def _no_rdma(self) -> "SuperPool":
        if self.gpu and self.gpu.rdma.enabled:
            raise AtKey(("gpu", "rdma"), "super nodes have no RDMA NICs (and host no multi-node group); remove it")
        return self


class AttachedPool(PoolBase):
    """Existing CVM instances joined to the cluster, e.g. PNV6 / HCCPNV6 machines bought through the
    HPC console that no auto-scaling group can create."""

    kind: Literal["attached"]
    instance_ids: list[InstanceId] = Field(min_length=1)
    image_id: ImageId = "img-39ywauzd"
    """OS image the instances are reinstalled with (default: TencentOS Server 3.1 (TK4) UEFI)."""
    key_id: KeyId
    """SSH key pair id (skey-xxxxxxxx) installed on the instances; passwords are never set from config."""
    gpu_software: GpuSoftware | None = None

    @model_validator(mode="after")
    def _ids(self) -> "AttachedPool":
        for j, i in enumerate(self.instance_ids):
            if self.instance_ids.index(i) != j:
                raise AtKey(("instance_ids", j), f"{i!r} is already instanceIds[{self.instance_ids.index(i)}]")
        return self

    @property
    def max_size(self) -> int:
        return len(self.instance_ids)

    @property
    def min_size(self) -> int:
        return len(self.instance_ids)

    @property
    def initial_size(self) -> int:
        return len(self.instance_ids)


class ExistingPool(PoolBase):
    """Nodes of an existing cluster, described so models can be placed on them: the labels that select
    them and the taints they carry (tolerated by the pods). Nothing is created."""

    kind: Literal["existing"]
    node_selector: Labels = Field(min_length=1)
    """Labels of the nodes, e.g. `{nvidia.com/gpu.present: "true"}`."""
    max_size: int = Field(1, ge=1)
    """How many such nodes exist (bounds replicas and autoscaling)."""

    @property
    def node_labels(self) -> dict[str, str]:
        return dict(self.node_selector)

    @property
    def node_taints(self) -> list[Taint]:
        return self.taints or []

    @property
    def min_size(self) -> int:
        return 0

    @property
    def initial_size(self) -> int:
        return self.max_size


def _check_gpu_disk(pool: NormalPool | NativePool) -> None:
    if pool.gpu and pool.system_disk_gb is not None and pool.system_disk_gb < MIN_GPU_DISK_GB and not pool.data_disk_gb:
        raise AtKey("system_disk_gb", f"{pool.system_disk_gb} is too small for GPU serving images; use >= "
                    f"{MIN_GPU_DISK_GB} or add a dataDiskGb for the container runtime")


def effective_system_disk(pool: NormalPool | NativePool) -> int:
    if pool.system_disk_gb is not None:
        return pool.system_disk_gb
    return MIN_GPU_DISK_GB if pool.gpu else 100


NodePool = NormalPool | NativePool | SuperPool | AttachedPool | ExistingPool
"""Any one node pool, as `StackConfig.pool` returns it."""
NodePoolConfig = Annotated[NodePool, Field(discriminator="kind")]
CLOUD_POOL_KINDS = ("normal", "native", "super", "attached")
