"""The real Run:ai Model Streamer (runai-model-streamer 0.17.1 with its S3 backend, .venv-streamer) reads a
generated model from the S3 stand-in (moto, .venv-s3) with exactly the environment the program renders
for a streaming vLLM engine: the endpoint (the stack's `modelCache.mirror.endpoint` pointed at the stand-in),
virtual-hosted addressing as COS requires, the S3 client config file from the rendered ConfigMap at its
mounted path, and the keys the container takes from the mirror Secret's `access-key-id` /
`secret-access-key`. The URL is the one on the rendered command line. docs/cold-start.md."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest

from render.mirror import ACCESS_KEY as SECRET_ACCESS_KEY_ID
from render.mirror import SECRET_KEY as SECRET_SECRET_KEY
from render.mirror import SECRET_NAME
from tests.conftest import MIRROR_KEYS, render_raw, tke_config
from tests.standins.hub import generated_model
from tests.standins.s3 import ACCESS_KEY, SECRET_KEY, put_objects, running_s3
from tests.standins.streamer import read_with_streamer

BUCKET = "tke-llm-weights-1250000000"
MODEL = {"name": "qwen3-0-6b", "servedName": "Qwen3-0.6B", "engine": "vllm", "pool": "gpu",
         "source": {"kind": "huggingface", "repo": "Qwen/Qwen3-0.6B", "revision": "c1899de289a04d12100db370d81485cdf75e47ca"}}
MIRROR_SECRET = {SECRET_NAME: {SECRET_ACCESS_KEY_ID: ACCESS_KEY, SECRET_SECRET_KEY: SECRET_KEY}}
"""What the mirror Secret holds on the stand-in: moto's key pair under the Secret's two keys."""


def _engine(endpoint: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The rendered vLLM container and pod spec of a stack whose mirror's endpoint is `endpoint`."""
    plan = render_raw(tke_config(**MIRROR_KEYS, models=[MODEL], modelCache={"mirror": {"bucket": BUCKET, "endpoint": endpoint}}),
                      secrets=set(MIRROR_KEYS))
    (deployment,) = [r.manifest for r in plan.k8s_objects
                     if r.manifest.get("kind") == "Deployment" and r.manifest["metadata"]["name"] == MODEL["name"]]
    pod = deployment["spec"]["template"]["spec"]
    config_maps = {r.manifest["metadata"]["name"]: r.manifest for r in plan.k8s_objects if r.manifest.get("kind") == "ConfigMap"}
    return pod, config_maps


def _env(container: dict[str, Any]) -> dict[str, str]:
    """The container's S3 environment, each secretKeyRef resolved from the mirror Secret's keys; a value
    from anywhere else (a field, another Secret) is refused for these variables."""
    out: dict[str, str] = {}
    for e in container["env"]:
        if not e["name"].startswith(("AWS_", "RUNAI_")):
            continue
        if "value" in e:
            out[e["name"]] = e["value"]
            continue
        ref = e["valueFrom"]["secretKeyRef"]
        out[e["name"]] = MIRROR_SECRET[ref["name"]][ref["key"]]
    return out


def _mounted_files(pod: dict[str, Any], config_maps: dict[str, Any]) -> dict[str, str]:
    """Each file of a ConfigMap volume at the path the container mounts it."""
    volumes = {v["name"]: v for v in pod["volumes"]}
    files = {}
    for m in pod["containers"][0]["volumeMounts"]:
        cm = volumes[m["name"]].get("configMap")
        if cm is not None:
            for key, text in config_maps[cm["name"]]["data"].items():
                files[f"{m['mountPath']}/{key}"] = text
    return files


def _path(request: str) -> str:
    """The request target's path (an absolute URL's path part)."""
    target = request.split(" ", 1)[1]
    return re.sub(r"^https?://[^/]+", "", target)


def _requests(log: Path) -> list[str]:
    """moto's access log lines: `GET <target> HTTP/1.1` with the target as the client sent it."""
    return re.findall(r'"(?:\x1b\[[0-9;]*m)*((?:GET|HEAD|PUT|POST) \S+) HTTP', log.read_text())


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    work = tmp_path_factory.mktemp("streamer")
    with running_s3(work) as endpoint:
        yield work, endpoint


def test_the_streamer_reads_every_tensor_with_the_rendered_environment(served) -> None:
    work, endpoint = served
    port = endpoint.rsplit(":", 1)[1]
    pod, config_maps = _engine(f"http://localhost:{port}")
    (c,) = pod["containers"]
    url = c["command"][2]
    assert url.startswith(f"s3://{BUCKET}/tke-llm/huggingface/Qwen/Qwen3-0.6B/")
    files = generated_model(shards=3, shard_bytes=1 << 18)
    prefix = url.removeprefix(f"s3://{BUCKET}/")
    put_objects(endpoint, BUCKET, {f"{prefix}/{name}": data for name, data in files.items()})
    env = _env(c)
    assert env["AWS_ENDPOINT_URL"] == f"http://localhost:{port}" and env["RUNAI_STREAMER_S3_USE_VIRTUAL_ADDRESSING"] == "1"
    assert env["AWS_ACCESS_KEY_ID"] == ACCESS_KEY and env["AWS_SECRET_ACCESS_KEY"] == SECRET_KEY
    mounted = _mounted_files(pod, config_maps)
    assert env["AWS_CONFIG_FILE"] in mounted
    before = len(_requests(work / "s3.log"))

    got = read_with_streamer(url, env, work, files=mounted, loopback_hosts=(f"{BUCKET}.localhost",))

    shards = {n: d for n, d in files.items() if n.endswith(".safetensors")}
    assert sorted(got["files"]) == sorted(shards)
    for name, data in shards.items():
        assert got["files"][name]["size"] == len(data)
        assert got["files"][name]["sha256"] == hashlib.sha256(data).hexdigest()
        (tensor,) = got["files"][name]["tensors"]
        assert got["files"][name]["tensors"][tensor] == hashlib.sha256(data[-(1 << 18):]).hexdigest()
    others = {n: hashlib.sha256(d).hexdigest() for n, d in files.items() if n not in shards}
    assert got["pulled"] == others  # config, tokenizer, index: what vLLM pulls before the weights
    sent = _requests(work / "s3.log")[before:]
    # Virtual-hosted: the bucket is only in the Host (moto logs the native client's absolute URL, boto3's
    # origin-form path); path-style would start the path with it.
    native = [r for r in sent if f"//{BUCKET}.localhost:{port}/" in r]
    path_style = [r for r in sent if _path(r).startswith(f"/{BUCKET}")]
    assert len(native) >= len(shards) * 3 and len(sent) > len(native) and not path_style, sent


def test_without_the_client_config_the_config_pull_would_be_path_style(served) -> None:
    """Why the ConfigMap exists: the streamer's boto3 client takes only `path` from
    RUNAI_STREAMER_S3_USE_VIRTUAL_ADDRESSING; left to botocore it addresses a custom endpoint path-style,
    which COS refuses for buckets created since 2024-01-01."""
    work, endpoint = served
    port = endpoint.rsplit(":", 1)[1]
    pod, config_maps = _engine(f"http://localhost:{port}")
    (c,) = pod["containers"]
    url = c["command"][2]
    files = generated_model(shards=1, shard_bytes=1 << 12)
    put_objects(endpoint, BUCKET, {f"{url.removeprefix(f's3://{BUCKET}/')}/{n}": d for n, d in files.items()})
    env = {k: v for k, v in _env(c).items() if k != "AWS_CONFIG_FILE"}
    before = len(_requests(work / "s3.log"))
    got = read_with_streamer(url, env, work, loopback_hosts=(f"{BUCKET}.localhost",))
    assert got["pulled"]
    sent = _requests(work / "s3.log")[before:]
    assert any(_path(r).startswith(f"/{BUCKET}") for r in sent), sent
