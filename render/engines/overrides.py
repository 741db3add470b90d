"""The user's additions to an engine pod (`models[].env`, `volumes`, `imagePullSecrets`, `podLabels`,
`podAnnotations`), written after the program's own and never over them: a name both write is refused
here (a renderer-level guard) and, with the config key and its owner, by checks/owned_env.py."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Any

OWNED_VOLUMES = ("model", "shm", "s3-client-config")
OWNED_VOLUME_PREFIX = "lora-"
"""Local-disk LoRA adapters' volumes (render/engines/lora.py VOLUME_PREFIX)."""
SHM_PATH = "/dev/shm"
OWNED_PATHS = ("/compile-cache", "/etc/tke-llm/aws")
"""The compile cache and the S3 client config (render/engines/loading.py CACHE_MOUNT, S3_CONFIG_MOUNT)."""
LWS_PREFIX = "leaderworkerset.sigs.k8s.io/"
"""LeaderWorkerSet writes its own labels and annotations on the group's pods (name, group index,
worker index, size, template hash: kubernetes-sigs/lws api/leaderworkerset/v1/leaderworkerset_types.go)."""


@dataclass(frozen=True)
class ExtraVolume:
    name: str
    mount_path: str
    source: dict[str, Any]
    """The Kubernetes volume source, e.g. `{"configMap": {"name": "chat-template"}}`."""
    read_only: bool = True
    sub_path: str | None = None

    def __post_init__(self) -> None:
        if self.name in OWNED_VOLUMES or self.name.startswith(OWNED_VOLUME_PREFIX):
            raise ValueError(f"volume name {self.name!r} is the program's (the weights, /dev/shm, adapters)")
        if len(self.source) != 1:
            raise ValueError(f"volume {self.name!r} needs exactly one source, got {sorted(self.source)}")
        if not self.mount_path.startswith("/"):
            raise ValueError(f"volume {self.name!r}: mount path {self.mount_path!r} must be absolute")

    def volume(self) -> dict[str, Any]:
        return {"name": self.name, **{k: dict(v) for k, v in self.source.items()}}

    def mount(self) -> dict[str, Any]:
        m: dict[str, Any] = {"name": self.name, "mountPath": self.mount_path, "readOnly": self.read_only}
        if self.sub_path:
            m["subPath"] = self.sub_path
        return m


def overlaps(a: str, b: str) -> bool:
    """One path is the other or lies inside it (mounting there would hide or be hidden by the other)."""
    a, b = posixpath.normpath(a), posixpath.normpath(b)
    return a == b or a.startswith(b.rstrip("/") + "/") or b.startswith(a.rstrip("/") + "/")


@dataclass(frozen=True)
class PodOverrides:
    env: tuple[tuple[str, str], ...] = ()
    image_pull_secrets: tuple[str, ...] = ()
    volumes: tuple[ExtraVolume, ...] = ()
    annotations: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for what, names in (("env", [n for n, _ in self.env]), ("volume", [v.name for v in self.volumes]),
                            ("imagePullSecrets", list(self.image_pull_secrets))):
            twice = sorted({n for n in names if names.count(n) > 1})
            if twice:
                raise ValueError(f"{what} names given twice: {', '.join(twice)}")
        paths = [v.mount_path for v in self.volumes]
        for i, p in enumerate(paths):
            clash = [q for q in paths[i + 1:] if overlaps(p, q)]
            if clash:
                raise ValueError(f"mount paths {p} and {clash[0]} overlap")
        for key in (*self.labels, *self.annotations):
            if key.startswith(LWS_PREFIX):
                raise ValueError(f"{key} is LeaderWorkerSet's own")

    def check_against(self, model_mount: str) -> None:
        """The extra mounts stay off the weights and /dev/shm, which the program mounts."""
        for v in self.volumes:
            for own in (model_mount, SHM_PATH, *OWNED_PATHS):
                if overlaps(v.mount_path, own):
                    raise ValueError(f"volume {v.name!r} at {v.mount_path} overlaps the program's mount {own}")
