"""Secrets the stack generates or carries (engine API keys, hub tokens)."""

from __future__ import annotations

from typing import Any

from render.meta import labels, metadata


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
