"""The pod every engine runs in: GPUs, shared memory, the model volume, probes, placement, hardening.

The startup probe alone carries the model-load budget, so liveness can be strict without killing a slow
load (P3); no probe may kill a busy server (SGLang's /health generates a token: its probes wait longer
than SGLANG_HEALTH_CHECK_TIMEOUT, readiness uses /ready). LWS workers get no probes. Hardened but for
root and a writable root file system, which the images need. Sources: docs/engines.md, "The engine pod".
"""

from __future__ import annotations

import math
import posixpath
from typing import Any

from render.engines import loading
from render.engines import sglang as sglang_engine
from render.engines.lora import VOLUME_PREFIX as LORA_VOLUME_PREFIX
from render.engines.spec import (
    COMPONENT,
    NAME_LABEL,
    NETWORKS_ANNOTATION,
    PRESTOP_SLEEP_SECONDS,
    RDMA_RESOURCE,
    ROLE_LABEL,
    SUPER_NODE_DEFAULT_ROOT_DISK_GB,
    SUPER_NODE_GPU_TYPE,
    SUPER_NODE_ROOT_DISK,
    EngineSpec,
    Process,
    Role,
    port,
    store_dir,
)
from render.meta import labels

GPU = "nvidia.com/gpu"
STARTUP_PERIOD = 10
READINESS_PERIOD = 5
LIVENESS_PERIOD = 15
LIVENESS_FAILURES = 4
PROBE_TIMEOUT = 5
"""/health can take a few seconds on a saturated server; the 1 s default would flap readiness."""
HEALTH_PATHS = {"vllm": "/health", "sglang": "/health", "ollama": "/"}
"""Ollama has no /health; `GET /` answers "Ollama is running" once the server listens."""
READINESS_PATHS = {"sglang": "/ready"}
"""Engines whose /health is too expensive to call every 5 s get a flag check for readiness."""
GENERATING_HEALTH_TIMEOUT = {"sglang": sglang_engine.HEALTH_CHECK_TIMEOUT + 10}
"""Probe timeout for a /health that runs a generation: the engine's own give-up time plus margin."""


def health_path(engine: str) -> str:
    return HEALTH_PATHS[engine]


def serves_http(role: Role) -> bool:
    return role != "worker"


def multi_node(role: Role) -> bool:
    return role in ("leader", "worker")


def probes(spec: EngineSpec) -> dict[str, Any]:
    health_timeout = GENERATING_HEALTH_TIMEOUT.get(spec.engine, PROBE_TIMEOUT)

    def http_get(path: str, period: int, failures: int, timeout: int) -> dict[str, Any]:
        return {
            "httpGet": {"path": path, "port": "http"},
            "periodSeconds": period,
            "timeoutSeconds": timeout,
            "failureThreshold": failures,
        }

    health = health_path(spec.engine)
    readiness = READINESS_PATHS.get(spec.engine, health)
    return {
        "startupProbe": http_get(health, STARTUP_PERIOD, math.ceil(spec.startup_seconds / STARTUP_PERIOD),
                                 health_timeout),
        "readinessProbe": http_get(readiness, READINESS_PERIOD, 3,
                                   PROBE_TIMEOUT if readiness != health else health_timeout),
        "livenessProbe": http_get(health, LIVENESS_PERIOD, LIVENESS_FAILURES, health_timeout),
    }


def _model_volume(spec: EngineSpec) -> tuple[dict[str, Any], dict[str, Any]]:
    """Shared storage mounts the whole claim read-only. Local storage mounts only this server's
    directory, with hostPath type `Directory`: the per-node downloader renames that directory into
    place only once the download is complete, so the kubelet keeps the pod in ContainerCreating (and
    retries) until the weights are whole, instead of letting the engine crash-loop on half a model.
    No init container is needed and no GPU is held while a node downloads."""
    vol = spec.volume
    if vol.pvc_name is not None:
        # With a compile cache the claim is attached read-write for its cache mount alone; the weights'
        # mount stays read-only (_cache_mount).
        claim = {"claimName": vol.pvc_name, **({} if spec.compile_cache is not None else {"readOnly": True})}
        volume = {"name": "model", "persistentVolumeClaim": claim}
        mount = {"name": "model", "mountPath": vol.mount_path, "readOnly": True}
    else:
        sub = store_dir(spec)
        volume = {"name": "model", "hostPath": {"path": posixpath.join(vol.host_path or "", sub), "type": "Directory"}}
        mount = {"name": "model", "mountPath": posixpath.join(vol.mount_path, sub), "readOnly": True}
    return volume, mount


def _cache_mount(spec: EngineSpec) -> list[dict[str, Any]]:
    """The model's compile-cache directory of the shared volume, read-write, from the same volume as the
    weights (one attachment of the claim); the kubelet creates the subPath directory when it is missing."""
    if spec.compile_cache is None:
        return []
    return [{"name": "model", "mountPath": loading.CACHE_MOUNT, "subPath": spec.compile_cache}]


def _s3_config(spec: EngineSpec) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """The S3 client config file (loading.s3_config_map) of a streaming model, read-only."""
    if spec.stream is None:
        return []
    return [({"name": loading.S3_CONFIG_VOLUME, "configMap": {"name": loading.s3_config_map_name(spec.name)}},
             {"name": loading.S3_CONFIG_VOLUME, "mountPath": loading.S3_CONFIG_MOUNT, "readOnly": True})]


def _adapter_volumes(spec: EngineSpec) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Local disks: the pod sees only its model's directory, so each adapter's directory (filled by the
    same per-node downloader, renamed into place when whole) is mounted beside it. Shared storage mounts
    the whole claim: nothing to add."""
    vol = spec.volume
    if spec.lora is None or vol.host_path is None:
        return []
    return [({"name": f"{LORA_VOLUME_PREFIX}{i}",
              "hostPath": {"path": posixpath.join(vol.host_path, a.dir), "type": "Directory"}},
             {"name": f"{LORA_VOLUME_PREFIX}{i}", "mountPath": posixpath.join(vol.mount_path, a.dir), "readOnly": True})
            for i, a in enumerate(spec.lora.adapters)]


def env(spec: EngineSpec, process: Process) -> list[dict[str, Any]]:
    """The engine's environment, then the RDMA group's NCCL/Gloo variables, then the user's
    (`models[].env`). A name two of them write is refused: the second would silently win in the
    container (checks/owned_env.py names the key first)."""
    out = [dict(e) for e in process.env]
    if spec.rdma is not None:
        out += [{"name": k, "value": v} for k, v in spec.rdma.env]
    out += [{"name": k, "value": v} for k, v in spec.overrides.env]
    names = [e["name"] for e in out]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"{spec.name}: environment variable(s) {', '.join(twice)} written twice")
    return out


def container(spec: EngineSpec, process: Process, role: Role) -> dict[str, Any]:
    volume_mount = _model_volume(spec)[1]
    gpus = str(spec.gpus_per_node)
    c: dict[str, Any] = {
        "name": spec.engine,
        "image": spec.image,
        "imagePullPolicy": "IfNotPresent",
        "command": list(process.command),
    }
    if process.args:
        c["args"] = list(process.args)
    variables = env(spec, process)
    if variables:
        c["env"] = variables
    if serves_http(role):
        c["ports"] = [{"name": "http", "containerPort": port(spec.engine), "protocol": "TCP"}]
    extended = {GPU: gpus}
    if spec.rdma is not None:
        # An extended resource: request == limit, as for the GPUs (tke-ai-playbook multinode.yaml).
        extended[RDMA_RESOURCE] = str(spec.rdma.devices)
    c["resources"] = {
        "requests": {"cpu": spec.cpu, "memory": spec.memory, **extended},
        "limits": {"memory": spec.memory, **extended},
    }
    c["volumeMounts"] = [volume_mount, *_cache_mount(spec), *(m for _, m in _s3_config(spec)),
                         {"name": "shm", "mountPath": "/dev/shm"},
                         *(m for _, m in _adapter_volumes(spec)), *(v.mount() for v in spec.overrides.volumes)]
    if serves_http(role):
        c.update(probes(spec))
        # An exec sleep rather than the `sleep` lifecycle action: that action is beta only from 1.30 and
        # LWS clusters may run 1.28. The images all ship coreutils.
        c["lifecycle"] = {"preStop": {"exec": {"command": ["sleep", str(PRESTOP_SLEEP_SECONDS)]}}}
    c["securityContext"] = {
        "allowPrivilegeEscalation": False,
        # NCCL pins (mlocks) its buffers for the RDMA NICs: IPC_LOCK, as every TKE RDMA example adds.
        "capabilities": {"drop": ["ALL"], **({"add": ["IPC_LOCK"]} if spec.rdma is not None else {})},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    return c


def pod_spec(spec: EngineSpec, container_args: Process, role: Role) -> dict[str, Any]:
    """The pod spec shared by every engine and role. GPU request == limit (extended resources allow
    nothing else); memory request == limit so the scheduler's view matches what the kernel enforces;
    no CPU limit, because CFS throttling of the tokenizer/scheduler threads stalls the GPUs."""
    volume = _model_volume(spec)[0]
    pod: dict[str, Any] = {
        "containers": [container(spec, container_args, role)],
        "volumes": [volume, *(v for v, _ in _s3_config(spec)),
                    {"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": spec.shm_size}},
                    *(v for v, _ in _adapter_volumes(spec)), *(v.volume() for v in spec.overrides.volumes)],
        "restartPolicy": "Always",
        "terminationGracePeriodSeconds": spec.grace_seconds,
        "enableServiceLinks": False,
        "automountServiceAccountToken": False,
        "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
    }
    if spec.overrides.image_pull_secrets:
        pod["imagePullSecrets"] = [{"name": n} for n in spec.overrides.image_pull_secrets]
    spec.placement.pod_placement.apply(pod)
    if spec.placement.host_network:
        # Host networking reaches the RDMA NICs (HCCPNV6); without ClusterFirstWithHostNet the pod would
        # use the node's resolv.conf and LWS_LEADER_ADDRESS would not resolve (P9). hostPID, which the
        # reference also sets, is not needed for NCCL and would expose the node's processes.
        pod["hostNetwork"] = True
        pod["dnsPolicy"] = "ClusterFirstWithHostNet"
    return pod


def pod_annotations(spec: EngineSpec) -> dict[str, str]:
    """TKE super nodes pick the GPU model from the pod annotation and need a bigger system disk (P7).
    RDMA pods name their networks, on the host network too, as Tencent's playbook does."""
    p = spec.placement
    out: dict[str, str] = dict(spec.overrides.annotations)
    if spec.rdma is not None:
        out[NETWORKS_ANNOTATION] = spec.rdma.networks
    if p.super_node_gpu_type is not None:
        out[SUPER_NODE_GPU_TYPE] = p.super_node_gpu_type
        out[SUPER_NODE_ROOT_DISK] = str(p.root_disk_gb or SUPER_NODE_DEFAULT_ROOT_DISK_GB)
    return out


def pod_labels(spec: EngineSpec, role: Role) -> dict[str, str]:
    extra = {**spec.overrides.labels, **spec.labels, NAME_LABEL: spec.name}
    if multi_node(role):
        extra[ROLE_LABEL] = role
    return labels(COMPONENT, **extra)


def pod_template(spec: EngineSpec, process: Process, role: Role) -> dict[str, Any]:
    metadata: dict[str, Any] = {"labels": pod_labels(spec, role)}
    annotations = pod_annotations(spec)
    if annotations:
        metadata["annotations"] = annotations
    return {"metadata": metadata, "spec": pod_spec(spec, process, role)}
