"""Safe rollouts and voluntary disruptions for GPU servers.

Rollout: whether a rolling update may add a pod before removing one (a *surge*) depends on a free
GPU slot, which only the pool size can tell; the composition decides it (config/operations.py,
`surge_capacity`) and hands it to the Deployment renderer as a `Rollout`.

PodDisruptionBudgets: for servers that may run more than one replica (and the gateway), at most one
pod may be evicted at a time, so a node drain or the pool autoscaler's scale-down never takes the
whole model away. `maxUnavailable: 1` rather than `minAvailable: 1` (the reference guide's): with an
autoscaler at one replica, `minAvailable: 1` would block every drain of that node forever.
`unhealthyPodEvictionPolicy: AlwaysAllow` lets a drain evict a pod that is not ready anyway (a
crash-looping or still-loading server), which the default policy would let block the drain.

Grace period: the pods keep serving through a preStop sleep (render/engines/spec.py,
PRESTOP_SLEEP_SECONDS) until the Service and the gateway drop them, then get SIGTERM and drain
in-flight requests until `terminationGracePeriodSeconds`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from render.engines.spec import LWS_NAME_LABEL, EngineSpec, selector_labels
from render.meta import labels, metadata

UNHEALTHY_EVICTION_MIN_MINOR = 27
"""`unhealthyPodEvictionPolicy` is on by default (beta) from Kubernetes 1.27."""


@dataclass(frozen=True)
class Rollout:
    """How a model's workload may be replaced and scaled, decided from its pool and autoscaler."""

    surge: bool
    """A free GPU slot exists for one extra replica even with every model of the pool at its maximum."""
    min_replicas: int
    """Replicas the model never goes below (its autoscaler's minimum, or its fixed count)."""
    max_replicas: int | None = None
    """Replicas the model may run (its autoscaler's maximum, or its fixed count; None: `min_replicas`):
    two or more roll one pod at a time rather than `Recreate` them all."""
    autoscaled: bool = False
    """An autoscaler owns `replicas`: Pulumi must not reset it on the next update."""
    scale_to_zero: bool = False
    """The Service may have no endpoints: Pulumi must not wait for them."""


def pod_selector(spec: EngineSpec) -> dict[str, str]:
    """Every pod of the model: the Deployment's pods, or leaders and workers of every LWS group."""
    return selector_labels(spec) if spec.nodes == 1 else {LWS_NAME_LABEL: spec.name}


def pdb(name: str, namespace: str, selector: dict[str, str], k8s_minor: int,
        component: str = "disruption-budget") -> dict[str, Any]:
    body: dict[str, Any] = {"maxUnavailable": 1, "selector": {"matchLabels": dict(selector)}}
    if k8s_minor >= UNHEALTHY_EVICTION_MIN_MINOR:
        body["unhealthyPodEvictionPolicy"] = "AlwaysAllow"
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": metadata(name, namespace, labels(component, **{"app.kubernetes.io/name": name})),
        "spec": body,
    }


def model_pdb(spec: EngineSpec, k8s_minor: int) -> dict[str, Any]:
    """For a LeaderWorkerSet, one evicted pod restarts its whole group; the budget then counts the
    group's pods as unavailable until it is back, so a second group is never taken meanwhile."""
    return pdb(spec.name, spec.namespace, pod_selector(spec), k8s_minor)


def needs_pdb(max_replicas: int) -> bool:
    """A budget protects only what can survive an eviction: a second replica."""
    return max_replicas > 1
