"""The workloads around the engine pod (render/engines/workloads.py): rollout strategy, the Deployment /
LeaderWorkerSet / Service shapes, and schema validation of everything rendered."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from render.engines import Placement, deployment, leaderworkerset, manifests, service, workload
from render.engines.workloads import engine_process, strategy

from .helpers import ALL_SPECS, GPU_TOLERATION, make_spec, pod_templates, r1

K8S_VERSION = "1.30.0"
LWS_CRD = Path(__file__).resolve().parents[4] / "shared" / "crds" / "leaderworkerset.x-k8s.io_leaderworkersets.yaml"
if not LWS_CRD.exists():  # CI clones main with shared/ beside it
    LWS_CRD = Path("/work/shared/crds/leaderworkerset.x-k8s.io_leaderworkersets.yaml")


# ---------------------------------------------------------------------------------------------- workloads


SURGE = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
ONE_AT_A_TIME = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}


@pytest.mark.parametrize(
    "gpus, replicas, expected",
    [
        (1, 2, SURGE),
        (1, 1, SURGE),
        # No pool knowledge: a spare multi-GPU slot is assumed absent. With two replicas one keeps
        # serving while the other is replaced; with one, Recreate is the only rollout that completes.
        (2, 2, ONE_AT_A_TIME),
        (8, 1, {"type": "Recreate"}),
    ],
)
def test_without_pool_knowledge_the_gpu_count_decides(gpus: int, replicas: int, expected: dict[str, Any]) -> None:
    spec = make_spec(gpus_per_node=gpus, replicas=replicas)
    assert strategy(spec) == expected
    assert deployment(spec)["spec"]["strategy"] == expected


@pytest.mark.parametrize(
    "surge, max_replicas, expected",
    [(True, 1, SURGE), (False, 2, ONE_AT_A_TIME), (False, 1, {"type": "Recreate"}), (False, 0, {"type": "Recreate"})],
)
def test_pool_capacity_decides_surge_or_recreate(surge: bool, max_replicas: int, expected: dict[str, Any]) -> None:
    """The composition knows whether the pool has a spare GPU slot at every model's maximum."""
    spec = make_spec(gpus_per_node=8, replicas=2)
    assert deployment(spec, surge_capacity=surge, max_replicas=max_replicas)["spec"]["strategy"] == expected


def test_deployment_shape() -> None:
    spec = make_spec()
    dep = deployment(spec)
    assert dep["metadata"]["name"] == "qwen3-14b" and dep["metadata"]["namespace"] == "llm"
    assert dep["spec"]["replicas"] == 2
    assert dep["spec"]["progressDeadlineSeconds"] == spec.startup_seconds + 600
    selector = dep["spec"]["selector"]["matchLabels"]
    assert selector == {"app.kubernetes.io/name": "qwen3-14b", "app.kubernetes.io/component": "model-server"}
    pod_labels = dep["spec"]["template"]["metadata"]["labels"]
    assert selector.items() <= pod_labels.items()
    assert pod_labels["tke-llm/model"] == "qwen3-14b" and pod_labels["app.kubernetes.io/part-of"] == "tke-llm"
    with pytest.raises(ValueError, match="LeaderWorkerSet"):
        deployment(r1())
    with pytest.raises(ValueError, match="Deployment"):
        leaderworkerset(make_spec())


def test_leaderworkerset_shape() -> None:
    spec = r1("sglang", replicas=3)
    lws = leaderworkerset(spec)
    assert lws["apiVersion"] == "leaderworkerset.x-k8s.io/v1" and lws["kind"] == "LeaderWorkerSet"
    s = lws["spec"]
    assert s["replicas"] == 3
    assert s["startupPolicy"] == "LeaderCreated"
    assert s["rolloutStrategy"] == {
        "type": "RollingUpdate", "rollingUpdateConfiguration": {"maxUnavailable": 1, "maxSurge": 0}
    }  # fmt: skip
    lwt = s["leaderWorkerTemplate"]
    assert lwt["size"] == 2 and lwt["restartPolicy"] == "RecreateGroupOnPodRestart"
    assert lwt["leaderTemplate"]["metadata"]["labels"]["role"] == "leader"
    assert lwt["workerTemplate"]["metadata"]["labels"]["role"] == "worker"
    assert workload(spec) == lws


@pytest.mark.parametrize("engine", ["vllm", "sglang"])
def test_rdma_uses_host_network_with_cluster_dns_on_leader_and_worker(engine: str) -> None:
    leader, worker = pod_templates(leaderworkerset(r1(engine)))
    for tpl in (leader, worker):
        assert tpl["spec"]["hostNetwork"] is True
        assert tpl["spec"]["dnsPolicy"] == "ClusterFirstWithHostNet"
    no_rdma = r1(engine, placement=Placement({"p": "gpu"}, [GPU_TOLERATION]))
    for tpl in pod_templates(leaderworkerset(no_rdma)):
        assert "hostNetwork" not in tpl["spec"] and "dnsPolicy" not in tpl["spec"]
    # One node needs no RDMA: a single-node server is never put on the host network.
    with pytest.raises(ValueError, match="multi-node"):
        make_spec(engine=engine, gpus_per_node=8, placement=Placement({}, [], host_network=True))


def test_service_selects_deployment_pods_or_every_group_leader() -> None:
    spec = make_spec()
    svc = service(spec)
    assert svc["metadata"]["name"] == "qwen3-14b-api"
    assert svc["metadata"]["labels"]["app.kubernetes.io/name"] == "qwen3-14b"
    assert svc["spec"]["type"] == "ClusterIP"
    assert svc["spec"]["ports"] == [{"name": "http", "port": 8000, "targetPort": "http", "protocol": "TCP"}]
    assert svc["spec"]["selector"] == deployment(spec)["spec"]["selector"]["matchLabels"]
    lws_svc = service(r1())
    assert lws_svc["spec"]["selector"] == {"leaderworkerset.sigs.k8s.io/name": "deepseek-r1", "role": "leader"}
    assert lws_svc["spec"]["ports"][0]["port"] == 30000
    assert lws_svc["metadata"]["name"] != leaderworkerset(r1())["metadata"]["name"]
    leader, worker = pod_templates(leaderworkerset(r1()))
    # LWS adds leaderworkerset.sigs.k8s.io/name itself; `role` is what separates leaders from workers.
    assert leader["metadata"]["labels"]["role"] == "leader" != worker["metadata"]["labels"]["role"]
    assert [m["kind"] for m in manifests(r1())] == ["LeaderWorkerSet", "Service"]
    assert [m["kind"] for m in manifests(make_spec())] == ["Deployment", "Service"]


def test_roles_must_fit_the_topology() -> None:
    with pytest.raises(ValueError):
        engine_process(make_spec(), "leader")
    with pytest.raises(ValueError):
        engine_process(r1(), "server")


# ---------------------------------------------------------------------------------------------- schemas


@pytest.mark.parametrize("key", ALL_SPECS)
def test_builtin_objects_validate_strictly(key: str) -> None:
    for obj in manifests(ALL_SPECS[key]):
        if obj["kind"] == "LeaderWorkerSet":
            # The pod templates inside are core PodTemplateSpecs: validate them as such too.
            for i, tpl in enumerate(pod_templates(obj)):
                pt = {"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": f"t{i}"}, "template": tpl}
                kubernetes_validate.validate(pt, K8S_VERSION, strict=True)
            continue
        kubernetes_validate.validate(obj, K8S_VERSION, strict=True)


def _crd_to_jsonschema(node: Any) -> Any:
    """OpenAPI v3 (structural CRD schema) -> JSON Schema, strict about unknown fields."""
    if isinstance(node, list):
        return [_crd_to_jsonschema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _crd_to_jsonschema(v) for k, v in node.items() if not k.startswith("x-kubernetes") and k != "nullable"}
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out.pop("anyOf", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    if (
        node.get("type") == "object"
        and "properties" in node
        and "additionalProperties" not in node
        and not node.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


@pytest.fixture(scope="module")
def lws_schema() -> dict[str, Any]:
    crd = yaml.safe_load(LWS_CRD.read_text())
    version = next(v for v in crd["spec"]["versions"] if v["name"] == "v1" and v["served"])
    schema = _crd_to_jsonschema(version["schema"]["openAPIV3Schema"])
    schema["properties"]["metadata"] = {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "maxLength": 253, "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"},
            "namespace": {"type": "string"},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
        },
        "additionalProperties": False,
    }
    schema["required"] = ["apiVersion", "kind", "metadata", "spec"]
    return schema


@pytest.mark.parametrize("key", [k for k, s in ALL_SPECS.items() if s.nodes > 1])
def test_leaderworkerset_matches_the_crd_schema(key: str, lws_schema: dict[str, Any]) -> None:
    jsonschema.validate(leaderworkerset(ALL_SPECS[key]), lws_schema)


def test_crd_schema_check_can_fail(lws_schema: dict[str, Any]) -> None:
    lws = leaderworkerset(r1())
    broken = copy.deepcopy(lws)
    broken["spec"]["leaderWorkerTemplate"]["restartPolicy"] = "RecreateGroupOnRestart"  # not in the enum
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, lws_schema)
    typo = copy.deepcopy(lws)
    typo["spec"]["leaderWorkerTemplate"]["workerTemplate"]["spec"]["hostNetwrk"] = True
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(typo, lws_schema)
    size = copy.deepcopy(lws)
    size["spec"]["leaderWorkerTemplate"]["size"] = "2"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(size, lws_schema)


def test_an_awaited_workload_carries_what_the_await_needs() -> None:
    """The caller passes how long Pulumi waits: a Deployment's progress deadline never ends first, a
    LeaderWorkerSet with groups gets the waitFor annotation; nothing changes without an await."""
    spec = make_spec()
    own = spec.startup_seconds + 600
    assert deployment(spec, await_seconds=own - 1)["spec"]["progressDeadlineSeconds"] == own
    assert deployment(spec, await_seconds=own + 900)["spec"]["progressDeadlineSeconds"] == own + 900
    assert "annotations" not in leaderworkerset(r1())["metadata"]
    (lws, _) = manifests(r1(), await_seconds=7200)
    assert lws["metadata"]["annotations"] == {"pulumi.com/waitFor": "condition=Available"}
    assert "annotations" not in leaderworkerset(r1(replicas=0), await_seconds=7200)["metadata"]
