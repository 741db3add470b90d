"""The Ollama renderer (render/engines/ollama.py): environment, refused options and the local store."""

from __future__ import annotations

import pytest

from render.engines import deployment, workload
from render.engines import ollama

from .helpers import LOCAL, containers, env_of, ollama_spec, pod_templates


def test_ollama_environment() -> None:
    c = containers(deployment(ollama_spec(gpus_per_node=2)))[0]
    assert c["command"] == ["ollama", "serve"] and "args" not in c
    assert {k: v["value"] for k, v in env_of(c).items()} == {
        "OLLAMA_HOST": "0.0.0.0:11434",
        "OLLAMA_MODELS": "/models/ollama",
        "OLLAMA_KEEP_ALIVE": "-1",
        "OLLAMA_NOPRUNE": "1",
        "OLLAMA_SCHED_SPREAD": "1",
        "OLLAMA_CONTEXT_LENGTH": "32768",
        "OLLAMA_NUM_PARALLEL": "256",
    }
    one_gpu = env_of(containers(deployment(ollama_spec()))[0])
    assert "OLLAMA_SCHED_SPREAD" not in one_gpu
    assert c["ports"] == [{"name": "http", "containerPort": 11434, "protocol": "TCP"}]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert c[probe]["httpGet"] == {"path": "/", "port": "http"}


def test_ollama_rejects_multi_node_and_meaningless_options() -> None:
    with pytest.raises(ValueError, match="Ollama cannot serve one model across several nodes"):
        workload(ollama_spec(nodes=2))
    with pytest.raises(ValueError, match="Ollama cannot"):
        ollama.process(ollama_spec(nodes=2), "leader")
    with pytest.raises(ValueError, match="model tag"):
        deployment(ollama_spec(quantization="q4_K_M"))
    with pytest.raises(ValueError, match="no arguments"):
        deployment(ollama_spec(extra_args=("--verbose",)))


def test_ollama_local_store_mounts_the_ollama_directory() -> None:
    tpl = pod_templates(deployment(ollama_spec(volume=LOCAL)))[0]
    assert tpl["spec"]["volumes"][0]["hostPath"] == {"path": "/data/models/ollama", "type": "Directory"}
    assert tpl["spec"]["containers"][0]["volumeMounts"][0]["mountPath"] == "/models/ollama"
