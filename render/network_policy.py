"""NetworkPolicies: deny all ingress in the namespace, then open only the paths the stack uses.

Engines accept requests only from their callers (the gateway; without one, the UI and the API's
exposure path: derive/access.py `engine_ingress`) and, inside a LeaderWorkerSet group, from each
other. The gateway admits the UI and its exposure path, the UI its exposure path (`allow_ingress`,
`port_rule`). Egress is not restricted: download Jobs reach the model hubs. Pods with host networking
(RDMA groups) bypass NetworkPolicy entirely; their API key is then the only gate.
"""

from __future__ import annotations

from typing import Any

from render.meta import COMMON_LABELS, labels, metadata


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
                    peers: list[dict[str, str]] | None = None,
                    extra_rules: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Ingress to one model server on its API port from `peers` (pod label selectors), by default
    any pod of this stack; plus all ports between the pods of the same server (multi-node groups),
    plus `extra_rules` (see `port_rule`: Prometheus, an exposure path when there is no gateway)."""
    sources = [{"podSelector": {"matchLabels": p}} for p in (peers or [dict(COMMON_LABELS)])]
    return _policy(f"{name}-ingress", namespace, {
        "podSelector": {"matchLabels": selector},
        "policyTypes": ["Ingress"],
        "ingress": [
            {"from": sources, "ports": [{"protocol": "TCP", "port": port}]},
            *(extra_rules or []),
            {"from": [{"podSelector": {"matchLabels": selector}}]},
        ],
    })


def port_rule(port: int, sources: list[dict[str, Any]] | None) -> dict[str, Any]:
    """An ingress rule for one TCP port; `sources` None admits any source (a CLB path, whose client
    or node addresses cannot be listed), a list admits only those peers."""
    rule: dict[str, Any] = {"ports": [{"protocol": "TCP", "port": port}]}
    if sources is not None:
        rule["from"] = list(sources)
    return rule


def pod_peer(labels_: dict[str, str]) -> dict[str, Any]:
    return {"podSelector": {"matchLabels": dict(labels_)}}


def allow_ingress(name: str, namespace: str, selector: dict[str, str],
                  rules: list[dict[str, Any]]) -> dict[str, Any]:
    """`<name>-ingress`: what may reach the pods selected by `selector` (the gateway, the UI, the
    gateway's database); everything else stays denied by `default-deny-ingress`."""
    return _policy(f"{name}-ingress", namespace, {
        "podSelector": {"matchLabels": dict(selector)},
        "policyTypes": ["Ingress"],
        "ingress": list(rules),
    })
