"""The stack's namespace."""

from __future__ import annotations

from typing import Any

from render.meta import labels, metadata


def namespace(name: str, privileged: bool = False) -> dict[str, Any]:
    """Pod Security admission labels: `baseline` is enforced unless a workload needs host networking or
    IPC_LOCK (RDMA multi-node serving), which only `privileged` allows; `restricted` is always reported as a
    warning so drift towards root or host access stays visible."""
    level = "privileged" if privileged else "baseline"
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": metadata(
            name,
            labels=labels(
                "namespace",
                **{
                    "pod-security.kubernetes.io/enforce": level,
                    "pod-security.kubernetes.io/warn": "restricted",
                    "pod-security.kubernetes.io/audit": "restricted",
                },
            ),
        ),
    }
