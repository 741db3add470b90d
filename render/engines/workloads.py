"""The objects around the engine pods: a Deployment (one node per replica) or a LeaderWorkerSet (several
nodes per replica), and the ClusterIP Service clients and the gateway call."""

from __future__ import annotations

from typing import Any, Callable

from render.awaits import WAIT_FOR
from render.engines import ollama, sglang, vllm
from render.engines.pod import pod_template
from render.engines.spec import (
    COMPONENT,
    LWS_NAME_LABEL,
    NAME_LABEL,
    ROLE_LABEL,
    EngineSpec,
    Process,
    Role,
    port,
    selector_labels,
    service_name,
)
from render.meta import labels, metadata

IMAGE_PULL_ALLOWANCE_SECONDS = 600
"""Added to the start-up budget for the Deployment's progress deadline: serving images are 10-20 GB
and a fresh GPU node pulls them before the startup probe's clock starts."""

_PROCESSES: dict[str, Callable[[EngineSpec, Role], Process]] = {
    "vllm": vllm.process,
    "sglang": sglang.process,
    "ollama": ollama.process,
}


def engine_process(spec: EngineSpec, role: Role) -> Process:
    return _PROCESSES[spec.engine](spec, role)


def _object_labels(spec: EngineSpec) -> dict[str, str]:
    return labels(COMPONENT, **{**spec.labels, NAME_LABEL: spec.name})


SURGE = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
ONE_AT_A_TIME = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}
RECREATE = {"type": "Recreate"}


def strategy(spec: EngineSpec, surge_capacity: bool | None = None, max_replicas: int | None = None) -> dict[str, Any]:
    """How a new version replaces the old pods, decided by whether the GPU pool has a spare slot.

    - `surge_capacity` True (room for one more replica at every model's maximum): surge 1;
    - False, and the model may run two replicas or more (`max_replicas`): one pod at a time, no surge;
    - False, and never more than one replica: Recreate (a surge pod would wait for a GPU forever, P11).
    Without pool knowledge (`surge_capacity` None) the GPU count decides: one spare GPU is usually
    there, a spare multi-GPU slot usually is not. Why: docs/engines.md, "Rollouts"."""
    if surge_capacity is None:
        surge_capacity = spec.gpus_per_node == 1
    if surge_capacity:
        return dict(SURGE)
    most = spec.replicas if max_replicas is None else max_replicas
    return dict(ONE_AT_A_TIME) if most >= 2 else dict(RECREATE)


def deployment(spec: EngineSpec, surge_capacity: bool | None = None, max_replicas: int | None = None,
               await_seconds: int | None = None) -> dict[str, Any]:
    """`await_seconds`: how long Pulumi waits for the rollout (components/model_server.py), None when
    nothing awaits it; the progress deadline is never shorter."""
    if spec.nodes != 1:
        raise ValueError(f"{spec.name}: nodes={spec.nodes} needs a LeaderWorkerSet, not a Deployment")
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata(spec.name, spec.namespace, _object_labels(spec)),
        "spec": {
            "replicas": spec.replicas,
            "revisionHistoryLimit": 3,
            # Past this Kubernetes marks the rollout failed (and Pulumi's await gives up): it has to
            # cover the image pull plus the model load, and Pulumi's whole await (which on local disks
            # includes the node's own download, while the pod waits for the weights).
            "progressDeadlineSeconds": max(spec.startup_seconds + IMAGE_PULL_ALLOWANCE_SECONDS, await_seconds or 0),
            "selector": {"matchLabels": selector_labels(spec)},
            "strategy": strategy(spec, surge_capacity, max_replicas),
            "template": pod_template(spec, engine_process(spec, "server"), "server"),
        },
    }


def leaderworkerset(spec: EngineSpec, await_seconds: int | None = None) -> dict[str, Any]:
    """One group = `nodes` pods (a leader and nodes-1 workers), one GPU machine each; `replicas` groups.

    `RecreateGroupOnPodRestart` (a distributed engine cannot lose a rank), `startupPolicy: LeaderCreated`
    (with `LeaderReady` workers would wait for a leader that needs them), rolling updates one group at a
    time without surge (a surge group needs another set of whole GPU machines). See docs/engines.md."""
    if spec.nodes < 2:
        raise ValueError(f"{spec.name}: nodes={spec.nodes} runs as a Deployment, not a LeaderWorkerSet")
    # Awaited (`await_seconds` set): Pulumi waits until every group is up, so `pulumi up` ends when the
    # model serves; a parked set (no replicas) has no group to wait for.
    awaited = {WAIT_FOR: "condition=Available"} if await_seconds is not None and spec.replicas > 0 else None
    return {
        "apiVersion": "leaderworkerset.x-k8s.io/v1",
        "kind": "LeaderWorkerSet",
        "metadata": metadata(spec.name, spec.namespace, _object_labels(spec), awaited),
        "spec": {
            "replicas": spec.replicas,
            "startupPolicy": "LeaderCreated",
            "rolloutStrategy": {
                "type": "RollingUpdate",
                "rollingUpdateConfiguration": {"maxUnavailable": 1, "maxSurge": 0},
            },
            "leaderWorkerTemplate": {
                "size": spec.nodes,
                "restartPolicy": "RecreateGroupOnPodRestart",
                "leaderTemplate": pod_template(spec, engine_process(spec, "leader"), "leader"),
                "workerTemplate": pod_template(spec, engine_process(spec, "worker"), "worker"),
            },
        },
    }


def workload(spec: EngineSpec, surge_capacity: bool | None = None, max_replicas: int | None = None,
             await_seconds: int | None = None) -> dict[str, Any]:
    if spec.nodes > 1:
        return leaderworkerset(spec, await_seconds)
    return deployment(spec, surge_capacity, max_replicas, await_seconds)


def service(spec: EngineSpec, name: str | None = None, skip_await: bool = False) -> dict[str, Any]:
    """ClusterIP Service on the named port `http` (ServiceMonitors need a named port).

    Single node: selects the Deployment's pods. Multi-node: selects the leaders of every group (only
    leaders serve HTTP), so raising `replicas` adds groups behind the same Service (P12).

    `skip_await`: a model that scales to zero may have no endpoints, which Pulumi would otherwise wait
    for on every update."""
    if spec.nodes > 1:
        selector = {LWS_NAME_LABEL: spec.name, ROLE_LABEL: "leader"}
    else:
        selector = selector_labels(spec)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(service_name(spec, name), spec.namespace, _object_labels(spec),
                             {"pulumi.com/skipAwait": "true"} if skip_await else None),
        "spec": {
            "type": "ClusterIP",
            "selector": selector,
            "ports": [{"name": "http", "port": port(spec.engine), "targetPort": "http", "protocol": "TCP"}],
        },
    }


def manifests(spec: EngineSpec, service_name_override: str | None = None, surge_capacity: bool | None = None,
              max_replicas: int | None = None, skip_await: bool = False,
              await_seconds: int | None = None) -> list[dict[str, Any]]:
    """The workload and its Service, in apply order."""
    return [workload(spec, surge_capacity, max_replicas, await_seconds), service(spec, service_name_override, skip_await)]
