"""A router per model under the real engine against a real API server, scheduler and RBAC authorizer:
a three-replica vLLM model and an autoscaled one get their routers (Deployment, RBAC, Service, budget,
NetworkPolicies, ServiceMonitor accepted), the routers run on the CPU node, each may read pods in its
own namespace and nothing else, and the gateway's config sends each routed model to its router."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from e2e.engine import run
from render import litellm
from render import router as rt

from .conftest import Harness, engine_stack, local_cluster_config

STACK = "routing"
STACK_CONFIG = yaml.safe_load((Path(__file__).parent / "stacks" / "Pulumi.routing.yaml").read_text())["config"]
STORAGE_CLASSES = ["shared-rwx"]
NS = STACK_CONFIG["tke-llm:namespace"]
ROUTED = {"qwen3-8b": 3, "qwen3-8b-auto": 1}
"""Routed model -> the replicas it starts with (the autoscaled one at its minimum)."""

pytestmark = pytest.mark.real_engine


@pytest.fixture(scope="module")
def stack(local: Harness):
    return engine_stack(local, STACK, local_cluster_config(STACK_CONFIG, local.cluster.kubeconfig, "local"))


@pytest.fixture(scope="module")
def up(local: Harness, stack):
    result, steps = run(stack, "up")
    assert result.summary.result == "succeeded", steps.diagnostics
    return result


def labels(obj: dict) -> dict:
    return obj["metadata"].get("labels", {})


def test_routers_come_up_on_the_cpu_node(local: Harness, up) -> None:
    k = local.kube
    gpu_nodes = {n["metadata"]["name"] for n in k.list("v1", "Node", label_selector="tke-llm.io/pool=l20")}
    assert len(gpu_nodes) >= 4
    pods = k.list("v1", "Pod", NS)
    for model, replicas in ROUTED.items():
        d = k.get("apps/v1", "Deployment", rt.router_name(model), NS)
        assert d is not None and d["status"].get("availableReplicas") == 1, (model, d and d["status"])
        routers = [p for p in pods if labels(p).get("app.kubernetes.io/name") == rt.router_name(model)]
        assert len(routers) == 1
        (pod,) = routers
        assert pod["status"]["phase"] == "Running"
        assert pod["spec"]["nodeName"] not in gpu_nodes, pod["spec"]["nodeName"]
        assert "nvidia.com/gpu" not in pod["spec"]["containers"][0]["resources"].get("limits", {})
        assert pod["spec"]["serviceAccountName"] == rt.router_name(model)
        # The replicas it will discover: the model's serving pods, on the GPU pool.
        servers = [p for p in pods if labels(p).get("app.kubernetes.io/name") == model
                   and labels(p).get("app.kubernetes.io/component") == "model-server"]
        assert len(servers) == replicas and all(p["spec"]["nodeName"] in gpu_nodes for p in servers)
        args = pod["spec"]["containers"][0]["args"]
        selector = args[args.index("--selector") + 1:args.index("--service-discovery-namespace")]
        assert {s.partition("=")[0]: s.partition("=")[2] for s in selector}.items() <= labels(servers[0]).items()
    # The single-replica model has none.
    assert k.get("apps/v1", "Deployment", rt.router_name("qwen3-8b-one"), NS) is None


def test_router_objects_were_accepted(local: Harness, up) -> None:
    k = local.kube
    for model in ROUTED:
        name = rt.router_name(model)
        for api, kind in (("v1", "ServiceAccount"), ("rbac.authorization.k8s.io/v1", "Role"),
                          ("rbac.authorization.k8s.io/v1", "RoleBinding"), ("v1", "Service"),
                          ("policy/v1", "PodDisruptionBudget"), ("monitoring.coreos.com/v1", "ServiceMonitor")):
            assert k.get(api, kind, name, NS) is not None, (kind, name)
        for policy in (f"{name}-ingress", f"{name}-scrape"):
            assert k.get("networking.k8s.io/v1", "NetworkPolicy", policy, NS) is not None, policy
        svc = k.get("v1", "Service", name, NS)
        assert {p["name"]: p["port"] for p in svc["spec"]["ports"]} == {"http": rt.PORT, "metrics": rt.METRICS_PORT}
        # The engines admit their router only.
        engine = k.get("networking.k8s.io/v1", "NetworkPolicy", f"{model}-ingress", NS)
        assert engine["spec"]["ingress"][0]["from"] == [
            {"podSelector": {"matchLabels": {"app.kubernetes.io/name": name, "app.kubernetes.io/component": "router"}}}]


def can(local: Harness, user: str, verb: str, resource: str, namespace: str) -> bool:
    """The API server's own RBAC answer for a ServiceAccount (a SubjectAccessReview)."""
    review = local.kube.create({
        "apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "metadata": {},
        "spec": {"user": user, "groups": ["system:serviceaccounts", f"system:serviceaccounts:{NS}"],
                 "resourceAttributes": {"namespace": namespace, "verb": verb, "resource": resource}},
    })
    return bool(review["status"].get("allowed"))


def test_router_may_read_pods_in_its_namespace_and_nothing_else(local: Harness, up) -> None:
    user = f"system:serviceaccount:{NS}:{rt.router_name('qwen3-8b')}"
    for verb in ("get", "list", "watch"):
        assert can(local, user, verb, "pods", NS)
    assert not can(local, user, "list", "pods", "default")
    assert not can(local, user, "get", "secrets", NS)
    assert not can(local, user, "delete", "pods", NS)


def test_gateway_points_each_routed_model_at_its_router(local: Harness, up) -> None:
    k = local.kube
    pod = k.get("apps/v1", "Deployment", litellm.NAME, NS)["spec"]["template"]["spec"]
    (name,) = [v["configMap"]["name"] for v in pod["volumes"] if "configMap" in v]
    config = yaml.safe_load(k.get("v1", "ConfigMap", name, NS)["data"][litellm.CONFIG_FILE])
    bases = {e["model_name"]: e["litellm_params"]["api_base"] for e in config["model_list"]}
    assert bases == {"Qwen3-8B": f"http://qwen3-8b-router.{NS}.svc:{rt.PORT}/v1",
                     "Qwen3-8B-Auto": f"http://qwen3-8b-auto-router.{NS}.svc:{rt.PORT}/v1",
                     "Qwen3-8B-One": f"http://qwen3-8b-one-api.{NS}.svc:8000/v1"}


def test_no_perpetual_diff(local: Harness, stack, up) -> None:
    _, steps = run(stack, "preview", expect_no_changes=True)
    assert set(steps.count()) <= {"same"}, steps.changed()
