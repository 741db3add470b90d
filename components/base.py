"""The base of every tke-llm component.

Pulumi does not make a component's children wait for what the component itself `depends_on`: only
resources that depend on the component wait for its children (the engine gates a resource on its own
`dependencies` only; pulumi/pulumi#24436 tracks the same gap for invokes). So a component created
"after the download" would still let its children start at once. `child()` carries the component's own
dependencies onto every in-cluster child, which is what a reader of the composition expects.

Cloud children take `cloud_child()` instead: a component placed in the namespace (ModelStorage) must
not make its file system, CCN or add-on wait for Kubernetes objects, which exist only once the cluster,
its pools and its endpoint do; cloud storage starts with the cluster.
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
