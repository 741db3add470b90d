"""Where the stack's CPU workloads run: the download Job, the gateway and its database, OpenWebUI and
the add-on charts (LWS, KEDA, Prometheus Adapter, kube-prometheus-stack).

On TKE the CPU system pool selects them. An existing cluster has no system pool: there they get a
*preferred* node affinity for every node outside the GPU pools (a cluster of GPU nodes only must still
run its gateway and downloads). See docs/placement.md.
"""

from __future__ import annotations

from typing import Any

from config import StackConfig
from derive.serving import tolerations as pool_tolerations
from render.placement import PodPlacement

OFF_GPU_WEIGHT = 100
"""Weight of each preferred term (1-100, the API's range); every GPU pool counts the same."""


def off_pool_terms(selector: dict[str, str]) -> list[dict[str, Any]]:
    """Preferred terms matched by exactly the nodes that lack at least one of `selector`'s labels.

    One term per label, label i requiring labels 1..i-1 to match and label i not to: a node outside the
    pool matches exactly one term and scores the weight once, a node of the pool matches none (a plain
    `NotIn` per label would score a node by how many labels it lacks). `NotIn` also matches nodes
    without the key. Reasoning and source: docs/placement.md."""
    items = sorted(selector.items())
    terms = []
    for i, (key, value) in enumerate(items):
        exprs = [{"key": k, "operator": "In", "values": [v]} for k, v in items[:i]]
        exprs.append({"key": key, "operator": "NotIn", "values": [value]})
        terms.append({"weight": OFF_GPU_WEIGHT, "preference": {"matchExpressions": exprs}})
    return terms


def off_gpu_affinity(cfg: StackConfig) -> dict[str, Any]:
    """A node outside every GPU pool scores the most, a node in k of the pools scores k weights less.
    Empty when the stack describes no GPU pool (nothing to avoid)."""
    terms: list[dict[str, Any]] = []
    for pool in cfg.node_pools:
        if pool.is_gpu:
            terms += off_pool_terms(pool.node_labels)  # not deduplicated: each pool counts once
    if not terms:
        return {}
    return {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": terms}}


def cpu_placement(cfg: StackConfig) -> PodPlacement:
    """The system pool's labels and taints when the stack has one; otherwise the off-GPU affinity. With
    the stack's `imagePullSecrets`, which every CPU pod pulls its (mirrored) image with."""
    system = cfg.system_pool
    secrets = tuple(cfg.image_pull_secrets)
    if system is not None:
        return PodPlacement(node_selector=dict(system.node_labels), tolerations=tuple(pool_tolerations(system)),
                            image_pull_secrets=secrets)
    return PodPlacement(affinity=off_gpu_affinity(cfg), image_pull_secrets=secrets)
