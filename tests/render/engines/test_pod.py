"""The shared engine pod spec (render/engines/pod.py), for every engine and topology: GPU and RDMA resources,
probes, hardening, super-node and RDMA annotations and the model volume."""

from __future__ import annotations

import math

import pytest

from render.engines import Placement, Rdma, deployment, leaderworkerset, model_path, port, workload
from render.engines.pod import PRESTOP_SLEEP_SECONDS

from .helpers import ALL_SPECS, GPU_TOLERATION, LOCAL, RDMA, containers, env_of, make_spec, pod_templates, r1


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
        # NCCL pins memory for the RDMA NICs, on or off the host network; nothing else adds a capability.
        assert sc["capabilities"].get("add", []) == (["IPC_LOCK"] if spec.rdma is not None else [])
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


# ---------------------------------------------------------------------------------------------- RDMA


@pytest.mark.parametrize("engine", ["vllm", "sglang"])
def test_rdma_devices_annotation_and_nccl_env_on_leader_and_worker(engine: str) -> None:
    """Every pod of the group, leader and workers, requests the rdma-agent's devices (request == limit,
    as for GPUs), names its RDMA network and carries the NCCL/Gloo settings after the engine's own."""
    spec = r1(engine, rdma=Rdma(devices=4, networks="tke-route-eni,tke-rdma-macvlan",
                                env=(("NCCL_IB_GID_INDEX", "3"), ("NCCL_IB_HCA", "mlx5"),
                                     ("NCCL_SOCKET_IFNAME", "eth0"), ("GLOO_SOCKET_IFNAME", "eth0"),
                                     ("NCCL_DEBUG", "INFO"))))
    leader, worker = pod_templates(leaderworkerset(spec))
    for tpl in (leader, worker):
        assert tpl["metadata"]["annotations"] == {"tke.cloud.tencent.com/networks": "tke-route-eni,tke-rdma-macvlan"}
        (c,) = tpl["spec"]["containers"]
        res = c["resources"]
        assert res["requests"]["tke.cloud.tencent.com/tke-shared-rdma"] == "4"
        assert res["limits"]["tke.cloud.tencent.com/tke-shared-rdma"] == "4"
        env = env_of(c)
        assert {k: env[k]["value"] for k in ("NCCL_IB_GID_INDEX", "NCCL_IB_HCA", "NCCL_SOCKET_IFNAME",
                                             "GLOO_SOCKET_IFNAME", "NCCL_DEBUG")} == {
            "NCCL_IB_GID_INDEX": "3", "NCCL_IB_HCA": "mlx5", "NCCL_SOCKET_IFNAME": "eth0",
            "GLOO_SOCKET_IFNAME": "eth0", "NCCL_DEBUG": "INFO"}
        assert [e["name"] for e in c["env"]][-5:] == ["NCCL_IB_GID_INDEX", "NCCL_IB_HCA", "NCCL_SOCKET_IFNAME",
                                                      "GLOO_SOCKET_IFNAME", "NCCL_DEBUG"]
        assert "LWS_WORKER_INDEX" in env  # the engine's own variables stay
        assert c["securityContext"]["capabilities"] == {"drop": ["ALL"], "add": ["IPC_LOCK"]}


@pytest.mark.parametrize("engine", ["vllm", "sglang"])
def test_no_rdma_renders_no_device_annotation_or_nccl_env(engine: str) -> None:
    spec = r1(engine, placement=Placement({"p": "gpu"}, [GPU_TOLERATION]), rdma=None)
    for tpl in pod_templates(leaderworkerset(spec)):
        assert "annotations" not in tpl["metadata"]
        (c,) = tpl["spec"]["containers"]
        assert not [k for k in c["resources"]["requests"] if "rdma" in k]
        assert not [e for e in c.get("env", []) if e["name"].startswith(("NCCL_", "GLOO_"))]
        assert "add" not in c["securityContext"]["capabilities"]


@pytest.mark.parametrize("name", ["VLLM_HOST_IP", "SGLANG_API_KEY", "LWS_WORKER_INDEX", "HF_HUB_OFFLINE"])
def test_an_rdma_variable_cannot_silently_override_the_engines_own(name: str) -> None:
    """A variable written twice would silently take the later value in the container: refused."""
    engine = "vllm" if name.startswith("VLLM") else "sglang"
    spec = r1(engine, rdma=Rdma(devices=1, networks="tke-bridge,tke-rdma-ipvlan", env=((name, "x"),)))
    with pytest.raises(ValueError, match=f"{name} written twice"):
        leaderworkerset(spec)


def test_rdma_spec_rules() -> None:
    with pytest.raises(ValueError, match="RDMA is for multi-node groups"):
        make_spec(gpus_per_node=8, rdma=RDMA)
    with pytest.raises(ValueError, match="host networking alone gives a pod no RDMA device"):
        r1(rdma=None)
    with pytest.raises(ValueError, match="must be >= 1"):
        Rdma(devices=0, networks="tke-bridge,tke-rdma-ipvlan", env=())
    with pytest.raises(ValueError, match="pod network, then the RDMA network"):
        Rdma(devices=1, networks="tke-rdma-ipvlan", env=())
    with pytest.raises(ValueError, match="unique"):
        Rdma(devices=1, networks="tke-bridge,tke-rdma-ipvlan", env=(("NCCL_DEBUG", "INFO"), ("NCCL_DEBUG", "WARN")))
