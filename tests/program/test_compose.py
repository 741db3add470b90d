"""The composition (program/compose.py) as the cloud layer registers it: pinned type tokens, unique names,
every Kubernetes object on the explicit provider and deleted with the cluster."""

from __future__ import annotations

from collections import Counter
from tests.components.helpers import CLUSTER, K8S_PROVIDER


def test_type_tokens_are_pinned(dev_like_plan):
    """Tokens are part of every child URN: renaming one silently replaces resources in live stacks."""
    components = {r.type for r in dev_like_plan.resources if not r.custom}
    assert components == {
        "tke-llm:cloud:Network", "tke-llm:cloud:TkeCluster", "tke-llm:cloud:NodePools",
        "tke-llm:cloud:ModelStorage", "tke-llm:cluster:Namespace",
    }
    assert {r.name for r in dev_like_plan.resources if r.type == "tke-llm:cloud:NodePools"} == {"tke-pools", "gpu-pools"}


def test_no_duplicate_resource_names(dev_like_plan):
    """Mocks silently overwrite duplicate URNs; the real engine fails. Catch it here."""
    dupes = [u for u, n in Counter(r.urn for r in dev_like_plan.resources).items() if n > 1]
    assert not dupes


def test_every_kubernetes_object_uses_the_explicit_provider(dev_like_plan):
    (provider,) = dev_like_plan.by_type(K8S_PROVIDER)
    objects = dev_like_plan.k8s_objects
    assert objects and all(r.provider == provider.urn for r in objects)


def test_every_kubernetes_object_is_deleted_with_the_cluster(dev_like_plan):
    cluster = dev_like_plan.one(CLUSTER)
    assert all(r.options["deletedWith"] == cluster.urn for r in dev_like_plan.k8s_objects)
