"""The stack's namespace, annotated with the stack that created it (components/namespace_owner.py reads it)."""

from __future__ import annotations

from typing import Any

from render.meta import labels, metadata

OWNER_ANNOTATION = "tke-llm.io/stack"
"""`<project>/<stack>` of the stack that created the namespace: an annotation, since a label value cannot
hold the `/`. A later `pulumi up` of that stack re-adopts the namespace; any other stack is refused."""


def namespace(name: str, privileged: bool = False, owner: str | None = None) -> dict[str, Any]:
    """Pod Security admission labels: `baseline` is enforced unless a workload needs host networking or
    IPC_LOCK (RDMA multi-node serving), which only `privileged` allows; `restricted` is always reported as a
    warning so drift towards root or host access stays visible. `owner`: see OWNER_ANNOTATION."""
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
            annotations={OWNER_ANNOTATION: owner} if owner else None,
        ),
    }
