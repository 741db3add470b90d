"""Cloud bring-up on TKE as a user relies on it: cloud storage starts with the cluster (not behind
Kubernetes objects), the plan's dependency model is the engine's, the nodes can reach the internet,
the node security group admits what TKE needs, and the summary states the assumptions."""

from __future__ import annotations

import pytest

from .conftest import SYSTEM_POOL, render_raw, tke_config

TURBO = {"kind": "cfs-turbo", "capacityGib": 20480, "sizeGi": 1000}
H20_POOL = {"kind": "attached", "name": "h20", "instanceIds": ["ins-a", "ins-b"], "keyId": "skey-1",
            "gpu": {"type": "H20", "count": 8, "rdma": True}}
R1 = {"name": "deepseek-r1", "servedName": "DeepSeek-R1", "engine": "sglang", "pool": "h20", "gpusPerNode": 8,
      "nodes": 2, "source": {"kind": "modelscope", "model": "deepseek-ai/DeepSeek-R1", "revision": "v1.0.0"},
      "settings": {"maxModelLen": 32768}}


@pytest.fixture(scope="module")
def turbo_plan():
    return render_raw(tke_config(nodePools=[SYSTEM_POOL, H20_POOL], storage=TURBO, models=[R1]))


def _expanded(plan, r):
    """What `r` waits for, a component standing for all its children (as the engine reads it)."""
    out, todo = set(), list(plan.dependencies(r))
    while todo:
        d = todo.pop()
        kids = [c.urn for c in plan.resources if c.parent == d]
        if kids:
            todo.extend(kids)
        else:
            out.add(d)
    return out


def _cloud(plan):
    return [r for r in plan.resources if r.custom and r.type.startswith("tencentcloud:")]


def test_cloud_resources_never_wait_for_kubernetes_objects(turbo_plan):
    by_urn = turbo_plan.by_urn
    for r in _cloud(turbo_plan):
        waits = [by_urn[d] for d in _expanded(turbo_plan, r)]
        k8s = [d.name for d in waits if d.type.startswith("kubernetes:")]
        # GPU pools wait for their models' downloads on purpose (gpuNodesAfterDownload).
        if r.name.startswith("gpu-pools-"):
            continue
        assert not k8s, f"{r.type} {r.name} waits for Kubernetes objects {k8s}"


def test_plan_dependencies_are_the_registered_ones(turbo_plan):
    """Children do not inherit a parent's depends_on in the engine; the plan must not pretend so."""
    for r in turbo_plan.resources:
        assert turbo_plan.dependencies(r) == {d for d in r.depends_on if d in turbo_plan.by_urn and d != r.urn}

