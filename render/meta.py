"""Object metadata shared by every rendered manifest."""

from __future__ import annotations

from typing import Any

PART_OF = "tke-llm"
COMMON_LABELS = {"app.kubernetes.io/part-of": PART_OF, "app.kubernetes.io/managed-by": "pulumi"}


def labels(component: str, **extra: str) -> dict[str, str]:
    return {**COMMON_LABELS, "app.kubernetes.io/component": component, **extra}


def metadata(
    name: str,
    namespace: str | None = None,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    meta["labels"] = dict(labels or COMMON_LABELS)
    if annotations:
        meta["annotations"] = dict(annotations)
    return meta


def image(ref: str, registry: str | None) -> str:
    """Put the mirror prefix in front of an image reference, dropping the source registry host.

    `vllm/vllm-openai:v0.11.0` -> `<mirror>/vllm/vllm-openai:v0.11.0`;
    `ghcr.io/open-webui/open-webui:v0.6` -> `<mirror>/open-webui/open-webui:v0.6`.
    """
    if not registry:
        return ref
    first, _, rest = ref.partition("/")
    path = rest if rest and ("." in first or ":" in first or first == "localhost") else ref
    return f"{registry}/{path}"


def http_service(name: str, namespace: str, labels: dict[str, str], selector: dict[str, str], port: int) -> dict[str, Any]:
    """A ClusterIP Service with one port named `http` (ServiceMonitors and routes refer to it by name)."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(name, namespace, labels),
        "spec": {
            "type": "ClusterIP",
            "selector": selector,
            "ports": [{"name": "http", "port": port, "targetPort": "http", "protocol": "TCP"}],
        },
    }


ROLLING_NO_DOWNTIME = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}


def deployment(
    name: str,
    namespace: str,
    labels: dict[str, str],
    selector: dict[str, str],
    replicas: int,
    pod: dict[str, Any],
    strategy: dict[str, Any] | None = None,
    pod_annotations: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A Deployment of one pod template; rolling with a surge pod and no unavailability by default."""
    template_meta: dict[str, Any] = {"labels": labels}
    if pod_annotations:
        template_meta["annotations"] = dict(pod_annotations)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata(name, namespace, labels),
        "spec": {
            "replicas": replicas,
            "revisionHistoryLimit": 3,
            "selector": {"matchLabels": selector},
            "strategy": strategy or ROLLING_NO_DOWNTIME,
            "template": {"metadata": template_meta, "spec": pod},
        },
    }
