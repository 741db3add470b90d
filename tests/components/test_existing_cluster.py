"""An existing cluster (components/existing_cluster.py): no cloud resource, and its kubeconfig kept secret."""

from __future__ import annotations

from preview.mocks import SECRET_MASK

from tests.conftest import existing_config, render_raw

from .helpers import K8S_PROVIDER


def test_existing_cluster_creates_no_cloud_resource():
    plan = render_raw(existing_config())
    assert not [r for r in plan.resources if r.type.startswith("tencentcloud:")]
    provider = plan.one(K8S_PROVIDER)
    assert provider.inputs["clusterIdentifier"] == "lab"
    assert provider.inputs["kubeconfig"].endswith("/.kube/config") and "~" not in provider.inputs["kubeconfig"]
    assert all(r.provider == provider.urn for r in plan.k8s_objects)


def test_existing_cluster_kubeconfig_from_secret_stays_secret():
    raw = existing_config()
    del raw["cluster"]["kubeconfigPath"]
    raw["cluster"]["kubeconfigSecret"] = "kubeconfig"
    raw["kubeconfig"] = "apiVersion: v1\nkind: Config\n"
    plan = render_raw(raw, secrets={"kubeconfig"})
    provider = plan.one(K8S_PROVIDER)
    assert provider.inputs["kubeconfig"] == SECRET_MASK
    assert provider.raw_inputs["kubeconfig"].startswith("apiVersion: v1")
    assert plan.outputs["kubeconfig"] == SECRET_MASK and "kubeconfig" in plan.secret_outputs
