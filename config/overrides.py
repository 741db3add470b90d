"""What users add to an engine's pods without forking the program: environment variables, image pull
secrets, extra volumes and mounts, pod annotations and labels. Parse only: which names the renderers
own (and so are refused) is decided in checks/owned_env.py and checks/overrides.py, where the key and
the owner can be named. More: docs/engines.md, "Overrides".
"""

from __future__ import annotations

import posixpath
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, field_validator, model_validator

from config.base import ConfigModel
from config.errors import AtKey
from config.formats import Quantity, dns1123_subdomain

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
"""A name a shell and the engines' Python can read (`os.environ`); Kubernetes allows more, no engine reads it."""
VOLUME_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
SOURCES = ("config_map", "secret", "persistent_volume_claim", "empty_dir", "host_path")


def _env_value(v: Any) -> Any:
    """`NCCL_IB_QPS_PER_CONNECTION: 4` is an int to YAML; the container wants the string."""
    return str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v


def _env(v: dict[str, str]) -> dict[str, str]:
    for name in v:
        if not ENV_NAME.fullmatch(name):
            raise ValueError(f"{name!r} is not an environment variable name (letters, digits and '_', not "
                             "starting with a digit)")
    return v


EnvValue = Annotated[str, BeforeValidator(_env_value)]
Env = Annotated[dict[str, EnvValue], AfterValidator(_env)]
PullSecret = Annotated[str, AfterValidator(lambda v: dns1123_subdomain(v, "Secret name"))]


class EmptyDir(ConfigModel):
    medium: str = ""
    """`""` (the node's disk) or `Memory` (a tmpfs, charged to the container's memory)."""
    size_limit: Quantity | None = None

    @field_validator("medium")
    @classmethod
    def _medium(cls, v: str) -> str:
        if v not in ("", "Memory"):
            raise ValueError(f"{v!r}: an emptyDir medium is \"\" (disk) or Memory")
        return v


class ExtraVolume(ConfigModel):
    """One volume and where the engine container mounts it; exactly one source."""

    name: str
    """Volume name in the pod (a DNS label; `model` and `shm` are the program's)."""
    mount_path: str
    """Absolute path in the engine container, outside the model volume and /dev/shm."""
    read_only: bool = True
    sub_path: str | None = None
    """Mount one path inside the volume instead of its root."""
    config_map: str | None = None
    """A ConfigMap in the stack's namespace (e.g. a chat template)."""
    secret: str | None = None
    """A Secret in the stack's namespace."""
    persistent_volume_claim: str | None = None
    """A claim in the stack's namespace (e.g. a shared compile cache)."""
    empty_dir: EmptyDir | None = None
    host_path: str | None = None
    """A directory on the node; the stack's namespace then enforces the `privileged` Pod Security level
    (`baseline` refuses hostPath volumes)."""

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not VOLUME_NAME.fullmatch(v):
            raise ValueError(f"{v!r} is not a volume name (a DNS label: lowercase letters, digits and '-')")
        return v

    @field_validator("config_map", "secret", "persistent_volume_claim")
    @classmethod
    def _object(cls, v: str | None) -> str | None:
        return None if v is None else dns1123_subdomain(v, "object name")

    @field_validator("mount_path", "host_path")
    @classmethod
    def _absolute(cls, v: str | None) -> str | None:
        if v is not None and (not v.startswith("/") or posixpath.normpath(v) != v.rstrip("/") or v == "/"):
            raise ValueError(f"{v!r} must be an absolute, normalized path other than / (no '..', no '//')")
        return v

    @field_validator("sub_path")
    @classmethod
    def _relative(cls, v: str | None) -> str | None:
        if v is not None and (v.startswith("/") or posixpath.normpath(v).startswith("..") or not v):
            raise ValueError(f"{v!r}: subPath is a relative path inside the volume (no leading '/', no '..')")
        return v

    @model_validator(mode="after")
    def _one_source(self) -> "ExtraVolume":
        given = [s for s in SOURCES if getattr(self, s) is not None]
        if len(given) != 1:
            raise AtKey("name", f"volume {self.name!r} needs exactly one of configMap, secret, persistentVolumeClaim, "
                        f"emptyDir or hostPath (found {len(given)})")
        if not self.read_only and given[0] in ("config_map", "secret"):
            raise AtKey("readOnly", f"{'configMap' if self.config_map else 'secret'} volumes are always read-only in "
                        "Kubernetes; drop readOnly: false")
        return self

    @property
    def source(self) -> dict[str, Any]:
        """The Kubernetes volume source, e.g. `{"configMap": {"name": ...}}`."""
        if self.config_map is not None:
            return {"configMap": {"name": self.config_map}}
        if self.secret is not None:
            return {"secret": {"secretName": self.secret}}
        if self.persistent_volume_claim is not None:
            return {"persistentVolumeClaim": {"claimName": self.persistent_volume_claim, "readOnly": self.read_only}}
        if self.empty_dir is not None:
            d: dict[str, Any] = {}
            if self.empty_dir.medium:
                d["medium"] = self.empty_dir.medium
            if self.empty_dir.size_limit:
                d["sizeLimit"] = self.empty_dir.size_limit
            return {"emptyDir": d}
        return {"hostPath": {"path": self.host_path, "type": "Directory"}}


PullSecrets = Annotated[list[PullSecret], Field(max_length=16)]
Volumes = Annotated[list[ExtraVolume], Field(max_length=32)]
