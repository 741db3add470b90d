"""The user's pod overrides (render/engines/overrides.py) in every engine pod: a Deployment's and a
LeaderWorkerSet's leader and workers carry the env, pull secrets, volumes, labels and annotations, after
the program's own and never over them."""

from __future__ import annotations

import pytest

from render.engines import workload
from render.engines.overrides import ExtraVolume, PodOverrides

from .helpers import make_spec, pod_templates, r1

OVERRIDES = PodOverrides(
    env=(("NCCL_DEBUG", "INFO"), ("VLLM_LOGGING_LEVEL", "DEBUG")),
    image_pull_secrets=("mirror-pull",),
    volumes=(ExtraVolume(name="templates", mount_path="/etc/templates", source={"configMap": {"name": "tpl"}}),
             ExtraVolume(name="cache", mount_path="/root/.cache", source={"emptyDir": {"sizeLimit": "10Gi"}},
                         read_only=False)),
    annotations={"example.com/owner": "team-a"},
    labels={"team": "a"},
)


@pytest.mark.parametrize("spec", [make_spec(overrides=OVERRIDES), r1(overrides=OVERRIDES), r1("vllm", overrides=OVERRIDES)],
                         ids=["deployment", "lws-sglang", "lws-vllm"])
def test_every_pod_of_the_model_carries_the_overrides(spec):
    templates = pod_templates(workload(spec))
    assert len(templates) == (2 if spec.nodes > 1 else 1)
    for tpl in templates:
        pod, c = tpl["spec"], tpl["spec"]["containers"][0]
        env = {e["name"]: e.get("value") for e in c["env"]}
        assert env["NCCL_DEBUG"] == "INFO" and env["VLLM_LOGGING_LEVEL"] == "DEBUG"
        assert [e["name"] for e in c["env"]][-2:] == ["NCCL_DEBUG", "VLLM_LOGGING_LEVEL"], "after the program's"
        assert pod["imagePullSecrets"] == [{"name": "mirror-pull"}]
        assert pod["volumes"][:2] == [v for v in pod["volumes"] if v["name"] in ("model", "shm")]
        assert pod["volumes"][2:] == [{"name": "templates", "configMap": {"name": "tpl"}},
                                      {"name": "cache", "emptyDir": {"sizeLimit": "10Gi"}}]
        assert c["volumeMounts"][2:] == [{"name": "templates", "mountPath": "/etc/templates", "readOnly": True},
                                         {"name": "cache", "mountPath": "/root/.cache", "readOnly": False}]
        assert tpl["metadata"]["labels"]["team"] == "a"
        assert tpl["metadata"]["labels"]["app.kubernetes.io/name"] == spec.name
        assert tpl["metadata"]["annotations"]["example.com/owner"] == "team-a"
    if spec.rdma is not None:
        assert all(tpl["metadata"]["annotations"]["tke.cloud.tencent.com/networks"] for tpl in templates)


def test_no_overrides_change_nothing():
    pod = pod_templates(workload(make_spec()))[0]["spec"]
    assert "imagePullSecrets" not in pod and [v["name"] for v in pod["volumes"]] == ["model", "shm"]


@pytest.mark.parametrize("overrides, message", [
    (PodOverrides(labels={"app.kubernetes.io/name": "x"}), "app.kubernetes.io/name"),
    (PodOverrides(labels={"role": "leader"}), "role"),
    (PodOverrides(annotations={"tke.cloud.tencent.com/networks": "a,b"}), "tke.cloud.tencent.com/networks"),
    (PodOverrides(volumes=(ExtraVolume("x", "/models/extra", {"emptyDir": {}}),)), "overlaps the program's mount /models"),
    (PodOverrides(volumes=(ExtraVolume("x", "/dev", {"emptyDir": {}}),)), "/dev/shm"),
])
def test_the_renderer_refuses_overriding_what_it_writes(overrides, message):
    with pytest.raises(ValueError, match=message):
        make_spec(overrides=overrides)


@pytest.mark.parametrize("build, message", [
    (lambda: PodOverrides(env=(("A", "1"), ("A", "2"))), "env names given twice: A"),
    (lambda: PodOverrides(volumes=(ExtraVolume("a", "/x", {"emptyDir": {}}), ExtraVolume("b", "/x/y", {"emptyDir": {}}))),
     "overlap"),
    (lambda: PodOverrides(labels={"leaderworkerset.sigs.k8s.io/name": "x"}), "LeaderWorkerSet's own"),
    (lambda: ExtraVolume("model", "/x", {"emptyDir": {}}), "the program's"),
])
def test_overrides_refuse_contradictions(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_an_env_name_the_engine_writes_is_refused_when_rendered():
    spec = make_spec(overrides=PodOverrides(env=(("VLLM_API_KEY", "x"),)))
    with pytest.raises(ValueError, match="VLLM_API_KEY written twice"):
        workload(spec)
