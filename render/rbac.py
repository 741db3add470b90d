"""The identity of a pod that reads the API server (a router's or a picker's service discovery): its own
ServiceAccount, a Role in its namespace only, and the binding between them, named alike. One shape, so
every reader's rights are reviewed in the Role's rules alone."""

from __future__ import annotations

from typing import Any

from render.meta import metadata

READ = ("get", "list", "watch")


def service_account(name: str, namespace: str, labels: dict[str, str]) -> dict[str, Any]:
    """No token mounted by default: the pod mounts a projected one into the one container that reads."""
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": metadata(name, namespace, labels),
            "automountServiceAccountToken": False}


def role(name: str, namespace: str, labels: dict[str, str], rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": metadata(name, namespace, labels),
        "rules": rules,
    }


def role_binding(name: str, namespace: str, labels: dict[str, str]) -> dict[str, Any]:
    """Binds the Role to the ServiceAccount of the same name."""
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": metadata(name, namespace, labels),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
        "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": namespace}],
    }
