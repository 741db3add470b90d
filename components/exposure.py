"""Exposure: one endpoint (the API or the UI) made reachable from outside the cluster, and the URL
that results (known from the host name for an Ingress, an HTTPRoute or a LoadBalancer with `host`; read
from the Service status once TKE has assigned the CLB otherwise). A CLB's certificate Secret is
registered before the Service that names it."""

from __future__ import annotations

import pulumi

from components.base import Component
from components.k8s import apply
from render import exposure as render


class Exposure(Component):
    url: pulumi.Input[str] | None
    """External base URL (with the endpoint's path, e.g. `/v1` for the API); None when not exposed."""

    def __init__(
        self,
        name: str,
        *,
        endpoint: render.Endpoint,
        exposure: render.ExposureSpec,
        url_path: str = "",
        security_groups: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        """`security_groups`: the CLB's security-groups annotation value when the stack creates one of
        them (`render.join_groups` of the ids); see components/clb_security_group.py."""
        super().__init__("tke-llm:access:Exposure", name, opts)
        self.url = render.static_url(exposure, url_path)
        before: list[pulumi.Resource] = []
        for manifest in render.manifests(endpoint, exposure, security_groups):
            kind = manifest["kind"]
            res = apply(f"{name}-{kind.lower()}", manifest, self.child(depends_on=before))
            if kind == "Secret":
                before.append(res)
            if kind == "Service" and exposure.kind == "loadBalancer" and self.url is None:
                port, scheme = exposure.port, exposure.scheme
                self.url = res.status.apply(lambda s: render.lb_url(s, port, url_path, scheme))  # type: ignore[attr-defined]
        self.register_outputs({"url": self.url})
