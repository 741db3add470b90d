"""NetworkPolicies: deny all ingress in the namespace, then open only the paths the stack uses.

Engines accept requests only from pods of this stack in the namespace (the gateway and the UI, when
present) and, inside a LeaderWorkerSet group, from each other. Pods with host networking (RDMA
groups) bypass NetworkPolicy entirely; their API key is then the only gate.
"""

from __future__ import annotations

from typing import Any

from .meta import COMMON_LABELS, labels, metadata


def _policy(name: str, namespace: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata(name, namespace, labels("network-policy")),
        "spec": spec,
    }


def default_deny(namespace: str) -> dict[str, Any]:
    return _policy("default-deny-ingress", namespace, {"podSelector": {}, "policyTypes": ["Ingress"]})


def allow_to_server(name: str, namespace: str, selector: dict[str, str], port: int,
                    peers: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """Ingress to one model server on its API port from `peers` (pod label selectors), by default
    any pod of this stack; plus all ports between the pods of the same server (multi-node groups)."""
    sources = [{"podSelector": {"matchLabels": p}} for p in (peers or [dict(COMMON_LABELS)])]
    return _policy(f"{name}-ingress", namespace, {
        "podSelector": {"matchLabels": selector},
        "policyTypes": ["Ingress"],
        "ingress": [
            {"from": sources, "ports": [{"protocol": "TCP", "port": port}]},
            {"from": [{"podSelector": {"matchLabels": selector}}]},
        ],
    })
