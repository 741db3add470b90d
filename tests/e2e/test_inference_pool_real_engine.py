"""A model behind an InferencePool under the real engine against a real API server (kwok nodes):
the API server accepts the InferencePool and the HTTPRoute with its InferencePool backend (the shared
CRDs, ../shared/crds, with their CEL rules), the endpoint picker runs on the CPU node with RBAC for
pods and inferencepools in its namespace only, no router exists for the model, and the gateway's
config sends it to the Gateway under its prefix while the other model keeps its router."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from e2e.engine import run
from render import inference_pool as ip
from render import litellm
from render import router as rt

from .conftest import Harness, engine_stack, local_cluster_config

STACK = "pooled"
STACK_CONFIG = yaml.safe_load((Path(__file__).parent / "stacks" / "Pulumi.pooled.yaml").read_text())["config"]
STORAGE_CLASSES = ["shared-rwx"]
NS = STACK_CONFIG["tke-llm:namespace"]
GW_URL = "http://envoy-gw.envoy-gateway-system.svc.cluster.local"

pytestmark = pytest.mark.real_engine


@pytest.fixture(scope="module")
def stack(local: Harness):
    return engine_stack(local, STACK, local_cluster_config(STACK_CONFIG, local.cluster.kubeconfig, "local"))


@pytest.fixture(scope="module")
def up(local: Harness, stack):
    result, steps = run(stack, "up")
    assert result.summary.result == "succeeded", steps.diagnostics
    return result


def test_the_api_server_accepted_the_pool_and_its_route(local: Harness, up) -> None:
    k = local.kube
    pool = k.get(ip.API_VERSION, "InferencePool", "qwen3-8b-pool", NS)
    assert pool is not None
    assert pool["spec"]["targetPorts"] == [{"number": 8000}]
    # The CRD's defaults were applied by the API server: group "" and failureMode FailClose.
    assert pool["spec"]["endpointPickerRef"] == {"group": "", "kind": "Service", "name": "qwen3-8b-epp",
                                                 "port": {"number": 9002}, "failureMode": "FailClose"}
    servers = [p for p in k.list("v1", "Pod", NS) if all(
        p["metadata"].get("labels", {}).get(key) == v for key, v in pool["spec"]["selector"]["matchLabels"].items())]
    assert len(servers) == 2 and all(p["metadata"]["labels"]["app.kubernetes.io/component"] == "model-server"
                                     for p in servers)
    route = k.get("gateway.networking.k8s.io/v1", "HTTPRoute", "qwen3-8b-pool", NS)
    assert route is not None
    (rule,) = route["spec"]["rules"]
    assert rule["backendRefs"][0]["kind"] == "InferencePool" and rule["backendRefs"][0]["name"] == "qwen3-8b-pool"
    assert route["spec"]["hostnames"] == ["envoy-gw.envoy-gateway-system.svc.cluster.local"]


def test_the_picker_runs_on_the_cpu_node_and_no_router_exists_for_the_model(local: Harness, up) -> None:
    k = local.kube
    gpu_nodes = {n["metadata"]["name"] for n in k.list("v1", "Node", label_selector="tke-llm.io/pool=l20")}
    d = k.get("apps/v1", "Deployment", "qwen3-8b-epp", NS)
    assert d is not None and d["status"].get("availableReplicas") == 1, d and d["status"]
    (pod,) = [p for p in k.list("v1", "Pod", NS) if p["metadata"].get("labels", {}).get(ip.NAME_LABEL) == "qwen3-8b-epp"]
    assert pod["spec"]["nodeName"] not in gpu_nodes
    assert k.get("v1", "Service", "qwen3-8b-epp", NS) is not None
    assert k.get("apps/v1", "Deployment", rt.router_name("qwen3-8b"), NS) is None
    assert k.get("apps/v1", "Deployment", rt.router_name("qwen3-8b-routed"), NS) is not None


def can(local: Harness, user: str, verb: str, resource: str, namespace: str, group: str = "") -> bool:
    review = local.kube.create({
        "apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "metadata": {},
        "spec": {"user": user, "groups": ["system:serviceaccounts", f"system:serviceaccounts:{NS}"],
                 "resourceAttributes": {"namespace": namespace, "verb": verb, "resource": resource, "group": group}},
    })
    return bool(review["status"].get("allowed"))


def test_the_picker_may_read_pods_and_inferencepools_in_its_namespace_only(local: Harness, up) -> None:
    user = f"system:serviceaccount:{NS}:qwen3-8b-epp"
    for verb in ("get", "list", "watch"):
        assert can(local, user, verb, "pods", NS)
        assert can(local, user, verb, "inferencepools", NS, ip.GROUP)
    assert not can(local, user, "list", "pods", "default")
    assert not can(local, user, "update", "inferencepools", NS, ip.GROUP)
    assert not can(local, user, "get", "secrets", NS)


def test_gateway_sends_the_pooled_model_to_the_gateway_and_the_other_to_its_router(local: Harness, up) -> None:
    k = local.kube
    pod = k.get("apps/v1", "Deployment", litellm.NAME, NS)["spec"]["template"]["spec"]
    (name,) = [v["configMap"]["name"] for v in pod["volumes"] if "configMap" in v]
    config = yaml.safe_load(k.get("v1", "ConfigMap", name, NS)["data"][litellm.CONFIG_FILE])
    bases = {e["model_name"]: e["litellm_params"]["api_base"] for e in config["model_list"]}
    assert bases == {"Qwen3-8B": f"{GW_URL}/tke-llm/qwen3-8b/v1",
                     "Qwen3-8B-Routed": f"http://qwen3-8b-routed-router.{NS}.svc:{rt.PORT}/v1"}


def test_no_perpetual_diff(local: Harness, stack, up) -> None:
    _, steps = run(stack, "preview", expect_no_changes=True)
    assert set(steps.count()) <= {"same"}, steps.changed()
