"""The serving graph as a user relies on it: download once, GPUs only when the weights are there,
the engine after its download, the right workload per topology, and the pitfalls refused."""

from __future__ import annotations

import pytest

from checks import checked

from config import ConfigError

from tests.conftest import GPU_POOL, SYSTEM_POOL, existing_config, render_raw, tke_config

VLLM_MODEL = {
    "name": "qwen3-8b", "servedName": "Qwen3-8B", "engine": "vllm", "pool": "gpu",
    "source": {"kind": "huggingface", "repo": "Qwen/Qwen3-8B", "revision": "b968826d9c46dd6066d109eabc6255188de91218"},
    "settings": {"maxModelLen": 8192},
}
H20_POOL = {"kind": "attached", "name": "h20", "instanceIds": ["ins-0000000a", "ins-0000000b"], "keyId": "skey-00000001",
            "gpu": {"type": "H20", "count": 8, "rdma": True}}
R1 = {"name": "deepseek-r1", "servedName": "DeepSeek-R1", "engine": "sglang", "pool": "h20", "gpusPerNode": 8,
      "nodes": 2, "source": {"kind": "modelscope", "model": "deepseek-ai/DeepSeek-R1", "revision": "v1.0.0"},
      "settings": {"maxModelLen": 32768}}
JOB = "kubernetes:batch/v1:Job"


def k8s(plan, kind):
    """Objects of the serving layer; the access layer (gateway, UI, exposure) is tests/behaviour/test_access.py's,
    the smoke gate's Jobs tests/program/test_smoke_gate.py's."""
    return [r for r in plan.k8s_objects if r.manifest["kind"] == kind and "tke-llm:access:" not in r.urn
            and "tke-llm:verify:" not in r.urn]


@pytest.fixture(scope="module")
def single():
    return render_raw(tke_config(models=[VLLM_MODEL]))


@pytest.fixture(scope="module")
def multi():
    return render_raw(tke_config(nodePools=[SYSTEM_POOL, H20_POOL],
                                 storage={"kind": "cfs-turbo", "capacityGib": 20480, "sizeGi": 1000}, models=[R1]))


def test_download_runs_on_the_system_pool_without_gpu(single):
    (job,) = k8s(single, "Job")
    pod = job.manifest["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"tke-llm.io/pool": "system"}
    assert all("nvidia.com/gpu" not in str(c.get("resources")) for c in pod["containers"])
    assert job.manifest["metadata"]["name"].startswith("download-qwen3-8b-")
    assert job.options["deleteBeforeReplace"] is True


def test_download_timeout_covers_the_model_size(single):
    (job,) = k8s(single, "Job")
    create = job.options["customTimeouts"]["create"]
    assert create.endswith("s") and int(create[:-1]) > job.manifest["spec"]["activeDeadlineSeconds"] > 600


def test_gpu_pools_wait_for_the_weights_and_the_engine_for_both(single):
    (job,) = k8s(single, "Job")
    gpu_pool = single.one("tencentcloud:Kubernetes/nodePool:NodePool", "gpu-pools-gpu")
    assert job.urn in gpu_pool.depends_on, "no GPU is billed while the weights download"
    (deploy,) = k8s(single, "Deployment")
    assert job.urn in deploy.depends_on and gpu_pool.urn in deploy.depends_on


def test_gpu_pools_can_come_up_in_parallel():
    plan = render_raw(tke_config(models=[VLLM_MODEL], modelCache={"gpuNodesAfterDownload": False}))
    (job,) = k8s(plan, "Job")
    pool = plan.one("tencentcloud:Kubernetes/nodePool:NodePool", "gpu-pools-gpu")
    assert job.urn not in plan.dependencies(pool)
    assert pool.urn not in plan.dependencies(job), "the download must not wait for the GPU nodes either"


def test_a_new_revision_is_a_new_job():
    other = {**VLLM_MODEL, "source": {**VLLM_MODEL["source"], "revision": "0123456789abcdef0123456789abcdef01234567"}}
    a = k8s(render_raw(tke_config(models=[VLLM_MODEL])), "Job")[0]
    b = k8s(render_raw(tke_config(models=[other])), "Job")[0]
    assert a.name == b.name, "same Pulumi resource, so the change is a replacement"
    assert a.manifest["metadata"]["name"] != b.manifest["metadata"]["name"]


def test_vllm_deployment_reads_the_downloaded_path(single):
    (deploy,) = k8s(single, "Deployment")
    (job,) = k8s(single, "Job")
    container = deploy.manifest["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in job.manifest["spec"]["template"]["spec"]["containers"][0]["env"]}
    path = f"{env['MODEL_ROOT']}/{env['MODEL_DIR']}"
    assert container["command"][:3] == ["vllm", "serve", path]
    args = container["command"]
    assert args[args.index("--tensor-parallel-size") + 1] == "1"
    assert args[args.index("--served-model-name") + 1] == "Qwen3-8B"
    assert {"name": "PYTORCH_CUDA_ALLOC_CONF", "value": "expandable_segments:True"} in container["env"]
    key = next(e for e in container["env"] if e["name"] == "VLLM_API_KEY")
    assert key["valueFrom"]["secretKeyRef"]["name"] == "qwen3-8b-api-key"
    assert container["resources"]["requests"]["nvidia.com/gpu"] == container["resources"]["limits"]["nvidia.com/gpu"]


def test_no_liveness_without_startup_and_no_service_links(single, multi):
    for plan in (single, multi):
        for r in plan.k8s_objects:
            spec = r.manifest.get("spec", {})
            templates = [spec.get("template")] if "template" in spec else []
            lwt = spec.get("leaderWorkerTemplate")
            if lwt:
                templates += [lwt.get("leaderTemplate"), lwt["workerTemplate"]]
            for t in filter(None, templates):
                pod = t["spec"]
                if r.manifest["kind"] != "Job":
                    assert pod["enableServiceLinks"] is False
                for c in pod["containers"]:
                    assert "livenessProbe" not in c or "startupProbe" in c


def test_no_service_is_named_after_an_engine_or_the_lws(single, multi):
    for plan in (single, multi):
        for svc in k8s(plan, "Service"):
            name = svc.manifest["metadata"]["name"]
            assert name not in {"vllm", "sglang", "ollama"}
            assert name not in {r.manifest["metadata"]["name"] for r in k8s(plan, "LeaderWorkerSet")}


def test_only_a_multi_node_model_on_an_rdma_pool_runs_on_the_host_network():
    from derive.serving import host_network

    turbo = {"kind": "cfs-turbo", "capacityGib": 20480, "sizeGi": 1000}
    no_rdma = {**H20_POOL, "gpu": {**H20_POOL["gpu"], "rdma": False}}
    one_node = {**R1, "nodes": 1}
    for pool, model, want in ((H20_POOL, R1, True), (no_rdma, R1, False), (H20_POOL, one_node, False)):
        cfg = checked(tke_config(nodePools=[SYSTEM_POOL, pool], storage=turbo, models=[model]))
        assert host_network(cfg, cfg.models[0]) is want


def test_multi_node_sglang_on_rdma(multi):
    (lws,) = k8s(multi, "LeaderWorkerSet")
    spec = lws.manifest["spec"]
    assert spec["leaderWorkerTemplate"]["size"] == 2
    assert spec["leaderWorkerTemplate"]["restartPolicy"] == "RecreateGroupOnPodRestart"
    leader = spec["leaderWorkerTemplate"]["leaderTemplate"]["spec"]
    worker = spec["leaderWorkerTemplate"]["workerTemplate"]["spec"]
    for pod in (leader, worker):
        assert pod["hostNetwork"] is True and pod["dnsPolicy"] == "ClusterFirstWithHostNet"
        args = pod["containers"][0]["args"]
        assert args[args.index("--tp-size") + 1] == "16" if "--tp-size" in args else args[args.index("--tp") + 1] == "16"
        assert args[args.index("--dist-init-addr") + 1] == "$(LWS_LEADER_ADDRESS):5000"
        assert args[args.index("--nnodes") + 1] == "$(LWS_GROUP_SIZE)"
        assert args[args.index("--node-rank") + 1] == "$(LWS_WORKER_INDEX)"
        assert "--enable-metrics" in args and "--max-running-request" not in args
    leader_env = {e["name"] for e in leader["containers"][0]["env"]}
    worker_env = {e["name"] for e in worker["containers"][0]["env"]}
    assert leader_env - worker_env <= {"SGLANG_API_KEY"}, "leader and workers share their env (bar the key)"
    # The key reaches only the leader, through the launcher, never as an argument (SGLang logs its args).
    assert "--api-key" not in leader["containers"][0]["args"] and "--api-key" not in worker["containers"][0]["args"]
    assert leader["containers"][0]["command"][:2] == ["python3", "-c"]
    assert "--host" not in worker["containers"][0]["args"]
    (svc,) = k8s(multi, "Service")
    assert svc.manifest["spec"]["selector"]["role"] == "leader"
    assert svc.manifest["spec"]["ports"][0]["name"] == "http"
    ns = multi.manifest("Namespace", "llm")
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"


def test_lws_controller_only_with_multi_node_models(single, multi):
    assert not single.by_type("kubernetes:helm.sh/v4:Chart")
    chart = multi.one("kubernetes:helm.sh/v4:Chart")
    assert chart.inputs["chart"] == "oci://registry.k8s.io/lws/charts/lws" and chart.inputs["version"]
    (lws,) = k8s(multi, "LeaderWorkerSet")
    assert chart.urn in lws.depends_on


def test_local_storage_downloads_on_every_gpu_node_and_mounts_host_path():
    plan = render_raw(tke_config(nodePools=[SYSTEM_POOL, H20_POOL], storage={"kind": "local"}, models=[R1]))
    assert not k8s(plan, "Job")
    (ds,) = k8s(plan, "DaemonSet")
    pod = ds.manifest["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "Always" and pod["nodeSelector"]["tke-llm.io/pool"] == "h20"
    assert any(v.get("hostPath", {}).get("path", "").startswith("/data/models") for v in pod["volumes"])
    (lws,) = k8s(plan, "LeaderWorkerSet")
    lwt = lws.manifest["spec"]["leaderWorkerTemplate"]
    for t in (lwt["leaderTemplate"], lwt["workerTemplate"]):
        vols = {v["name"]: v for v in t["spec"]["volumes"]}
        assert "hostPath" in vols["model"] and "persistentVolumeClaim" not in vols["model"]


def test_super_node_pods_carry_gpu_type_and_disk():
    pools = [SYSTEM_POOL, {"kind": "super", "name": "super", "gpu": {"type": "A10", "count": 1}, "rootDiskGb": 120}]
    plan = render_raw(tke_config(nodePools=pools, models=[{**VLLM_MODEL, "pool": "super"}]))
    (deploy,) = k8s(plan, "Deployment")
    ann = deploy.manifest["spec"]["template"]["metadata"]["annotations"]
    assert ann["eks.tke.cloud.tencent.com/gpu-type"] == "A10*PNV4"
    assert ann["eks.tke.cloud.tencent.com/root-cbs-size"] == "120"


def test_v100_serves_in_half_precision_and_refuses_bf16_and_sglang():
    pools = [SYSTEM_POOL, {**GPU_POOL, "instanceType": "GN10Xp.2XLARGE40", "gpu": {"type": "V100", "count": 1}}]
    plan = render_raw(tke_config(nodePools=pools, models=[VLLM_MODEL]))
    args = k8s(plan, "Deployment")[0].manifest["spec"]["template"]["spec"]["containers"][0]["command"]
    assert args[args.index("--dtype") + 1] == "half"
    with pytest.raises(ConfigError) as exc:
        checked(tke_config(nodePools=pools, models=[{**VLLM_MODEL, "settings": {"dtype": "bfloat16"}}]))
    assert str(exc.value.issues[0]).startswith("tke-llm:models[0].settings.dtype:")
    with pytest.raises(ConfigError) as exc:
        checked(tke_config(nodePools=pools, models=[{**VLLM_MODEL, "engine": "sglang"}]))
    assert "SGLang only supports sm75 and above" in str(exc.value)


@pytest.mark.parametrize("model, key, message", [
    ({**VLLM_MODEL, "pool": "nope"}, "models[0].pool", "no node pool named 'nope'"),
    ({**VLLM_MODEL, "pool": "system"}, "models[0].pool", "has no GPUs"),
    ({**VLLM_MODEL, "gpusPerNode": 2}, "models[0].gpusPerNode", "exceeds the 1 GPUs per node"),
    ({**VLLM_MODEL, "replicas": 3}, "models[0].replicas", "need 3 nodes of pool 'gpu', whose maxSize is 2"),
    ({**VLLM_MODEL, "name": "vllm"}, "models[0].name", "is an engine name"),
    ({**VLLM_MODEL, "image": "vllm/vllm-openai:latest"}, "models[0].image", "pin the image"),
    ({**VLLM_MODEL, "source": {**VLLM_MODEL["source"], "revision": "main"}}, "models[0].source.revision", "moves"),
    ({**VLLM_MODEL, "engine": "ollama"}, "models[0].engine", "only Ollama does"),
])
def test_model_config_errors_name_their_key(model, key, message):
    with pytest.raises(ConfigError) as exc:
        checked(tke_config(models=[model]))
    found = [str(i) for i in exc.value.issues]
    assert any(i.startswith(f"tke-llm:{key}:") and message in i for i in found), found


def test_multi_node_needs_kubernetes_1_28():
    raw = tke_config(nodePools=[SYSTEM_POOL, H20_POOL], models=[R1])
    raw["cluster"]["kubernetesVersion"] = "1.26.1"
    with pytest.raises(ConfigError) as exc:
        checked(raw)
    assert "tke-llm:models[0].nodes: a model across nodes needs a LeaderWorkerSet" in str(exc.value)


def test_ollama_on_an_existing_cluster():
    model = {"name": "r1-7b", "servedName": "deepseek-r1:7b", "engine": "ollama", "pool": "gpu",
             "source": {"kind": "ollama", "tag": "deepseek-r1:7b"}}
    plan = render_raw(existing_config(models=[model]))
    (deploy,) = k8s(plan, "Deployment")
    c = deploy.manifest["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in c["env"]}
    assert env["OLLAMA_HOST"].endswith(":11434") and env["OLLAMA_HOST"].startswith("0.0.0.0")
    assert deploy.manifest["spec"]["template"]["spec"]["nodeSelector"] == {"gpu": "true"}
    assert not [r for r in plan.resources if r.type.startswith("tencentcloud:")]
    with pytest.raises(ConfigError):
        checked(existing_config(models=[{**model, "nodes": 2}]))


def test_engine_keys_are_secret_outputs(single):
    assert "engineApiKeys" in single.secret_outputs
    secret = single.manifest("Secret", "qwen3-8b-api-key")
    assert secret["stringData"] == {"api-key": "[secret]"}


@pytest.mark.parametrize("variant", ["super", "local"])
def test_variants_pass_the_schema_checks(variant, tmp_path):
    """The super-node and local-NVMe variants are not shipped stacks, so check them here."""
    from preview.writers import write

    from tests.validators import load_manifests, validate_builtin, validate_custom

    if variant == "super":
        pools = [SYSTEM_POOL, {"kind": "super", "name": "super", "gpu": {"type": "A10", "count": 1}}]
        raw = tke_config(nodePools=pools, models=[{**VLLM_MODEL, "pool": "super"}])
    else:
        raw = tke_config(nodePools=[SYSTEM_POOL, H20_POOL], storage={"kind": "local"}, models=[R1])
    plan = render_raw(raw)
    docs = load_manifests(write(plan, tmp_path) / "manifests.yaml")
    errors = validate_builtin(docs, "1.30.0") + validate_custom(docs)
    assert not errors, "\n".join(errors)
    if variant == "local":
        ns = plan.manifest("Namespace", "llm")
        assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged", "hostPath needs it"


def test_serving_type_tokens_are_pinned():
    plan = render_raw(tke_config(nodePools=[SYSTEM_POOL, H20_POOL],
                                 storage={"kind": "cfs-turbo", "capacityGib": 20480, "sizeGi": 1000}, models=[R1]))
    tokens = {r.type for r in plan.resources if r.type.startswith("tke-llm:")}
    assert {"tke-llm:model:ModelCache", "tke-llm:serving:ModelServer", "tke-llm:cluster:LwsController"} <= tokens


def test_pip_mirror_reaches_the_download_and_lws_is_awaited():
    plan = render_raw(tke_config(nodePools=[SYSTEM_POOL, H20_POOL], models=[R1],
                                 storage={"kind": "cfs-turbo", "capacityGib": 20480, "sizeGi": 1000},
                                 modelCache={"pipIndexUrl": "https://mirrors.cloud.tencent.com/pypi/simple"}))
    (job,) = k8s(plan, "Job")
    assert "https://mirrors.cloud.tencent.com/pypi/simple" in str(job.manifest["spec"]["template"])
    (lws,) = k8s(plan, "LeaderWorkerSet")
    assert lws.manifest["metadata"]["annotations"]["pulumi.com/waitFor"] == "condition=Available"
