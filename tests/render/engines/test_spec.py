"""The engine spec (render/engines/spec.py): ports, paths, the Service name and what a spec refuses."""

from __future__ import annotations

from typing import Any

import pytest

from render.engines import ModelVolume, Placement, model_path, port, service, service_name, sglang, vllm
from render.engines.pod import PRESTOP_SLEEP_SECONDS

from .helpers import LOCAL, make_spec, r1


def test_ports_and_paths() -> None:
    assert (port("vllm"), port("sglang"), port("ollama")) == (8000, 30000, 11434)
    with pytest.raises(ValueError):
        port("tgi")
    assert model_path(make_spec()) == "/models/huggingface/Qwen/Qwen3-14B"
    assert model_path(make_spec(volume=ModelVolume("models", None, mount_path="/data"))) == "/data/huggingface/Qwen/Qwen3-14B"


def test_service_name_is_never_an_engine_or_the_lws_name() -> None:
    spec = make_spec()
    assert service_name(spec) == "qwen3-14b-api"
    for engine in ("vllm", "sglang", "ollama"):
        with pytest.raises(ValueError, match="P1"):
            service_name(spec, engine)
        with pytest.raises(ValueError, match="P1"):
            service(spec, name=engine)
    with pytest.raises(ValueError, match="headless"):
        service_name(spec, spec.name)
    with pytest.raises(ValueError, match="DNS-1035"):
        service_name(spec, "Bad_Name")
    # An engine-named model still gets a safe Service: `vllm` -> `vllm-api`, as the guide fixed it.
    assert service(make_spec(name="vllm"))["metadata"]["name"] == "vllm-api"
    assert service_name(r1(), "deepseek-r1-api") == "deepseek-r1-api"


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"name": "Qwen3_14B"}, "DNS-1035"),
        ({"name": "x" * 49}, "DNS-1035"),
        ({"model_dir": "/abs/path"}, "relative"),
        ({"model_dir": "../escape"}, "relative"),
        ({"gpus_per_node": 0}, "gpus_per_node"),
        ({"nodes": 0}, "nodes"),
        ({"gpu_memory_fraction": 1.5}, "gpu_memory_fraction"),
        ({"dtype": "fp8"}, "dtype"),
        ({"grace_seconds": PRESTOP_SLEEP_SECONDS}, "preStop"),
        ({"labels": {"app.kubernetes.io/name": "other"}}, "selector labels"),
        ({"max_model_len": 0}, "max_model_len"),
    ],
)
def test_spec_rejects_what_the_cluster_or_engine_would(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_spec(**overrides)


def test_placement_and_volume_rules() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        ModelVolume(pvc_name="models", host_path="/data/models")
    with pytest.raises(ValueError, match="exactly one"):
        ModelVolume(pvc_name=None, host_path=None)
    with pytest.raises(ValueError, match="host networking"):
        Placement(node_selector={}, tolerations=[], super_node_gpu_type="A10*PNV4", host_network=True)
    with pytest.raises(ValueError, match="super nodes have no persistent local disk"):
        make_spec(volume=LOCAL, placement=Placement({}, [], super_node_gpu_type="T4"))


@pytest.mark.parametrize(("engine", "gpus", "nodes", "tp", "pp"), [
    ("vllm", 8, 1, 8, 1), ("vllm", 8, 2, 8, 2), ("sglang", 8, 1, 8, 1), ("sglang", 8, 2, 16, 1),
])
def test_one_parallelism_mapping_drives_the_engine_flags(engine: str, gpus: int, nodes: int, tp: int, pp: int) -> None:
    """The TP/PP sizes the preflight sizes memory with are the ones the command line carries."""
    spec = make_spec(engine=engine, gpus_per_node=gpus) if nodes == 1 else r1(engine)
    assert spec.parallelism == (tp, pp)
    args = (vllm.vllm_args(spec, "server" if nodes == 1 else "leader") if engine == "vllm"
            else sglang.sglang_args(spec, "server" if nodes == 1 else "leader"))
    flag = "--tensor-parallel-size" if engine == "vllm" else "--tp-size"
    assert args[args.index(flag) + 1] == str(tp)
    if engine == "vllm" and nodes > 1:
        assert args[args.index("--pipeline-parallel-size") + 1] == str(pp)
