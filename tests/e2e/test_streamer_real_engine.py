"""Streaming from the weight mirror under the real engine against a real API server and scheduler: a stack
with `modelCache.mirror` (load: stream) comes up; the vLLM pods (TP 2) and the SGLang pod run with the
Run:ai loader on the mirror's s3:// URL and its extra config, the mirror's S3 environment with the keys
only as secretKeyRefs to the mirror Secret, the S3 client config from their ConfigMap, and their compile
cache on a read-write subPath of the model claim whose weights mount stays read-only. The S3 reads
themselves are proven with the real streamer in tests/behaviour/test_streamer_real.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from e2e.engine import run
from render.engines.loading import CACHE_MOUNT, S3_CONFIG_MOUNT
from render.mirror import ACCESS_KEY, SECRET_KEY, SECRET_NAME

from .conftest import Harness, engine_stack, local_cluster_config

STACK = "streamer"
STACK_CONFIG = yaml.safe_load((Path(__file__).parent / "stacks" / "Pulumi.streamer.yaml").read_text())["config"]
STORAGE_CLASSES = ["shared-rwx"]
NS = STACK_CONFIG["tke-llm:namespace"]
BUCKET = STACK_CONFIG["tke-llm:modelCache"]["mirror"]["bucket"]
SECRETS = {"tke-llm:cosSecretId": "AKIDe2eStreamerScopedKey01", "tke-llm:cosSecretKey": "e2e-streamer-scoped-secret-01"}
STACK_CONFIG.update(SECRETS)  # the mirror's keys, stored encrypted by the engine below

pytestmark = pytest.mark.real_engine


@pytest.fixture(scope="module")
def stack(local: Harness):
    return engine_stack(local, STACK, local_cluster_config(STACK_CONFIG, local.cluster.kubeconfig, "local"), SECRETS)


def _server_pod(local: Harness, model: str) -> dict:
    (pod,) = [p for p in local.kube.list("v1", "Pod", NS) if p["metadata"]["labels"].get("app.kubernetes.io/name") == model
              and "job-name" not in p["metadata"]["labels"]]
    return pod


def _argv(container: dict) -> list[str]:
    return container["command"] + container.get("args", [])


def test_a_mirror_stack_streams_with_the_rendered_loader_env_and_caches(local: Harness, stack) -> None:
    result, steps = run(stack, "up")
    assert result.summary.result == "succeeded", steps.diagnostics
    for model, engine, ranks, flag in (("qwen3-14b", "vllm", 2, None), ("qwen3-8b", "sglang", 1, "--model-path")):
        pod = _server_pod(local, model)
        assert pod["status"]["phase"] == "Running", pod["status"]
        (c,) = pod["spec"]["containers"]
        argv = _argv(c)
        url = argv[2] if flag is None else argv[argv.index(flag) + 1]
        assert url.startswith(f"s3://{BUCKET}/tke-llm/huggingface/Qwen/")
        assert argv[argv.index("--load-format") + 1] == "runai_streamer"
        extra = json.loads(argv[argv.index("--model-loader-extra-config") + 1])
        assert extra["concurrency"] == 32 and extra["distributed"] is (ranks > 1) and extra["memory_limit"] > 0

        env = {e["name"]: e for e in c["env"]}
        assert env["AWS_ENDPOINT_URL"]["value"] == "https://cos.ap-shanghai.myqcloud.com"
        assert env["RUNAI_STREAMER_S3_USE_VIRTUAL_ADDRESSING"]["value"] == "1"
        for name, key in (("AWS_ACCESS_KEY_ID", ACCESS_KEY), ("AWS_SECRET_ACCESS_KEY", SECRET_KEY)):
            assert env[name] == {"name": name, "valueFrom": {"secretKeyRef": {"name": SECRET_NAME, "key": key}}}
        secretish = [e["name"] for e in c["env"] if "value" in e and ("KEY" in e["name"] or "SECRET" in e["name"])]
        assert not secretish, secretish  # every credential comes by reference, none as a value

        volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
        mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
        assert mounts["/models"]["readOnly"] is True
        cache = mounts[CACHE_MOUNT]
        assert cache["name"] == "model" and cache["subPath"] == f".compile-cache/{engine}/{model}"
        assert not cache.get("readOnly") and not volumes["model"]["persistentVolumeClaim"].get("readOnly")
        cache_env = "VLLM_CACHE_ROOT" if engine == "vllm" else "SGLANG_CACHE_DIR"
        assert env[cache_env]["value"] == CACHE_MOUNT

        config_map = volumes["s3-client-config"]["configMap"]["name"]
        assert mounts[S3_CONFIG_MOUNT]["readOnly"] is True and env["AWS_CONFIG_FILE"]["value"] == f"{S3_CONFIG_MOUNT}/config"
        text = local.kube.get("v1", "ConfigMap", config_map, NS)["data"]["config"]
        assert "addressing_style = virtual" in text

    _, again = run(stack, "preview", expect_no_changes=True)
    assert set(again.count()) <= {"same"}, again.changed()
