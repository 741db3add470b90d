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


def test_the_download_job_gets_the_configured_worker_count_and_the_egress_deadline():
    from render.model_cache import download_timeout_seconds
    from tests.checks.helpers import R1_7B
    from tests.conftest import render_raw, tke_config

    raw = tke_config(models=[R1_7B], modelCache={"downloadWorkers": 3, "bandwidthMbps": 1000})
    (job,) = [r.manifest for r in render_raw(raw).k8s_objects if r.manifest.get("kind") == "Job"
              and r.manifest["metadata"]["labels"].get("app.kubernetes.io/component") == "model-download"]
    env = {e["name"]: e.get("value") for e in job["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["DOWNLOAD_WORKERS"] == "3" and env["VERIFY_WORKERS"] == "4"
    # 1000 Mbit/s from the hub, but the default NAT gives 100: the deadline is the NAT's.
    assert job["spec"]["activeDeadlineSeconds"] == download_timeout_seconds(15.24, 100)
