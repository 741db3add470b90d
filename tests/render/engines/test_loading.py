"""Streaming from the mirror, the network-file-system load strategy and the compile caches, as the engine
workloads render them (render/engines/loading.py)."""

from __future__ import annotations

import json

import pytest

from render.engines import workload
from render.engines.loading import CACHE_MOUNT, S3_CONFIG_MOUNT, Streaming, cache_subpath, s3_config_map
from render.mirror import SECRET_NAME, MirrorSpec

from .helpers import LOCAL, containers, env_of, make_spec, ollama_spec, pod_templates, r1

MIRROR = MirrorSpec(bucket="tke-llm-weights-1250000000", region="ap-shanghai",
                    endpoint="https://cos.ap-shanghai.myqcloud.com", prefix="tke-llm")
STREAM = Streaming(mirror=MIRROR, concurrency=16, memory_limit_bytes=8_000_000_000)
URL = "s3://tke-llm-weights-1250000000/tke-llm/huggingface/Qwen/Qwen3-14B"


def _arg(args: list[str], flag: str) -> str:
    return args[args.index(flag) + 1]


def test_vllm_streams_from_the_mirror_url_with_the_runai_loader() -> None:
    (c,) = containers(workload(make_spec(stream=STREAM)))
    args = c["command"]
    assert args[:3] == ["vllm", "serve", URL]
    assert _arg(args, "--load-format") == "runai_streamer"
    assert json.loads(_arg(args, "--model-loader-extra-config")) == {
        "concurrency": 16, "memory_limit": 8_000_000_000, "distributed": False}
    assert "--safetensors-load-strategy" not in args


@pytest.mark.parametrize("engine", ["vllm", "sglang"])
def test_more_than_one_rank_streams_distributed(engine: str) -> None:
    for c in containers(workload(r1(engine, stream=STREAM))):
        args = c["command"] + c.get("args", [])
        assert json.loads(_arg(args, "--model-loader-extra-config"))["distributed"] is True
    (c,) = containers(workload(make_spec(engine=engine, gpus_per_node=4, stream=STREAM)))
    assert json.loads(_arg(c["command"] + c.get("args", []), "--model-loader-extra-config"))["distributed"] is True


@pytest.mark.parametrize("spec", [make_spec(stream=STREAM), r1("vllm", stream=STREAM), r1("sglang", stream=STREAM)],
                         ids=["vllm", "vllm-lws", "sglang-lws"])
def test_streaming_pods_get_the_mirror_env_with_keys_only_from_the_secret(spec) -> None:
    for c in containers(workload(spec)):
        env = env_of(c)
        assert env["AWS_ENDPOINT_URL"]["value"] == "https://cos.ap-shanghai.myqcloud.com"
        assert env["RUNAI_STREAMER_S3_USE_VIRTUAL_ADDRESSING"]["value"] == "1"
        assert env["AWS_EC2_METADATA_DISABLED"]["value"] == "true"
        for name, key in (("AWS_ACCESS_KEY_ID", "access-key-id"), ("AWS_SECRET_ACCESS_KEY", "secret-access-key")):
            assert env[name] == {"name": name, "valueFrom": {"secretKeyRef": {"name": SECRET_NAME, "key": key}}}
        assert [e for e in c["env"] if e["name"] in MIRROR_ENV] == MIRROR.env()


MIRROR_ENV = {e["name"] for e in MIRROR.env()}


def test_sglang_streams_with_its_model_path_on_the_mirror() -> None:
    (c,) = containers(workload(make_spec(engine="sglang", stream=STREAM)))
    assert _arg(c["args"], "--model-path") == URL
    assert _arg(c["args"], "--load-format") == "runai_streamer"


def test_without_a_mirror_nothing_changes() -> None:
    (c,) = containers(workload(make_spec()))
    assert c["command"][2] == "/models/huggingface/Qwen/Qwen3-14B"
    assert "--load-format" not in c["command"] and not MIRROR_ENV & set(env_of(c))


@pytest.mark.parametrize(("engine", "flags"), [("vllm", ["--safetensors-load-strategy", "prefetch"]),
                                               ("sglang", ["--weight-loader-prefetch-checkpoints"])])
def test_network_file_systems_prefetch_split_across_ranks(engine: str, flags: list[str]) -> None:
    for c in containers(workload(r1(engine, network_fs=True))):
        args = c["command"] + c.get("args", [])
        i = args.index(flags[0])
        assert args[i:i + len(flags)] == flags


@pytest.mark.parametrize(("engine", "expected"), [
    ("vllm", {"VLLM_CACHE_ROOT": CACHE_MOUNT}),
    ("sglang", {"SGLANG_CACHE_DIR": CACHE_MOUNT, "TORCHINDUCTOR_CACHE_DIR": f"{CACHE_MOUNT}/inductor",
                "TRITON_CACHE_DIR": f"{CACHE_MOUNT}/triton"}),
])
def test_compile_cache_is_a_read_write_subpath_of_the_claim_on_every_pod(engine: str, expected: dict) -> None:
    sub = cache_subpath(engine, "deepseek-r1")
    for tpl in pod_templates(workload(r1(engine, compile_cache=sub))):
        pod = tpl["spec"]
        assert pod["volumes"][0] == {"name": "model", "persistentVolumeClaim": {"claimName": "models"}}
        (c,) = pod["containers"]
        mounts = c["volumeMounts"]
        assert mounts[0] == {"name": "model", "mountPath": "/models", "readOnly": True}
        assert mounts[1] == {"name": "model", "mountPath": CACHE_MOUNT, "subPath": f".compile-cache/{engine}/deepseek-r1"}
        assert {k: env_of(c)[k]["value"] for k in expected} == expected


def test_no_cache_keeps_the_claim_read_only() -> None:
    pod = pod_templates(workload(make_spec()))[0]["spec"]
    assert pod["volumes"][0]["persistentVolumeClaim"]["readOnly"] is True
    assert all(m["mountPath"] != CACHE_MOUNT for m in pod["containers"][0]["volumeMounts"])


@pytest.mark.parametrize(("kw", "message"), [
    (dict(volume=LOCAL, compile_cache=".compile-cache/vllm/x"), "shared storage"),
    (dict(volume=LOCAL, network_fs=True), "shared storage"),
    (dict(compile_cache="/abs"), "relative to the volume root"),
    (dict(compile_cache="../up"), "relative to the volume root"),
])
def test_spec_refuses_what_the_pod_cannot_do(kw: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_spec(**kw)


def test_ollama_takes_none_of_it() -> None:
    with pytest.raises(ValueError, match="Ollama"):
        ollama_spec(stream=STREAM)
    with pytest.raises(ValueError, match="streamer concurrency"):
        Streaming(mirror=MIRROR, concurrency=0, memory_limit_bytes=1)


def test_streaming_pods_mount_the_s3_client_config_naming_the_addressing_style() -> None:
    for tpl in pod_templates(workload(r1("vllm", stream=STREAM))):
        pod = tpl["spec"]
        (c,) = pod["containers"]
        assert env_of(c)["AWS_CONFIG_FILE"]["value"] == f"{S3_CONFIG_MOUNT}/config"
        assert {"name": "s3-client-config", "configMap": {"name": "deepseek-r1-s3-client"}} in pod["volumes"]
        assert {"name": "s3-client-config", "mountPath": S3_CONFIG_MOUNT, "readOnly": True} in c["volumeMounts"]
    cm = s3_config_map("deepseek-r1", "llm", MIRROR)
    assert cm["metadata"]["name"] == "deepseek-r1-s3-client"
    assert configparser_style(cm["data"]["config"]) == "virtual"
    path_style = MirrorSpec(bucket="b-1250000000", region="r", endpoint="http://x", prefix="p", virtual_addressing=False)
    assert configparser_style(s3_config_map("m", "llm", path_style)["data"]["config"]) == "path"


def configparser_style(text: str) -> str:
    """What botocore reads: `[default]` section, `s3` sub-section, `addressing_style` (botocore/configloader.py
    parses the nested value the same way: an indented `key = value` block under `s3 =`)."""
    import configparser

    parser = configparser.ConfigParser()
    parser.read_string(text)
    nested = dict(line.split("=", 1) for line in parser["default"]["s3"].strip().splitlines())
    return {k.strip(): v.strip() for k, v in nested.items()}["addressing_style"]
