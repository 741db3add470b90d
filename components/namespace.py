"""The stack's namespace, the first object every in-cluster resource depends on.

Retained by `pulumi destroy`: deleting it would make the namespace controller delete the model and UI
volumes inside, whatever Pulumi's options say. Kept, the next `pulumi up` adopts it and its volumes:
it is annotated with its `owner` stack, which components/namespace_owner.py checks. See
docs/pulumi-behaviour.md, "The namespace".
"""

from __future__ import annotations

import pulumi

from components.base import Component
from components.k8s import apply
from render.namespace import namespace
from render.network_policy import default_deny


class Namespace(Component):
    name: str

    def __init__(self, name: str, *, namespace_name: str, privileged: bool = False, owner: str | None = None,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("tke-llm:cluster:Namespace", name, opts)
        self.name = namespace_name
        self.resource = apply(f"{name}-ns", namespace(namespace_name, privileged, owner), self.child(retain_on_delete=True))
        apply(f"{name}-deny", default_deny(namespace_name), self.child(depends_on=[self.resource]))
        self.register_outputs({"name": namespace_name})
