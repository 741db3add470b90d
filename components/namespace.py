"""The stack's namespace, the first object every in-cluster resource depends on.

Retained by `pulumi destroy`: deleting a namespace makes the namespace controller delete everything in
it, the `protect`ed and retained model and UI volumes included (a PVC's own `retain_on_delete` only
stops Pulumi, not the controller), and with them the binding to the data. Kept, the namespace holds
the volumes, bound to their volumes and data, and the next `pulumi up` adopts it and them again (the
provider upserts existing objects: components/k8s_provider.py); a new claim would bind to a new, empty
volume instead. `kubectl delete namespace` is the explicit way to drop it all.
"""

from __future__ import annotations

import pulumi

from render.namespace import namespace
from render.network_policy import default_deny

from components.base import Component
from components.k8s import apply


class Namespace(Component):
    name: str

    def __init__(self, name: str, *, namespace_name: str, privileged: bool = False,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("tke-llm:cluster:Namespace", name, opts)
        self.name = namespace_name
        self.resource = apply(f"{name}-ns", namespace(namespace_name, privileged), self.child(retain_on_delete=True))
        apply(f"{name}-deny", default_deny(namespace_name), self.child(depends_on=[self.resource]))
        self.register_outputs({"name": namespace_name})
