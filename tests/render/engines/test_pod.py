"""The shared engine pod spec (render/engines/pod.py), for every engine and topology: GPU resources, probes,
hardening, super-node annotations and the model volume."""

from __future__ import annotations

import math

import pytest

from render.engines import deployment, leaderworkerset, model_path, port, workload
from render.engines.pod import PRESTOP_SLEEP_SECONDS

from .helpers import ALL_SPECS, LOCAL, containers, make_spec, pod_templates, r1


@pytest.mark.parametrize("key", ALL_SPECS)
def test_gpu_request_equals_limit(key: str) -> None:
    spec = ALL_SPECS[key]
    for c in containers(workload(spec)):
        res = c["resources"]
        assert res["requests"]["nvidia.com/gpu"] == res["limits"]["nvidia.com/gpu"] == str(spec.gpus_per_node)
        assert res["requests"]["memory"] == res["limits"]["memory"] == spec.memory
        assert res["requests"]["cpu"] == spec.cpu and "cpu" not in res["limits"]


@pytest.mark.parametrize("key", ALL_SPECS)
def test_probes_liveness_only_behind_a_startup_probe(key: str) -> None:
    spec = ALL_SPECS[key]
    obj = workload(spec)
    for tpl in pod_templates(obj):
        role = tpl["metadata"]["labels"].get("role", "server")
        c = tpl["spec"]["containers"][0]
        if role == "worker":
            # Workers run no HTTP server: no probes, no port, no preStop drain.
            assert not {"startupProbe", "readinessProbe", "livenessProbe", "ports", "lifecycle"} & set(c)
            continue
        assert "livenessProbe" in c and "startupProbe" in c
        startup, readiness, liveness = c["startupProbe"], c["readinessProbe"], c["livenessProbe"]
        assert startup["periodSeconds"] == 10
        assert startup["failureThreshold"] == math.ceil(spec.startup_seconds / 10)
        assert startup["failureThreshold"] * startup["periodSeconds"] >= spec.startup_seconds
        assert (readiness["periodSeconds"], readiness["failureThreshold"]) == (5, 3)
        assert (liveness["periodSeconds"], liveness["failureThreshold"]) == (15, 4)
        assert "initialDelaySeconds" not in liveness
        path = "/" if spec.engine == "ollama" else "/health"
        for p in (startup, liveness):
            assert p["httpGet"] == {"path": path, "port": "http"}
        ready = "/ready" if spec.engine == "sglang" else path
        assert readiness["httpGet"] == {"path": ready, "port": "http"}
        assert c["ports"] == [{"name": "http", "containerPort": port(spec.engine), "protocol": "TCP"}]
        assert c["lifecycle"]["preStop"]["exec"]["command"] == ["sleep", str(PRESTOP_SLEEP_SECONDS)]
        assert tpl["spec"]["terminationGracePeriodSeconds"] == spec.grace_seconds > PRESTOP_SLEEP_SECONDS


@pytest.mark.parametrize("key", ALL_SPECS)
def test_pod_hardening_and_service_links(key: str) -> None:
    spec = ALL_SPECS[key]
    for tpl in pod_templates(workload(spec)):
        pod = tpl["spec"]
        assert pod["enableServiceLinks"] is False  # P1, even if someone names a Service `vllm`
        assert pod["automountServiceAccountToken"] is False
        assert pod["securityContext"] == {"seccompProfile": {"type": "RuntimeDefault"}}
        assert "hostPID" not in pod
        sc = pod["containers"][0]["securityContext"]
        assert sc["allowPrivilegeEscalation"] is False
        assert sc["capabilities"]["drop"] == ["ALL"]
        assert sc["capabilities"].get("add", []) == (["IPC_LOCK"] if pod.get("hostNetwork") else [])
        assert sc["seccompProfile"] == {"type": "RuntimeDefault"}
        shm = next(v for v in pod["volumes"] if v["name"] == "shm")
        assert shm["emptyDir"] == {"medium": "Memory", "sizeLimit": spec.shm_size}
        assert {"name": "shm", "mountPath": "/dev/shm"} in pod["containers"][0]["volumeMounts"]
        assert pod.get("nodeSelector", {}) == spec.placement.node_selector
        assert pod.get("tolerations", []) == spec.placement.tolerations


def test_super_node_annotations() -> None:
    tpl = pod_templates(workload(ALL_SPECS["vllm-super-node"]))[0]
    assert tpl["metadata"]["annotations"] == {
        "eks.tke.cloud.tencent.com/gpu-type": "A10*PNV4",
        "eks.tke.cloud.tencent.com/root-cbs-size": "200",
    }
    default_disk = pod_templates(workload(ALL_SPECS["ollama-super-node"]))[0]["metadata"]["annotations"]
    assert default_disk["eks.tke.cloud.tencent.com/root-cbs-size"] == "100"  # P7: 20 GiB cannot hold the image
    assert "annotations" not in pod_templates(workload(make_spec()))[0]["metadata"]


def test_model_volume_shared_storage_is_read_only_claim() -> None:
    pod = pod_templates(deployment(make_spec()))[0]["spec"]
    assert pod["volumes"][0] == {"name": "model", "persistentVolumeClaim": {"claimName": "models", "readOnly": True}}
    assert pod["containers"][0]["volumeMounts"][0] == {"name": "model", "mountPath": "/models", "readOnly": True}


@pytest.mark.parametrize("engine", ["vllm", "sglang"])
def test_local_storage_uses_host_path_on_leader_and_worker(engine: str) -> None:
    spec = r1(engine, volume=LOCAL)
    leader, worker = pod_templates(leaderworkerset(spec))
    for tpl in (leader, worker):
        pod = tpl["spec"]
        assert pod["volumes"][0] == {
            "name": "model",
            "hostPath": {"path": "/data/models/modelscope/deepseek-ai/DeepSeek-R1", "type": "Directory"},
        }
        assert not any("persistentVolumeClaim" in v for v in pod["volumes"])  # the reference leader's bug
        mount = pod["containers"][0]["volumeMounts"][0]
        assert mount == {"name": "model", "mountPath": model_path(spec), "readOnly": True}
