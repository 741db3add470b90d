"""Where model weights live. Shared kinds (CFS, CFS-Turbo, an existing RWX class) are written once by
the download Job and mounted by every server; `local` puts a copy on each GPU node's NVMe."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from config.base import ConfigModel
from config.errors import AtKey
from config.formats import CcnId, Zone, dns1123_subdomain, qualified_name, tencent_id

SC_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")

# CFS-Turbo capacity rules (GiB). Sources disagree (pulumi-notes 4.7); the newer API model allows these
# minimums with a 10240 GiB step. Anything else the API rejects at `pulumi up`, after billing starts.
TURBO_MIN_GIB = {"TB": 20480, "TP": 10240}
TURBO_STEP_GIB = 10240


def _sc_name(v: str) -> str:
    return dns1123_subdomain(v, "StorageClass name")


class ModelVolume(ConfigModel):
    size_gi: int = Field(500, ge=1)
    """PVC request (Gi). CFS bills by usage, CFS-Turbo by provisioned capacity. At least the models'
    weights plus 1 Gi per model (config, tokenizer, download metadata): the download stages on the same
    volume and renames into place, and the engines mount it read-only, so nothing else is needed. A new
    revision downloads beside the old one, which stays until removed by hand: leave room for it."""


class CfsStorage(ModelVolume):
    kind: Literal["cfs"]
    tier: Literal["standard", "performance"] = "performance"
    """`performance` (HP) loads weights noticeably faster than `standard` (SD)."""
    zone: Zone | None = None
    """Zone of the file system; the first cluster zone when unset (put it beside the GPU pool)."""
    permission_group_id: str = "pgroupbasic"
    """CFS permission group: `pgroupbasic` (the default group) or an id `pgroup-xxxxxxxx`."""
    provisioner: str = "com.tencent.cloud.csi.cfs"
    """CSI driver name; check `kubectl get csidriver` if your cluster's add-on registers another."""

    @field_validator("permission_group_id")
    @classmethod
    def _pgroup(cls, v: str) -> str:
        return v if v == "pgroupbasic" else tencent_id("pgroup")(v)

    @field_validator("provisioner")
    @classmethod
    def _provisioner(cls, v: str) -> str:
        # The API server validates StorageClass.provisioner as a qualified name (apimachinery
        # ValidateStorageClass -> validateProvisioner).
        return qualified_name(v, "provisioner name")
    storage_class_name: str = "tke-llm-cfs"

    @field_validator("storage_class_name")
    @classmethod
    def _check_name(cls, v: str) -> str:
        return _sc_name(v)

    @property
    def storage_type(self) -> str:
        return {"standard": "SD", "performance": "HP"}[self.tier]


class CcnRef(ConfigModel):
    id: CcnId | None = None
    """An existing CCN id (ccn-xxxxxxxx); a new CCN is created when unset."""
    attach_vpc: bool = True
    """Attach the cluster VPC to the CCN (needed once per VPC; turn off if it is already attached)."""


class CfsTurboStorage(ModelVolume):
    kind: Literal["cfs-turbo"]
    tier: Literal["TB", "TP"] = "TP"
    """TB (standard Turbo) or TP (performance Turbo)."""
    capacity_gib: int
    """Provisioned capacity (GiB): TB >= 20480, TP >= 10240, in steps of 10240. Cannot be changed later."""
    zone: Zone | None = None
    """Zone of the file system; the first cluster zone when unset (must be the GPU pool's zone)."""
    ccn: CcnRef = CcnRef()
    cidr_block: str = "10.255.0.0/24"
    """Range the Turbo file system takes inside the CCN; must not clash with anything bound to the CCN."""
    proto: Literal["lustre", "nfs"] = "lustre"
    """Mount protocol, set on the StorageClass (the driver's default when unset is `lustre`). `lustre`, which
    Tencent's TKE guide says to keep, needs the Turbo client on the nodes (their OS image is checked); `nfs`
    mounts NFSv3, but provisioning still mounts Lustre on the CSI controller's node. docs/cloud-resources.md."""
    storage_class_name: str = "tke-llm-cfs-turbo"

    @field_validator("storage_class_name")
    @classmethod
    def _check_name(cls, v: str) -> str:
        return _sc_name(v)

    @field_validator("cidr_block")
    @classmethod
    def _cidr(cls, v: str) -> str:
        try:
            ipaddress.ip_network(v, strict=True)
        except ValueError:
            raise ValueError(f"{v!r} is not a CIDR block such as 10.255.0.0/24") from None
        return v

    @model_validator(mode="after")
    def _capacity(self) -> "CfsTurboStorage":
        low = TURBO_MIN_GIB[self.tier]
        if self.capacity_gib < low or self.capacity_gib % TURBO_STEP_GIB:
            fixed = max(low, -(-self.capacity_gib // TURBO_STEP_GIB) * TURBO_STEP_GIB)
            raise AtKey("capacity_gib",
                        f"{self.capacity_gib} is not valid for tier {self.tier}: it must be >= {low} and a "
                        f"multiple of {TURBO_STEP_GIB} (e.g. {fixed})")
        return self


class LocalStorage(ConfigModel):
    kind: Literal["local"]
    host_path: str = "/data/models"
    """Directory on every GPU node (ideally on local NVMe) that receives a copy of the weights."""

    @field_validator("host_path")
    @classmethod
    def _abs(cls, v: str) -> str:
        if not v.startswith("/") or v.rstrip("/") in ("", "/etc", "/var", "/usr", "/root", "/proc", "/sys"):
            raise ValueError(f"{v!r} must be an absolute, dedicated directory such as /data/models")
        return v.rstrip("/")


class ExistingStorage(ModelVolume):
    kind: Literal["existing"]
    storage_class_name: str
    access_mode: Literal["ReadWriteMany", "ReadWriteOnce"] = "ReadWriteMany"
    """ReadWriteOnce: one model with one replica on one node, and only on a network disk (`provisioner`)."""
    provisioner: str | None = Field(None, pattern=r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)?$",
                                     max_length=253)
    """The provisioner of `storageClassName` (`kubectl get storageclass <name> -o jsonpath='{.provisioner}'`),
    e.g. com.tencent.cloud.csi.cbs. Needed for ReadWriteOnce: a network disk follows the model to its GPU
    node after the download; a node-local one (local-path, OpenEBS hostpath, TopoLVM) never does."""

    @field_validator("storage_class_name")
    @classmethod
    def _check_name(cls, v: str) -> str:
        return _sc_name(v)


StorageConfig = Annotated[
    CfsStorage | CfsTurboStorage | LocalStorage | ExistingStorage, Field(discriminator="kind")
]
