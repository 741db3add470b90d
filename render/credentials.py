"""Secrets the stack generates or carries (engine API keys, hub tokens), and the checksum of the keys a
pod reads that rolls the pod when one of them is rotated (docs/operations.md, "Rotating keys")."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Callable, Iterator, Mapping

from render.meta import labels, metadata

KEYS_CHECKSUM_ANNOTATION = "tke-llm.io/keys-sha256"
"""On a pod template: sha256 of the content of the generated Secrets its containers read. A Secret updated
in place does not restart a pod that took it as environment; a changed template does."""


def opaque_secret(name: str, namespace: str, data: dict[str, Any], component: str) -> dict[str, Any]:
    """Values go in `stringData` as Pulumi secrets: Pulumi keeps them encrypted in state and masks
    them in previews; they never appear in a ConfigMap, an argument or a plain env value."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata(name, namespace, labels(component)),
        "type": "Opaque",
        "stringData": data,
    }


def _template_paths(manifest: Mapping[str, Any]) -> list[tuple[str, ...]]:
    """Where a workload keeps its pod templates (a LeaderWorkerSet has two); none for other kinds."""
    if manifest["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
        return [("spec", "template")]
    if manifest["kind"] == "LeaderWorkerSet":
        lwt = manifest["spec"]["leaderWorkerTemplate"]
        parts = ("leaderTemplate", "workerTemplate")
        return [("spec", "leaderWorkerTemplate", part) for part in parts if lwt.get(part)]
    return []


def _at(obj: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    for key in path:
        obj = obj[key]
    return obj


def _replaced(obj: Mapping[str, Any], path: tuple[str, ...], fn: Callable[[Any], Any]) -> dict[str, Any]:
    """A copy of `obj` with the value at `path` replaced by `fn(value)`; only the dicts on the path are copied."""
    head, *rest = path
    return {**obj, head: _replaced(obj[head], tuple(rest), fn) if rest else fn(obj[head])}


def pod_templates(manifest: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every pod template of a workload; nothing for other kinds."""
    return (_at(manifest, path) for path in _template_paths(manifest))


def secrets_read(template: Mapping[str, Any]) -> set[str]:
    """Names of the Secrets a pod template's containers read: env `secretKeyRef`, `envFrom`, volumes."""
    pod = template.get("spec") or {}
    names: set[str] = set()
    for c in [*pod.get("initContainers", []), *pod.get("containers", [])]:
        for e in c.get("env", []):
            ref = (e.get("valueFrom") or {}).get("secretKeyRef")
            if ref:
                names.add(ref["name"])
        names.update(src["secretRef"]["name"] for src in c.get("envFrom", []) if "secretRef" in src)
    names.update(v["secret"]["secretName"] for v in pod.get("volumes", []) if "secret" in v)
    return names


def keys_checksum(contents: Mapping[str, Mapping[str, str]]) -> str:
    """sha256 of Secrets' content, {Secret name: {field: value}}, independent of order."""
    canonical = json.dumps({n: dict(d) for n, d in contents.items()}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def annotate_pods(manifest: dict[str, Any],
                  annotations: Callable[[Mapping[str, Any]], Mapping[str, Any]]) -> dict[str, Any]:
    """A copy of `manifest` in which each pod template also carries `annotations(template)` (often
    nothing); only the dicts on the way are copied, so the values may be Pulumi Outputs."""

    def annotated(template: dict[str, Any]) -> dict[str, Any]:
        extra = annotations(template)
        if not extra:
            return template
        meta = template.get("metadata") or {}
        return {**template, "metadata": {**meta, "annotations": {**meta.get("annotations", {}), **extra}}}

    out = dict(manifest)
    for path in _template_paths(manifest):
        out = _replaced(out, path, annotated)
    return out
