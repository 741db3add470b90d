"""Pod overrides against what the program writes (checks/overrides.py, checks/owned_env.py): each
refusal names the model's key and who sets the value; what the program does not own is accepted and
reaches every pod of the model."""

from __future__ import annotations

import pytest

from checks import checked

from tests.conftest import SYSTEM_POOL, render_raw, tke_config

from .helpers import H20, R1, R1_7B, errors

TURBO = {"kind": "cfs-turbo", "capacityGib": 20480, "sizeGi": 1000}


def rdma_stack(model: dict, rdma=True) -> dict:
    return tke_config(nodePools=[SYSTEM_POOL, {**H20, "gpu": {"type": "H20", "count": 8, "rdma": rdma}}],
                      models=[model], storage=TURBO)


@pytest.mark.parametrize("name, owner", [
    ("VLLM_API_KEY", "the vllm renderer"),
    ("HF_HUB_OFFLINE", "the vllm renderer"),
    ("PYTORCH_CUDA_ALLOC_CONF", "the vllm renderer"),
])
def test_env_the_engine_renderer_writes_is_refused(name, owner):
    found = errors(tke_config(models=[{**R1_7B, "env": {"FINE": "1", name: "x"}}]))
    assert [m for m in found if ".env" in m] == [
        f"tke-llm:models[0].env.{name}: {name} is set by {owner} (render/engines/vllm.py); remove it from "
        "models[0].env (the probes, the API key, the weights' path and the group's rendezvous depend on it)"]


@pytest.mark.parametrize("rdma, name, key", [
    (True, "NCCL_IB_HCA", "nodePools[1].gpu.rdma.hca"),
    (True, "GLOO_SOCKET_IFNAME", "nodePools[1].gpu.rdma.socketInterface"),
    ({"env": {"NCCL_DEBUG": "WARN"}}, "NCCL_DEBUG", "nodePools[1].gpu.rdma.env"),
])
def test_env_the_rdma_group_writes_names_the_pool_key(rdma, name, key):
    found = errors(rdma_stack({**R1, "env": {name: "x"}}, rdma))
    assert [m for m in found if ".env" in m] == [
        f"tke-llm:models[0].env.{name}: {name} is set by `{key}`; remove it from models[0].env and set it there"]


@pytest.mark.parametrize("name", ["LWS_GROUP_SIZE", "LWS_LEADER_ADDRESS", "LWS_WORKER_INDEX", "SGLANG_API_KEY"])
def test_env_leaderworkerset_or_the_leader_writes_is_refused_in_a_group(name):
    found = errors(rdma_stack({**R1, "env": {name: "1"}}))
    assert any(m.startswith(f"tke-llm:models[0].env.{name}: {name} is set by ") for m in found), found


def test_env_on_one_node_may_use_a_name_only_groups_own():
    checked(tke_config(models=[{**R1_7B, "env": {"LWS_GROUP_SIZE": "1", "NCCL_DEBUG": "INFO"}}]))


@pytest.mark.parametrize("extra, key, text", [
    ({"volumes": [{"name": "model", "mountPath": "/x", "emptyDir": {}}]}, "volumes[0].name", "the program's volume"),
    ({"volumes": [{"name": "w", "mountPath": "/models/lora", "emptyDir": {}}]}, "volumes[0].mountPath", "overlaps /models"),
    ({"volumes": [{"name": "w", "mountPath": "/dev", "emptyDir": {}}]}, "volumes[0].mountPath", "overlaps /dev/shm"),
    ({"volumes": [{"name": "w", "mountPath": "/compile-cache", "emptyDir": {}}]}, "volumes[0].mountPath",
     "overlaps /compile-cache"),
    ({"volumes": [{"name": "w", "mountPath": "/etc/tke-llm", "emptyDir": {}}]}, "volumes[0].mountPath",
     "overlaps /etc/tke-llm/aws"),
    ({"volumes": [{"name": "s3-client-config", "mountPath": "/x", "emptyDir": {}}]}, "volumes[0].name",
     "the program's volume"),
    ({"volumes": [{"name": "a", "mountPath": "/a", "emptyDir": {}}, {"name": "a", "mountPath": "/b", "emptyDir": {}}]},
     "volumes[1].name", "already volumes[0]"),
    ({"volumes": [{"name": "a", "mountPath": "/a", "emptyDir": {}}, {"name": "b", "mountPath": "/a/b", "emptyDir": {}}]},
     "volumes[1].mountPath", "overlaps volumes[0] at /a"),
    ({"podLabels": {"app.kubernetes.io/component": "x"}}, "podLabels", "written by the program"),
    ({"podLabels": {"leaderworkerset.sigs.k8s.io/name": "x"}}, "podLabels", "written by LeaderWorkerSet"),
    ({"podAnnotations": {"eks.tke.cloud.tencent.com/gpu-type": "V100"}}, "podAnnotations", "written by the program"),
])
def test_overrides_of_what_the_program_writes_are_refused_with_the_key(extra, key, text):
    found = errors(tke_config(models=[{**R1_7B, **extra}]))
    assert any(m.startswith(f"tke-llm:models[0].{key}: ") and text in m for m in found), found


def test_stack_and_model_pull_secrets_reach_the_engine_and_every_pod_the_stack_pulls_for():
    raw = tke_config(imageRegistry="ccr.ccs.tencentyun.com/mirror", imagePullSecrets=["mirror-pull"],
                     models=[{**R1_7B, "imagePullSecrets": ["vendor-pull", "mirror-pull"],
                              "env": {"VLLM_LOGGING_LEVEL": "DEBUG"},
                              "volumes": [{"name": "tpl", "mountPath": "/etc/tpl", "configMap": "chat-template"}],
                              "podLabels": {"team": "a"}, "podAnnotations": {"example.com/owner": "a"}}])
    plan = render_raw(raw)
    pod = plan.manifest("Deployment", "r1-7b")["spec"]["template"]
    assert pod["spec"]["imagePullSecrets"] == [{"name": "mirror-pull"}, {"name": "vendor-pull"}]
    assert {"name": "VLLM_LOGGING_LEVEL", "value": "DEBUG"} in pod["spec"]["containers"][0]["env"]
    assert {"name": "tpl", "configMap": {"name": "chat-template"}} in pod["spec"]["volumes"]
    assert pod["metadata"]["labels"]["team"] == "a" and pod["metadata"]["annotations"]["example.com/owner"] == "a"
    for kind, name in (("Deployment", "llm-gateway"), ("Deployment", "open-webui")):
        assert plan.manifest(kind, name)["spec"]["template"]["spec"]["imagePullSecrets"] == [{"name": "mirror-pull"}]
    jobs = [r.manifest for r in plan.k8s_objects if r.manifest["kind"] == "Job"
            and r.manifest["metadata"]["name"].startswith("download-")]
    assert jobs and all(j["spec"]["template"]["spec"]["imagePullSecrets"] == [{"name": "mirror-pull"}] for j in jobs)


def test_a_host_path_volume_makes_the_namespace_admit_it():
    """`baseline` Pod Security refuses hostPath volumes: the namespace enforces `privileged` for them."""
    def level(model):
        plan = render_raw(tke_config(models=[model]))
        return plan.manifest("Namespace", "llm")["metadata"]["labels"]["pod-security.kubernetes.io/enforce"]

    assert level(R1_7B) == "baseline"
    assert level({**R1_7B, "volumes": [{"name": "ccache", "mountPath": "/ccache", "hostPath": "/var/cache/ccache"}]}) \
        == "privileged"
