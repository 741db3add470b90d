"""Safe rollouts and voluntary disruptions for GPU servers.

A surge needs a free GPU slot, which only the pool size tells (the composition decides; a `Rollout`).
PodDisruptionBudgets let one pod go at a time (`maxUnavailable: 1`, not `minAvailable: 1`, which would
block every drain at one replica; unhealthy pods always evictable). Pods drain through a preStop sleep
and the grace period. Why: docs/operations.md, "Rollouts and voluntary disruptions".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from render.awaits import WAIT_FOR
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


ALL_READY = "condition=DisruptionAllowed"
"""With `maxUnavailable: 1`, the disruption controller allows a disruption only while every pod it
expects (the scale of the pods' controllers: each group's leader and worker StatefulSets) is ready
(kubernetes v1.30 pkg/controller/disruption/disruption.go: `getExpectedPodCount`, `countHealthyPods`,
`updatePdbStatus`), so Pulumi awaiting this condition waits for every pod of every group."""


def pdb(name: str, namespace: str, selector: dict[str, str], k8s_minor: int,
        component: str = "disruption-budget", awaited: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {"maxUnavailable": 1, "selector": {"matchLabels": dict(selector)}}
    if k8s_minor >= UNHEALTHY_EVICTION_MIN_MINOR:
        body["unhealthyPodEvictionPolicy"] = "AlwaysAllow"
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": metadata(name, namespace, labels(component, **{"app.kubernetes.io/name": name}),
                             {WAIT_FOR: ALL_READY} if awaited else None),
        "spec": body,
    }


def model_pdb(spec: EngineSpec, k8s_minor: int, await_all_ready: bool = False) -> dict[str, Any]:
    """For a LeaderWorkerSet, one evicted pod restarts its whole group; the budget then counts the
    group's pods as unavailable until it is back, so a second group is never taken meanwhile.
    `await_all_ready`: Pulumi waits until every pod it selects is ready (ALL_READY)."""
    return pdb(spec.name, spec.namespace, pod_selector(spec), k8s_minor, awaited=await_all_ready)


def needs_pdb(max_replicas: int) -> bool:
    """A budget protects only what can survive an eviction: a second replica."""
    return max_replicas > 1
