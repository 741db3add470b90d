"""The LeaderWorkerSet controller, from the upstream Helm chart, installed only when a model spans
nodes. Its image is overridable because registry.k8s.io is unreachable from mainland China."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from catalog.images import LWS_CHART, LWS_CHART_VERSION, LWS_IMAGE, LWS_IMAGE_TAG
from components.base import Component
from components.k8s import apply
from derive.charts import hook_free
from render.meta import image as mirrored
from render.namespace import namespace
from render.placement import PodPlacement

NAMESPACE = "lws-system"


class LwsController(Component):
    chart: k8s.helm.v4.Chart

    def __init__(self, name: str, *, image_registry: str | None, placement: PodPlacement,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("tke-llm:cluster:LwsController", name, opts)
        ns = apply(f"{name}-ns", namespace(NAMESPACE), self.child())
        repo = mirrored(LWS_IMAGE, image_registry)
        self.chart = k8s.helm.v4.Chart(
            name,
            chart=LWS_CHART,
            version=LWS_CHART_VERSION,
            namespace=NAMESPACE,
            # Chart v4 never runs Helm hooks; the LWS chart has none (derive/charts.py).
            values=hook_free(LWS_CHART, LWS_CHART_VERSION, {
                "image": {"manager": {"repository": repo, "tag": LWS_IMAGE_TAG, "pullPolicy": "IfNotPresent"}},
                **placement.chart_values(),
            }),
            opts=self.child(depends_on=[ns]),
        )
        self.register_outputs({})
