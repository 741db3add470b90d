"""The weight mirror (components/model_mirror.py, wired by program/compose.py): a private, tagged, protected
and retained COS bucket (or none for an existing one), the credentials Secret from the encrypted config
keys, and every download waiting for both."""

from __future__ import annotations

import pytest

from tests.conftest import MIRROR_KEYS as KEYS, existing_config, render_raw, tke_config

BUCKET_TYPE = "tencentcloud:Cos/bucket:Bucket"
MIRROR = {"bucket": "tke-llm-weights-1250000000"}
MODEL = {"name": "q", "servedName": "Q", "engine": "vllm", "pool": "gpu", "settings": {"maxModelLen": 8192},
         "source": {"kind": "huggingface", "repo": "Qwen/Qwen3-8B", "revision": "v1"}}



def stack(mirror: dict, **extra):
    return render_raw(tke_config(modelCache={"mirror": mirror}, models=[MODEL], **KEYS, **extra),
                      secrets=set(KEYS))


@pytest.fixture(scope="module")
def plan():
    return stack(MIRROR)


def test_the_bucket_is_private_tagged_protected_and_retained(plan):
    bucket = plan.one(BUCKET_TYPE)
    assert bucket.inputs["bucket"] == MIRROR["bucket"] and bucket.inputs["acl"] == "private"
    assert bucket.inputs["tags"] == plan.one("tencentcloud:Kubernetes/cluster:Cluster").inputs["tags"]
    assert bucket.inputs["tags"]["tke-llm-stack"] == "test"
    assert bucket.options["protect"] and bucket.options["retainOnDelete"]
    # Same region as the cluster: the stack's default provider, no provider of its own.
    assert not [r for r in plan.resources if r.type == "pulumi:providers:tencentcloud"]


def test_every_download_waits_for_the_secret_and_the_bucket(plan):
    secret = [r for r in plan.k8s_objects if r.manifest["metadata"]["name"] == "model-mirror-credentials"][0]
    job = [r for r in plan.k8s_objects if r.manifest["kind"] == "Job"
           and r.manifest["metadata"]["name"].startswith("download-")][0]
    assert secret.urn in job.depends_on and plan.one(BUCKET_TYPE).urn in job.depends_on
    env = {e["name"]: e for e in job.manifest["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["AWS_ACCESS_KEY_ID"] == {"name": "AWS_ACCESS_KEY_ID", "valueFrom": {"secretKeyRef": {
        "name": "model-mirror-credentials", "key": "access-key-id"}}}
    assert env["AWS_ENDPOINT_URL"]["value"] == "https://cos.ap-shanghai.myqcloud.com"
    assert env["MIRROR_PREFIX"]["value"].startswith("tke-llm/")


def test_the_keys_are_secret_in_the_plan(plan):
    secret = plan.manifest("Secret", "model-mirror-credentials")
    assert secret["stringData"] == {"access-key-id": "[secret]", "secret-access-key": "[secret]"}
    assert "scoped-secret" not in str([r.inputs for r in plan.resources])


def test_an_existing_bucket_is_not_a_resource_and_another_region_gets_its_own_provider():
    existing = stack({**MIRROR, "create": False})
    assert not [r for r in existing.resources if r.type == BUCKET_TYPE]
    other = stack({**MIRROR, "region": "ap-guangzhou"})
    (provider,) = [r for r in other.resources if r.type == "pulumi:providers:tencentcloud"]
    assert provider.inputs["region"] == "ap-guangzhou"
    assert other.one(BUCKET_TYPE).provider.startswith(provider.urn)


def test_local_storage_fills_the_mirror_once_then_the_nodes_from_it_only():
    plan = stack(MIRROR, storage={"kind": "local"})
    seed = [r for r in plan.k8s_objects if r.manifest["metadata"]["name"].startswith("mirror-download-")][0]
    nodes = [r for r in plan.k8s_objects if r.manifest["kind"] == "DaemonSet"
             and r.manifest["metadata"]["name"].startswith("download-")][0]
    assert seed.urn in nodes.depends_on
    pod = seed.manifest["spec"]["template"]["spec"]
    assert pod["volumes"][0]["emptyDir"]["sizeLimit"].endswith("Gi")
    script = nodes.manifest["spec"]["template"]["spec"]["containers"][0]["command"][2]
    assert "hf download" not in script and "fetch_verified" not in script
    assert "'boto3==1.44.18'" in script and "huggingface_hub" not in script


def test_an_existing_cluster_with_a_region_and_ollama_without_the_mirror():
    raw = existing_config(modelCache={"mirror": {**MIRROR, "region": "ap-shanghai", "create": False}}, **KEYS,
                          models=[{"name": "o", "servedName": "o", "engine": "ollama", "pool": "gpu",
                                   "sizeGb": 5, "source": {"kind": "ollama", "tag": "qwen3:8b"}}])
    plan = render_raw(raw, secrets=set(KEYS))
    assert plan.manifest("Secret", "model-mirror-credentials")
    job = [r for r in plan.k8s_objects if r.manifest["kind"] == "Job"][0]
    names = {e["name"] for e in job.manifest["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert "AWS_ENDPOINT_URL" not in names, "Ollama pulls from its registry: no mirror env"


def test_the_plan_says_what_would_replace_the_bucket(plan):
    """The provider's ForceNew arguments (resource_tc_cos_bucket.go): the data-safety section lists them."""
    from preview.diff import rules_for
    from preview.summary_sections import data_safety_section

    assert {r.path for r in rules_for(BUCKET_TYPE) if r.outcome == "replace"} == {"bucket", "multiAz", "cdcId"}
    assert "- Bucket `mirror-bucket`: replaced by a change of `bucket`, `cdcId`, `multiAz`" in data_safety_section(plan)


def test_the_upload_is_a_job_after_the_download_that_only_streaming_servers_wait_for():
    """The volume's verified copy goes to the mirror in a Job of its own, after the download Job: a
    server reading the volume starts loading meanwhile; one streaming from the mirror waits for it."""
    sglang = {**MODEL, "name": "s", "servedName": "S", "engine": "sglang"}  # reads the volume
    plan = render_raw(tke_config(modelCache={"mirror": MIRROR}, models=[MODEL, sglang], **KEYS), secrets=set(KEYS))
    jobs = {r.manifest["metadata"]["name"]: r for r in plan.k8s_objects if r.manifest["kind"] == "Job"}
    for model in ("q", "s"):
        download = next(r for n, r in jobs.items() if n.startswith(f"download-{model}-"))
        upload = next(r for n, r in jobs.items() if n.startswith(f"upload-{model}-"))
        assert download.urn in upload.depends_on
        server = next(r for r in plan.k8s_objects
                      if r.manifest["kind"] == "Deployment" and r.manifest["metadata"]["name"] == model)
        if model == "q":  # vLLM streams from the mirror
            assert upload.urn in server.depends_on
        else:
            assert download.urn in server.depends_on and upload.urn not in server.depends_on
