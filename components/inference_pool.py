"""ModelInferencePool: one pooled model's InferencePool, endpoint picker and HTTPRoute
(render/inference_pool.py), registered after the model's workload. Like a ModelRouter it offers `url`
(the Gateway, under the model's path) and `deployment` (the picker), so the LiteLLM gateway calls and
waits for it the same way (program/compose.py, program/access.py). docs/routing.md, "InferencePool"."""

from __future__ import annotations

import pulumi

from components.base import Component
from components.k8s import apply
from components.scraped import scrape
from derive.operations import MonitoringPlan
from render import inference_pool as ip

RBAC = ("ServiceAccount", "Role", "RoleBinding")


class ModelInferencePool(Component):
    url: str
    """What LiteLLM calls for the model: the Gateway's in-cluster URL, under the model's prefix, /v1."""

    def __init__(self, name: str, *, spec: ip.PoolSpec, after: list[pulumi.Resource],
                 monitoring: MonitoringPlan | None = None, prometheus: list[pulumi.Resource] | None = None,
                 opts: pulumi.ResourceOptions | None = None):
        """`after`: the model's workload; the InferencePool CRD must be installed with the Gateway. The
        picker's controller-runtime metrics are scraped like a router's when the stack is monitored."""
        super().__init__("tke-llm:serving:ModelInferencePool", name, opts)
        self.url = spec.url
        objects = {f"{name}-{m['kind'].lower()}": m for m in ip.manifests(spec)}
        rbac = [apply(key, objects.pop(key), self.child()) for key in list(objects) if objects[key]["kind"] in RBAC]
        self.deployment = apply(f"{name}-deployment", objects.pop(f"{name}-deployment"),
                                self.child(depends_on=[*rbac, *after]))
        service = apply(f"{name}-service", objects.pop(f"{name}-service"), self.child(depends_on=[self.deployment]))
        pool = apply(f"{name}-inferencepool", objects.pop(f"{name}-inferencepool"),
                     self.child(depends_on=[service]))
        self.route = apply(f"{name}-httproute", objects.pop(f"{name}-httproute"), self.child(depends_on=[pool]))
        for key, obj in objects.items():
            apply(key, obj, self.child())
        if monitoring is not None:
            scrape(self, spec.epp, namespace=spec.namespace, service_labels=ip.epp_labels(spec),
                   pod_selector=ip.epp_selector(spec), port=ip.METRICS_PORT, monitoring=monitoring,
                   prometheus=list(prometheus or []))
        self.register_outputs({"url": self.url})
