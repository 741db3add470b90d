"""The base of every tke-llm component.

Pulumi does not make a component's children wait for what the component itself `depends_on`: only
resources that depend on the component wait for its children. So a component created "after the
download" would still let its children start at once. `child()` carries the component's own
dependencies onto every child, which is what a reader of the composition expects.
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
