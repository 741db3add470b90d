"""ModelRouter: one routed model's router (render/router.py), registered after the model's workload so
its first pod discovers replicas that exist, with its ServiceMonitor and scrape policy when the stack
is monitored. The gateway calls `url` instead of the model's Service (program/compose.py)."""

from __future__ import annotations

import pulumi

from components.base import Component
from components.k8s import apply
from components.scraped import scrape
from derive.operations import MonitoringPlan
from render import router as rt


class ModelRouter(Component):
    url: str
    """In-cluster base URL of the router's OpenAI API, ending in /v1."""

    def __init__(self, name: str, *, spec: rt.RouterSpec, callers: list[dict[str, str]], k8s_minor: int,
                 after: list[pulumi.Resource], monitoring: MonitoringPlan | None = None,
                 prometheus: list[pulumi.Resource] | None = None, opts: pulumi.ResourceOptions | None = None):
        """`callers`: pod selectors that may reach the router (the gateway's); `after`: the model's
        workload (and whatever it waits for); `prometheus`: what brings the ServiceMonitor CRD (the
        operator chart, the managed Prometheus association), which the router's ServiceMonitor waits for."""
        super().__init__("tke-llm:serving:ModelRouter", name, opts)
        self.url = spec.url
        objects = {f"{name}-{m['kind'].lower()}": m for m in rt.manifests(spec, callers, k8s_minor)}
        rbac = [apply(key, obj, self.child()) for key, obj in objects.items()
                if obj["kind"] in ("ServiceAccount", "Role", "RoleBinding")]
        self.deployment = apply(f"{name}-deployment", objects.pop(f"{name}-deployment"),
                                self.child(depends_on=[*rbac, *after]))
        for key, obj in objects.items():
            if obj["kind"] in ("ServiceAccount", "Role", "RoleBinding"):
                continue
            apply(key, obj, self.child(depends_on=[self.deployment]) if obj["kind"] == "Service" else self.child())
        if monitoring is not None:
            scrape(self, spec.name, namespace=spec.namespace, service_labels=rt.pod_labels(spec),
                   pod_selector=rt.selector(spec), port=rt.METRICS_PORT, monitoring=monitoring,
                   prometheus=list(prometheus or []))
        self.register_outputs({"url": self.url})
