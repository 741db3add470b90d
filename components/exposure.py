"""Exposure: one endpoint (the API or the UI) made reachable from outside the cluster, and the URL
that results (known from the host name for an Ingress or HTTPRoute; read from the Service status once
TKE has assigned the CLB for a LoadBalancer)."""

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
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("tke-llm:access:Exposure", name, opts)
        self.url = render.static_url(exposure, url_path)
        for manifest in render.manifests(endpoint, exposure):
            kind = manifest["kind"]
            res = apply(f"{name}-{kind.lower()}", manifest, self.child())
            if exposure.kind == "loadBalancer":
                port = exposure.port
                self.url = res.status.apply(lambda s: render.lb_url(s, port, url_path))  # type: ignore[attr-defined]
        self.register_outputs({"url": self.url})
