"""Where the CPU workloads land: on TKE the system pool selects them; on an existing cluster, which has
no system pool, they prefer every node outside the GPU pools, so the scheduler keeps GPU nodes for the
model servers (the download Job, the gateway and its database, the UI, the add-on charts)."""

from __future__ import annotations

import pytest

from render import litellm, webui
from checks import checked
from preview.stackfile import read
from derive.placement import off_gpu_affinity, off_pool_terms

from tests.conftest import SYSTEM_POOL, existing_config, render_raw, tke_config

CHART = "kubernetes:helm.sh/v4:Chart"
OLLAMA = {"name": "r1-7b", "servedName": "deepseek-r1:7b", "engine": "ollama", "pool": "gpu",
          "source": {"kind": "ollama", "tag": "deepseek-r1:7b"}}
MULTI = {"name": "r1", "servedName": "DeepSeek-R1", "engine": "sglang", "pool": "gpu", "gpusPerNode": 1,
         "nodes": 2, "source": {"kind": "modelscope", "model": "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B",
                                "revision": "v1.0.0"}, "settings": {"maxModelLen": 4096}}
BYO_AVOID_GPU = {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
    {"weight": 100, "preference": {"matchExpressions": [
        {"key": "nvidia.com/gpu.present", "operator": "NotIn", "values": ["true"]}]}}]}}


def pod_of(manifest):
    return manifest["spec"]["template"]["spec"]


def cpu_pods(plan):
    """(kind, name) -> pod spec of every workload but the model servers."""
    out = {}
    for r in plan.k8s_objects:
        m = r.manifest
        if m["kind"] in ("Deployment", "StatefulSet", "Job", "DaemonSet") and \
                m["metadata"]["labels"].get("app.kubernetes.io/component") != "model-server":
            out[(m["kind"], m["metadata"]["name"])] = pod_of(m)
    return out


def requests_gpu(pod) -> bool:
    return any("nvidia.com/gpu" in {**c.get("resources", {}).get("requests", {}), **c.get("resources", {}).get("limits", {})}
               for c in pod["containers"])


def score(terms, node_labels: dict[str, str]) -> int:
    """The scheduler's NodeAffinity score before normalisation: the sum of the weights of the preferred
    terms the node matches (In: the label is present with a listed value; NotIn: absent or unlisted)."""
    def matches(e):
        present = e["key"] in node_labels and node_labels[e["key"]] in e["values"]
        return present if e["operator"] == "In" else not present
    return sum(t["weight"] for t in terms if all(matches(e) for e in t["preference"]["matchExpressions"]))


@pytest.fixture(scope="module")
def byo_plan():
    raw, secrets = read("byo")
    return render_raw(raw, "byo", secrets)


def test_byo_download_gateway_and_ui_prefer_nodes_outside_the_gpu_pool(byo_plan):
    pods = cpu_pods(byo_plan)
    kinds = {k for k, _ in pods}
    assert ("Deployment", litellm.NAME) in pods and ("Deployment", webui.NAME) in pods and "Job" in kinds
    for key, pod in pods.items():
        assert pod.get("affinity") == BYO_AVOID_GPU, key
        assert "nodeSelector" not in pod, f"{key}: no system pool to select on an existing cluster"
        assert not requests_gpu(pod), key
    server = pod_of(byo_plan.manifest("Deployment", "r1-7b"))
    assert server["nodeSelector"] == {"nvidia.com/gpu.present": "true"} and "affinity" not in server


def test_tke_cpu_pods_keep_the_system_pool_selector_and_no_affinity():
    system = checked(tke_config()).system_pool.node_labels
    pods = cpu_pods(render_raw(tke_config(models=[{**OLLAMA}], gateway={"virtualKeys": {"enabled": True}})))
    assert {("Deployment", litellm.NAME), ("Deployment", webui.NAME), ("StatefulSet", litellm.DB_NAME)} <= set(pods)
    assert sum(k == "Job" for k, _ in pods) == 3, "the download, the schema migration and the smoke test"
    for key, pod in pods.items():
        assert pod["nodeSelector"] == system, key
        assert "affinity" not in pod, key


def test_virtual_key_database_and_migration_avoid_the_gpu_nodes_too():
    plan = render_raw(existing_config(models=[{**OLLAMA}], gateway={"virtualKeys": {"enabled": True}}))
    pods = cpu_pods(plan)
    assert ("StatefulSet", litellm.DB_NAME) in pods
    assert any(k == "Job" and n.startswith(f"{litellm.NAME}-migrate-") for k, n in pods)
    assert any(k == "Job" and n.startswith("smoke-r1-7b-") for k, n in pods), "the smoke test too"
    avoid = off_gpu_affinity(checked(existing_config(models=[{**OLLAMA}])))
    for key, pod in pods.items():
        assert pod.get("affinity") == avoid, key


def test_a_tainted_system_pool_is_tolerated_by_the_download_and_the_database():
    tainted = {**SYSTEM_POOL, "taints": [{"key": "dedicated", "value": "system", "effect": "NoSchedule"}]}
    raw = tke_config(nodePools=[tainted, tke_config()["nodePools"][1]],
                     models=[{**OLLAMA}], gateway={"virtualKeys": {"enabled": True}})
    pods = cpu_pods(render_raw(raw))
    want = [{"key": "dedicated", "effect": "NoSchedule", "operator": "Equal", "value": "system"}]
    for key, pod in pods.items():
        assert pod.get("tolerations") == want, key


def test_charts_the_stack_installs_on_an_existing_cluster_avoid_the_gpu_nodes():
    raw = existing_config(models=[{**MULTI}], autoscalers={"installKeda": True})
    raw["nodePools"][0]["maxSize"] = 2
    plan = render_raw(raw)
    avoid = off_gpu_affinity(checked(raw))
    assert avoid
    for name in ("lws", "keda"):
        values = plan.one(CHART, name).raw_inputs["values"]
        assert values["affinity"] == avoid and values["nodeSelector"] == {}, name


def test_tke_charts_select_the_system_pool_without_affinity():
    plan = render_raw(tke_config(nodePools=[SYSTEM_POOL, {**tke_config()["nodePools"][1], "maxSize": 2}],
                                 models=[{**MULTI}], autoscalers={"installKeda": True}))
    system = checked(tke_config()).system_pool.node_labels
    for name in ("lws", "keda"):
        values = plan.one(CHART, name).raw_inputs["values"]
        assert values["nodeSelector"] == system and "affinity" not in values, name


def test_a_node_outside_a_multi_label_pool_scores_exactly_once():
    terms = off_pool_terms({"gpu": "true", "tier": "serving", "zone": "a"})
    assert len(terms) == 3
    assert score(terms, {"gpu": "true", "tier": "serving", "zone": "a", "x": "y"}) == 0, "a pool node"
    for outside in ({}, {"gpu": "true"}, {"gpu": "true", "tier": "serving"}, {"tier": "serving", "zone": "a"},
                    {"gpu": "false", "tier": "serving", "zone": "a"}, {"gpu": "true", "tier": "serving", "zone": "b"}):
        assert score(terms, outside) == 100, outside


def test_a_cpu_node_sharing_labels_with_one_pool_still_outranks_another_pools_gpu_node():
    raw = existing_config(nodePools=[
        {"kind": "existing", "name": "a", "nodeSelector": {"gpu": "true", "role": "worker"}, "gpu": {"type": "T4", "count": 1}},
        {"kind": "existing", "name": "b", "nodeSelector": {"accelerator": "l20"}, "gpu": {"type": "L20", "count": 1}},
    ], models=[{**OLLAMA, "pool": "a"}])
    terms = off_gpu_affinity(checked(raw))["nodeAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
    cpu = score(terms, {"role": "worker"})
    assert cpu > score(terms, {"accelerator": "l20", "role": "worker"}), "a node of pool b"
    assert cpu > score(terms, {"gpu": "true", "role": "worker"}), "a node of pool a"
    assert score(terms, {"gpu": "true", "role": "worker", "accelerator": "l20"}) == 0, "in both pools"


def spread_skew(plan) -> int:
    (constraint,) = pod_of(plan.manifest("Deployment", litellm.NAME))["topologySpreadConstraints"]
    assert constraint["topologyKey"] == "kubernetes.io/hostname" and constraint["whenUnsatisfiable"] == "ScheduleAnyway"
    return constraint["maxSkew"]


def test_the_gateway_spread_cannot_outweigh_the_off_gpu_preference(byo_plan):
    """With maxSkew 1 the second replica went to the GPU node of a one-CPU-node cluster (the real
    scheduler, e2e.try_local byo); on TKE the system pool's selector already decides, skew stays 1."""
    assert spread_skew(byo_plan) == 2
    assert spread_skew(render_raw(tke_config(models=[{**OLLAMA}]))) == 1
