"""The smoke Job: one real answer per model, through the in-cluster URL and the key apps use, before
`pulumi up` reports the model served.

It runs render/files/smoke.py (`python3 -c`) in a pinned Python image on the CPU pool, with no GPU and
no service-account token. Its name carries a hash of everything it tests (the script, its environment
and the serving revision it is given), so a change to the model or the gateway runs it again; a failed
Job is replaced by the next `up`. What it checks and what a failure says: docs/smoke.md.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Literal

from render.awaits import replaced_when_unready
from render.files import source
from render.meta import labels, metadata
from render.placement import PodPlacement

Api = Literal["chat", "completions", "ollama"]
APIS: tuple[Api, ...] = ("chat", "completions", "ollama")
SCRIPT_FILE = "smoke.py"
COMPONENT = "smoke-test"
MODEL_LABEL = "tke-llm.io/model"
START_ALLOWANCE_SECONDS = 120
"""Scheduling the pod and pulling the small Python image, before the script's own bound starts."""
MAX_JOB_NAME = 63
"""The Job controller copies the Job name into the `job-name` pod label, which allows 63 characters."""


@dataclass(frozen=True)
class SmokeSpec:
    name: str
    """The model's name in the stack (config `models[].name`): in the Job's name and every message."""
    namespace: str
    served_name: str
    """What clients send as `model`, and what the answer must name."""
    url: str
    """The in-cluster base URL apps are given (`apiBaseUrlInCluster`), ending in /v1."""
    api: Api
    key_secret: str
    key_field: str
    """The Secret and field holding the key apps send (the gateway's app key, or the engine's key)."""
    timeout_seconds: int
    image: str
    placement: PodPlacement
    revision: str = ""
    """What the answer comes from (the serving and gateway specs, derive/smoke.py): a new value is a
    new Job, so the next `up` tests the changed model again."""

    def __post_init__(self) -> None:
        if self.api not in APIS:
            raise ValueError(f"{self.name}: smoke api {self.api!r} is not one of {', '.join(APIS)}")
        if self.timeout_seconds < 10:
            raise ValueError(f"{self.name}: a smoke bound of {self.timeout_seconds}s is too short for any answer")
        if not self.url.startswith(("http://", "https://")) or not self.url.endswith("/v1"):
            raise ValueError(f"{self.name}: {self.url!r} is not an API base URL ending in /v1")


def script() -> str:
    return source(SCRIPT_FILE)


def env(spec: SmokeSpec) -> list[dict[str, Any]]:
    """The script's whole input; the key only as a Secret reference."""
    return [
        {"name": "SMOKE_NAME", "value": spec.name},
        {"name": "SMOKE_MODEL", "value": spec.served_name},
        {"name": "SMOKE_URL", "value": spec.url},
        {"name": "SMOKE_API", "value": spec.api},
        {"name": "SMOKE_TIMEOUT_SECONDS", "value": str(spec.timeout_seconds)},
        {"name": "SMOKE_KEY", "valueFrom": {"secretKeyRef": {"name": spec.key_secret, "key": spec.key_field}}},
        {"name": "PYTHONUNBUFFERED", "value": "1"},
        {"name": "PYTHONDONTWRITEBYTECODE", "value": "1"},
    ]


def job_name(spec: SmokeSpec) -> str:
    """`smoke-<name>-<hash8>`, the name part shortened to keep a valid 63-character label."""
    digest = hashlib.sha256(json.dumps([script(), env(spec), spec.image, spec.revision]).encode()).hexdigest()[:8]
    room = MAX_JOB_NAME - len("smoke-") - len(digest) - 1
    return f"smoke-{spec.name[:room].rstrip('-')}-{digest}"


def job_deadline_seconds(spec: SmokeSpec) -> int:
    """The Job's activeDeadlineSeconds: the script's bound plus the pod's start."""
    return spec.timeout_seconds + START_ALLOWANCE_SECONDS


def pod_labels(spec: SmokeSpec) -> dict[str, str]:
    return labels(COMPONENT, **{"app.kubernetes.io/name": "smoke-test", MODEL_LABEL: spec.name})


def peer() -> dict[str, str]:
    """The labels the gateway's (or, without one, the engine's) NetworkPolicy admits the Job's pods by."""
    return {"app.kubernetes.io/component": COMPONENT}


def smoke_job(spec: SmokeSpec) -> dict[str, Any]:
    """One try (backoffLimit 0: the script retries within its bound, and a second pod would only
    repeat a final answer), kept after it ends (no TTL: a deleted Job would run again on refresh)."""
    name = job_name(spec)
    container = {
        "name": "smoke",
        "image": spec.image,
        "imagePullPolicy": "IfNotPresent",
        "command": ["python3", "-c", script()],
        "env": env(spec),
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
        "terminationMessagePolicy": "FallbackToLogsOnError",
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 65534,
            "runAsGroup": 65534,
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
    }
    pod = spec.placement.apply({
        "containers": [container],
        "restartPolicy": "Never",
        "enableServiceLinks": False,
        "automountServiceAccountToken": False,
        "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
    })
    return replaced_when_unready({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": metadata(name, spec.namespace, pod_labels(spec)),
        "spec": {
            "backoffLimit": 0,
            "activeDeadlineSeconds": job_deadline_seconds(spec),
            "template": {"metadata": {"labels": pod_labels(spec)}, "spec": pod},
        },
    })
