"""Where a pod runs: its node selector, tolerations and node affinity, written the same way into every
pod spec the renderers build and into the values of the add-on charts."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class PodPlacement:
    node_selector: dict[str, str] = field(default_factory=dict)
    tolerations: tuple[dict[str, Any], ...] = ()
    affinity: dict[str, Any] = field(default_factory=dict)
    """Empty, or e.g. `{"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [...]}}`."""
    image_pull_secrets: tuple[str, ...] = ()
    """What the node's kubelet pulls the pod's images with (a private `imageRegistry` mirror): set alike
    on every pod the stack renders, so it rides with the placement every renderer already applies."""

    def apply(self, pod: dict[str, Any]) -> dict[str, Any]:
        """Add `nodeSelector`, `tolerations`, `affinity` and `imagePullSecrets` (each only when set, in
        that order) to a pod spec, as copies; returns the same pod spec."""
        if self.image_pull_secrets:
            pod["imagePullSecrets"] = [{"name": n} for n in self.image_pull_secrets]
        if self.node_selector:
            pod["nodeSelector"] = dict(self.node_selector)
        if self.tolerations:
            pod["tolerations"] = [dict(t) for t in self.tolerations]
        if self.affinity:
            pod["affinity"] = copy.deepcopy(self.affinity)
        return pod

    def chart_values(self) -> dict[str, Any]:
        """The `nodeSelector` / `tolerations` / `affinity` values of a chart's pod: top-level in
        kubernetes-sigs/lws charts/lws/values.yaml, kedacore/charts keda/values.yaml and
        prometheus-community/helm-charts charts/prometheus-adapter/values.yaml; per component in
        kube-prometheus-stack (derive/operations.py). `nodeSelector` is always there (empty when
        unset). A fresh copy per call: the plan's YAML then repeats the values instead of writing
        anchors for a shared object. Pull secrets are not among them: each chart has its own key."""
        return PodPlacement(self.node_selector, self.tolerations, self.affinity).apply({"nodeSelector": {}})
