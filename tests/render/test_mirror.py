"""The mirror's renderers (render/mirror.py, render/model_cache.py): COS's virtual-hosted addressing by
default, keys only as secretKeyRefs, the fill script shipped byte for byte, the roles' scripts."""

from __future__ import annotations

import pytest

from render.engines.spec import ModelVolume
from render.files import source as source_file
from render.mirror import SECRET_NAME, MirrorSpec, cos_endpoint, credentials_secret
from render.model_cache import (S3_REQUIREMENTS, ModelSource, download_job, mirror_script, mirror_seed_job,
                                mirror_upload_job, node_downloader_daemonset)
from render.placement import PodPlacement

SPEC = MirrorSpec(bucket="w-1250000000", region="ap-shanghai", endpoint=cos_endpoint("ap-shanghai"), prefix="tke-llm")
SRC = ModelSource("modelscope", "Qwen/Qwen3-8B", "v1")
DIR = "modelscope/Qwen/Qwen3-8B/v1"


def container(obj):
    return obj["spec"]["template"]["spec"]["containers"][0]


def test_cos_is_addressed_virtual_hosted_and_keys_come_from_the_secret():
    env = {e["name"]: e for e in SPEC.sync_env(DIR, 8)}
    assert env["RUNAI_STREAMER_S3_USE_VIRTUAL_ADDRESSING"]["value"] == "1"
    assert env["AWS_ENDPOINT_URL"]["value"] == "https://cos.ap-shanghai.myqcloud.com"
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        assert set(env[name]) == {"name", "valueFrom"} and env[name]["valueFrom"]["secretKeyRef"]["name"] == SECRET_NAME
    assert env["MIRROR_PREFIX"]["value"] == f"tke-llm/{DIR}"


def test_the_credentials_secret_carries_both_keys():
    s = credentials_secret("llm", "id", "key")
    assert s["metadata"]["name"] == SECRET_NAME and s["stringData"] == {"access-key-id": "id", "secret-access-key": "key"}


def test_the_job_ships_the_fill_script_and_the_pinned_client():
    job = download_job("q", "llm", SRC, volume=ModelVolume(pvc_name="models", host_path=None), model_dir=DIR,
                       placement=PodPlacement({}), budget_seconds=3600, mirror=SPEC)
    script = container(job)["command"][2]
    assert source_file("mirror_sync.py") in script
    assert f"'{S3_REQUIREMENTS[0]}'" in script and "modelscope download" in script
    assert script.index("mirror_sync present") < script.index('fetch_verified "$MODEL_ID"') \
        < script.index('touch "$staging/$MARKER"')
    assert "mirror_sync upload" not in script  # the upload Job's


def test_the_upload_job_reads_the_volume_read_only_and_only_installs_the_client():
    job = mirror_upload_job("q", "llm", SRC, mirror=SPEC, volume=ModelVolume(pvc_name="models", host_path=None),
                            model_dir=DIR, placement=PodPlacement({}), budget_seconds=3600)
    pod = job["spec"]["template"]["spec"]
    assert pod["volumes"][0] == {"name": "model", "persistentVolumeClaim": {"claimName": "models", "readOnly": True}}
    assert container(job)["volumeMounts"][0]["readOnly"] is True
    script = container(job)["command"][2]
    assert f"'{S3_REQUIREMENTS[0]}'" in script and "modelscope" not in script and "fetch_verified" not in script
    assert script.index('[ ! -f "$final/$MARKER" ]') < script.index("mirror_sync present") \
        < script.index('mirror_sync upload "$final"')
    assert job["metadata"]["name"].startswith("upload-") and len(job["metadata"]["name"]) <= 63
    with pytest.raises(ValueError, match="shared storage"):
        mirror_upload_job("q", "llm", SRC, mirror=SPEC, volume=ModelVolume(pvc_name=None, host_path="/data"),
                          model_dir=DIR, placement=PodPlacement({}), budget_seconds=3600)


def test_nodes_never_run_a_hub_tool_and_the_seed_never_writes_a_volume():
    ds = node_downloader_daemonset("q", "llm", SRC, volume=ModelVolume(pvc_name=None, host_path="/data/models"),
                                   model_dir=DIR, placement=PodPlacement({}), mirror=SPEC)
    assert "modelscope download" not in container(ds)["command"][2]
    seed = mirror_seed_job("q", "llm", SRC, mirror=SPEC, model_dir=DIR, placement=PodPlacement({}),
                           budget_seconds=3600, scratch_gi=18)
    pod = seed["spec"]["template"]["spec"]
    assert pod["volumes"][0] == {"name": "model", "emptyDir": {"sizeLimit": "18Gi"}}
    assert "persistentVolumeClaim" not in str(pod) and "hostPath" not in str(pod)
    assert len(seed["metadata"]["name"]) <= 63


def test_ollama_has_no_mirror_script():
    with pytest.raises(ValueError, match="does not apply"):
        mirror_script(ModelSource("ollama", "qwen3:8b", "v1"), "fill")
