"""OpenWebUI: a chat UI for people, in front of the gateway (or of the one engine with `gateway: none`).

Facts the manifests encode (reference 2.7, 2.8, P15): the base URL ends in `/v1`; a protected, retained
data volume; a generated WEBUI_SECRET_KEY; one replica (`Recreate`) unless Redis is configured;
OFFLINE_MODE (no embedding-model fetch at start), ENABLE_PERSISTENT_CONFIG=False (the stack owns the
connection settings), every model visible to every user, sign-ups closed after the first admin. Reasons
and sources: docs/gateway.md, "OpenWebUI", and docs/webui.md (what the real UI showed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from render.meta import ROLLING_NO_DOWNTIME
from render.meta import deployment as deployment_manifest
from render.meta import http_service, labels, metadata
from render.placement import PodPlacement

NAME = "open-webui"
"""Service and Deployment name; OpenWebUI's own config variables start with WEBUI_, so a Service
called `webui` would inject WEBUI_PORT=tcp://... into pods that keep service links."""
PORT = 8080
COMPONENT = "webui"
NAME_LABEL = "app.kubernetes.io/name"
DATA_PATH = "/app/backend/data"
SECRET = f"{NAME}-secret-key"
OLLAMA_OFF_URL = "http://127.0.0.1:11434"
"""OLLAMA_BASE_URL when the Ollama API is off. Left at the image's `/ollama`, OpenWebUI 0.12.4 rewrites it to
host.docker.internal:11434 and, at import, resolves that name and probes ports 11434 and 12434
(open_webui/config.py, `_resolve_ollama_base_url`): a lookup leaving the pod on every start. Any other
value skips the probe; the URL is never called while ENABLE_OLLAMA_API is False."""
PVC = f"{NAME}-data"


@dataclass(frozen=True)
class SecretRef:
    name: str
    key: str


@dataclass(frozen=True)
class WebuiSpec:
    namespace: str
    image: str
    openai_base_url: str | None
    """The gateway's (or the engine's) in-cluster URL, ending in /v1; None for Ollama's own API."""
    openai_key: SecretRef | None
    ollama_base_url: str | None = None
    """Only when the stack serves Ollama alone without a gateway: `http://<svc>:11434` (no /v1)."""
    replicas: int = 1
    redis_url: str | None = None
    public_url: str | None = None
    cpu: str = "500m"
    memory: str = "1Gi"
    placement: PodPlacement = field(default_factory=PodPlacement)
    """Off the GPU nodes when there is no system pool to select (derive/placement.py)."""

    def __post_init__(self) -> None:
        if (self.openai_base_url is None) == (self.ollama_base_url is None):
            raise ValueError("OpenWebUI needs exactly one backend: an OpenAI base URL or an Ollama base URL")
        if self.openai_base_url is not None:
            if not self.openai_base_url.rstrip("/").endswith("/v1"):
                raise ValueError(f"OPENAI_API_BASE_URL {self.openai_base_url!r} must end in /v1 (P15)")
            if self.openai_key is None:
                raise ValueError("an OpenAI backend needs its key Secret")
        if self.ollama_base_url is not None and self.ollama_base_url.rstrip("/").endswith("/v1"):
            raise ValueError("OLLAMA_BASE_URL is Ollama's own API root, without /v1")
        if self.replicas > 1 and not self.redis_url:
            raise ValueError("several OpenWebUI replicas need Redis for their websockets")


def pod_labels() -> dict[str, str]:
    return labels(COMPONENT, **{NAME_LABEL: NAME})


def selector() -> dict[str, str]:
    return {NAME_LABEL: NAME, "app.kubernetes.io/component": COMPONENT}


def env(spec: WebuiSpec) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        {"name": "WEBUI_SECRET_KEY", "valueFrom": {"secretKeyRef": {"name": SECRET, "key": "secret-key"}}},
        {"name": "ENABLE_PERSISTENT_CONFIG", "value": "False"},
        # Compared lower-case with 'true' by open_webui/env.py (v0.12.4).
        {"name": "OFFLINE_MODE", "value": "True"},
        # Every approved user may use every served model (they all share the UI's one key): without it
        # OpenWebUI 0.12.4 shows a model with no access grant to admins only (utils/models.py
        # get_filtered_models), an empty list for everybody else. docs/webui.md.
        {"name": "BYPASS_MODEL_ACCESS_CONTROL", "value": "True"},
        # The first visitor still becomes the admin (routers/auths.py signup does not gate the first user on
        # it); after that only the admin adds people. Left on, the first sign-up closes sign-ups in memory
        # only (ENABLE_PERSISTENT_CONFIG=False: models/config.py upsert) and every restart reopens them.
        {"name": "ENABLE_SIGNUP", "value": "False"},
    ]
    if spec.openai_base_url is not None and spec.openai_key is not None:
        out += [
            {"name": "ENABLE_OPENAI_API", "value": "True"},
            {"name": "OPENAI_API_BASE_URL", "value": spec.openai_base_url.rstrip("/")},
            {"name": "OPENAI_API_KEY",
             "valueFrom": {"secretKeyRef": {"name": spec.openai_key.name, "key": spec.openai_key.key}}},
            {"name": "ENABLE_OLLAMA_API", "value": "False"},
            {"name": "OLLAMA_BASE_URL", "value": OLLAMA_OFF_URL},
        ]
    else:
        out += [
            {"name": "ENABLE_OLLAMA_API", "value": "True"},
            {"name": "OLLAMA_BASE_URL", "value": spec.ollama_base_url},
            {"name": "ENABLE_OPENAI_API", "value": "False"},
        ]
    if spec.public_url:
        out.append({"name": "WEBUI_URL", "value": spec.public_url})
    if spec.redis_url:
        out += [
            {"name": "REDIS_URL", "value": spec.redis_url},
            {"name": "ENABLE_WEBSOCKET_SUPPORT", "value": "true"},
            {"name": "WEBSOCKET_MANAGER", "value": "redis"},
            {"name": "WEBSOCKET_REDIS_URL", "value": spec.redis_url},
        ]
    return out


def deployment(spec: WebuiSpec) -> dict[str, Any]:
    probe = {"httpGet": {"path": "/health", "port": "http"}, "timeoutSeconds": 5}
    container = {
        "name": "open-webui",
        "image": spec.image,
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
        "env": env(spec),
        "resources": {"requests": {"cpu": spec.cpu, "memory": spec.memory}, "limits": {"memory": spec.memory}},
        "volumeMounts": [{"name": "data", "mountPath": DATA_PATH}],
        # The first start migrates the database (offline: no model download): up to 10 minutes.
        "startupProbe": {**probe, "periodSeconds": 10, "failureThreshold": 60},
        "readinessProbe": {**probe, "periodSeconds": 10, "failureThreshold": 3},
        "livenessProbe": {**probe, "periodSeconds": 20, "failureThreshold": 3},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
    }
    pod: dict[str, Any] = {
        "containers": [container],
        "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": PVC}}],
        "enableServiceLinks": False,
        "automountServiceAccountToken": False,
        "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
    }
    spec.placement.apply(pod)
    strategy = {"type": "Recreate"} if spec.replicas == 1 else ROLLING_NO_DOWNTIME
    return deployment_manifest(NAME, spec.namespace, pod_labels(), selector(), spec.replicas, pod, strategy=strategy)


def service(spec: WebuiSpec) -> dict[str, Any]:
    return http_service(NAME, spec.namespace, pod_labels(), selector(), PORT)


def data_pvc(namespace: str, *, storage_class: str | None, size_gi: int, access_mode: str) -> dict[str, Any]:
    """`storage_class` None: the cluster's default class."""
    spec: dict[str, Any] = {"accessModes": [access_mode], "resources": {"requests": {"storage": f"{size_gi}Gi"}}}
    if storage_class:
        spec["storageClassName"] = storage_class
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": metadata(PVC, namespace, labels(COMPONENT)),
        "spec": spec,
    }
