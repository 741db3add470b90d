"""The base of every tke-llm component.

Pulumi does not make a component's children wait for what the component itself `depends_on`, so
`child()` carries the component's own dependencies onto every in-cluster child. Cloud children take
`cloud_child()` instead: cloud storage starts with the cluster, not after Kubernetes objects. Source
and reasoning: docs/pulumi-behaviour.md.
"""

from __future__ import annotations

from typing import Any

import pulumi


class Component(pulumi.ComponentResource):
    def __init__(self, type_: str, name: str, opts: pulumi.ResourceOptions | None = None):
        super().__init__(type_, name, None, opts)
        deps = (opts.depends_on if opts else None) or []
        self._deps: list[Any] = list(deps) if isinstance(deps, (list, tuple)) else [deps]

    def child(self, **kwargs: Any) -> pulumi.ResourceOptions:
        extra = kwargs.pop("depends_on", None) or []
        return pulumi.ResourceOptions(parent=self, depends_on=[*self._deps, *extra], **kwargs)

    def cloud_child(self, **kwargs: Any) -> pulumi.ResourceOptions:
        """Options for a cloud child: parented here, waiting only for what it is given explicitly."""
        return pulumi.ResourceOptions(parent=self, **kwargs)
