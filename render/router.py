"""A router per model between the gateway and the model's replicas: it watches the model's serving pods
(label selector, its own namespace) and sends each request to the replica that likely holds its prompt
prefix in KV cache (or round-robin, by session, to the least loaded). vLLM models get vllm-router
0.1.17, SGLang models SGLang's model gateway (sglang-router 0.3.2); flags, endpoints and policy names
are from those releases' sources. The router forwards the caller's Authorization header, so the
engine key the gateway sends still reaches the engine and the router holds no key. Choice, sources
and measurements: docs/routing.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from render import rbac
from render.disruption import pdb
from render.meta import ROLLING_NO_DOWNTIME, labels, metadata
from render.meta import deployment as deployment_manifest
from render.placement import PodPlacement

Router = Literal["vllm-router", "sglang-router"]
Policy = Literal["prefix-aware", "round-robin", "session", "least-load"]
ROUTERS: tuple[Router, ...] = ("vllm-router", "sglang-router")
POLICIES: tuple[Policy, ...] = ("prefix-aware", "round-robin", "session", "least-load")

ROUTER_FOR_ENGINE: dict[str, Router] = {"vllm": "vllm-router", "sglang": "sglang-router"}
"""Ollama has no router: its API is not OpenAI-shaped for one and it keeps no shared prefix cache."""

POLICY_FLAGS: dict[Router, dict[str, str]] = {
    # vllm-router 0.1.17 (PyPI wheel vllm_router/router_args.py `--policy` choices; Rust src/main.rs):
    # consistent_hash keys on x-session-id / x-user-id headers, then the body's `user` (src/policies/hash_key.rs).
    "vllm-router": {"prefix-aware": "cache_aware", "round-robin": "round_robin",
                    "session": "consistent_hash", "least-load": "power_of_two"},
    # sglang-router 0.3.2 (PyPI wheel sglang_router/router_args.py): random, round_robin, cache_aware,
    # power_of_two, manual. `manual` keys only on the x-smg-routing-key header, which the gateway does
    # not pass on, so `session` is not offered for SGLang.
    "sglang-router": {"prefix-aware": "cache_aware", "round-robin": "round_robin", "least-load": "power_of_two"},
}

COMPONENT = "router"
NAME_LABEL = "app.kubernetes.io/name"
COMPONENT_LABEL = "app.kubernetes.io/component"
PORT = 8080
"""The router's HTTP port (vllm-router's Dockerfile.router EXPOSEs 8080)."""
METRICS_PORT = 29000
"""Both routers' Prometheus port (default `--prometheus-port 29000`; bound to 127.0.0.1 unless
`--prometheus-host` says otherwise)."""
LIVENESS_PATH = "/liveness"
"""Answers 200 while the process serves, with or without replicas (measured on vllm-router 0.1.17)."""
READINESS_PATH = "/readiness"
"""503 `no healthy workers available` until a replica passes the router's health check."""
HEALTH_SUCCESS_THRESHOLD = 2
"""Consecutive passed health checks before a router sends a replica requests (`--health-success-threshold`,
default 2 in vllm-router 0.1.17 and sglang-router 0.3.2, `--help`); checks are `health_interval_seconds` apart."""
MAX_TREE_SIZE = 2 ** 23
"""Characters of prompt the prefix tree keeps per replica (the releases default to 2^25 / 2^26): about
two million tokens, more than a replica's KV cache holds, with less memory (docs/routing.md)."""


def router_name(model: str) -> str:
    """`<model>-router`: the Deployment, Service, ServiceAccount, Role and budget of one model's router."""
    return f"{model}-router"


@dataclass(frozen=True)
class RouterSpec:
    model: str
    """The model's k8s name (`models[].name`); the router's objects are named `<model>-router`."""
    namespace: str
    router: Router
    image: str
    policy: Policy
    engine_selector: dict[str, str]
    """Labels of the model's pods that serve HTTP (the Deployment's pods, or every LWS group's leader)."""
    engine_port: int
    served_name: str
    min_replicas: int
    """Engine replicas the model never goes below; 0 when it scales to zero."""
    max_replicas: int
    replicas: int = 1
    """Router pods. One by default: the prefix tree lives in the router's memory, and two routers would
    each learn half the traffic and split a prefix over two replicas."""
    cpu: str = "500m"
    memory: str = "1Gi"
    placement: PodPlacement = field(default_factory=PodPlacement)
    health_interval_seconds: int = 10
    """How often the router checks each replica's /health; three failures drop it."""
    request_timeout_seconds: int = 600

    def __post_init__(self) -> None:
        if self.router not in ROUTERS:
            raise ValueError(f"router {self.router!r} is not one of {', '.join(ROUTERS)}")
        if self.policy not in POLICY_FLAGS[self.router]:
            raise ValueError(f"{self.router} has no {self.policy!r} policy (it has "
                             f"{', '.join(POLICY_FLAGS[self.router])})")
        if not self.engine_selector:
            raise ValueError("the router needs the engine pods' labels to discover the replicas")
        if self.replicas < 1:
            raise ValueError(f"router replicas must be >= 1, got {self.replicas}")
        if not 0 <= self.min_replicas <= self.max_replicas or self.max_replicas < 1:
            raise ValueError(f"replica bounds {self.min_replicas}..{self.max_replicas} are not a range")
        if self.health_interval_seconds < 1 or self.request_timeout_seconds < 1:
            raise ValueError("health interval and request timeout must be >= 1 s")

    @property
    def name(self) -> str:
        return router_name(self.model)

    @property
    def policy_flag(self) -> str:
        """The router's own name for the policy (`--policy`)."""
        return POLICY_FLAGS[self.router][self.policy]

    @property
    def url(self) -> str:
        """In-cluster base URL of the router's OpenAI-compatible API, what the gateway calls."""
        return f"http://{self.name}.{self.namespace}.svc:{PORT}/v1"


def pod_labels(spec: RouterSpec) -> dict[str, str]:
    return labels(COMPONENT, **{NAME_LABEL: spec.name})


def selector(spec: RouterSpec) -> dict[str, str]:
    return {NAME_LABEL: spec.name, COMPONENT_LABEL: COMPONENT}


def command(spec: RouterSpec) -> list[str]:
    """vllm/vllm-router runs the Rust binary (`vllm-router` on PATH); lmsysorg/sglang-router the Python
    launcher (its ENTRYPOINT, docker/gateway.Dockerfile)."""
    if spec.router == "vllm-router":
        return ["vllm-router"]
    return ["python3", "-m", "sglang_router.launch_router"]


def args(spec: RouterSpec, worker_urls: list[str] | None = None, host: str = "0.0.0.0", port: int = PORT,
         metrics_port: int = METRICS_PORT) -> list[str]:
    """The router's arguments. In the cluster it discovers the replicas by label selector in its own
    namespace; `worker_urls` (tests on loopback) lists them instead. Both routers take the same flags."""
    out = ["--host", host, "--port", str(port), "--policy", spec.policy_flag]
    if spec.policy == "prefix-aware":
        out += ["--max-tree-size", str(MAX_TREE_SIZE)]
    if worker_urls is None:
        out += ["--service-discovery", "--selector", *(f"{k}={v}" for k, v in sorted(spec.engine_selector.items())),
                "--service-discovery-namespace", spec.namespace,
                "--service-discovery-port", str(spec.engine_port)]
    else:
        out += ["--worker-urls", *worker_urls]
    out += [
        "--prometheus-host", host, "--prometheus-port", str(metrics_port),
        "--health-check-interval-secs", str(spec.health_interval_seconds),
        "--request-timeout-secs", str(spec.request_timeout_seconds),
    ]
    return out


def readiness_path(spec: RouterSpec) -> str:
    """`/readiness` (ready once a replica is healthy), except for a model that scales to zero: its router
    must stay reachable with no replica, or the Service would refuse the request that wakes the model
    and Pulumi would wait for a readiness that never comes."""
    return LIVENESS_PATH if spec.min_replicas == 0 else READINESS_PATH


def _hardening() -> dict[str, Any]:
    return {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


TOKEN_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
"""Where in-cluster Kubernetes clients (the routers' kube-rs) read the token, CA and namespace."""


def token_volume() -> dict[str, Any]:
    """The ServiceAccount token the router lists and watches pods with, mounted into the router
    container only: the same projected volume the kubelet adds with automounting (a bound token
    renewed by the kubelet, the cluster CA, the namespace), written out so nothing else gets one."""
    return {"name": "kube-api-access", "projected": {"defaultMode": 0o444, "sources": [
        {"serviceAccountToken": {"path": "token", "expirationSeconds": 3607}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1",
                                                                     "fieldPath": "metadata.namespace"}}]}},
    ]}}


def deployment(spec: RouterSpec) -> dict[str, Any]:
    """The router pods, on the CPU pool (`placement`), with the ServiceAccount that may read pods."""
    container = {
        "name": "router",
        "image": spec.image,
        "imagePullPolicy": "IfNotPresent",
        "command": command(spec),
        "args": args(spec),
        "ports": [{"name": "http", "containerPort": PORT, "protocol": "TCP"},
                  {"name": "metrics", "containerPort": METRICS_PORT, "protocol": "TCP"}],
        "resources": {"requests": {"cpu": spec.cpu, "memory": spec.memory}, "limits": {"memory": spec.memory}},
        "startupProbe": {"httpGet": {"path": LIVENESS_PATH, "port": "http"}, "periodSeconds": 2,
                         "timeoutSeconds": 3, "failureThreshold": 60},
        "readinessProbe": {"httpGet": {"path": readiness_path(spec), "port": "http"}, "periodSeconds": 5,
                           "timeoutSeconds": 3, "failureThreshold": 2},
        "livenessProbe": {"httpGet": {"path": LIVENESS_PATH, "port": "http"}, "periodSeconds": 10,
                          "timeoutSeconds": 5, "failureThreshold": 3},
        "volumeMounts": [{"name": "kube-api-access", "mountPath": TOKEN_DIR, "readOnly": True}],
        "lifecycle": {"preStop": {"exec": {"command": ["sleep", "5"]}}},
        "securityContext": {**_hardening(), "readOnlyRootFilesystem": True, "runAsNonRoot": True,
                            "runAsUser": 65534, "runAsGroup": 65534},
    }
    pod = spec.placement.apply({
        "serviceAccountName": spec.name,
        "automountServiceAccountToken": False,
        "containers": [container],
        "volumes": [token_volume()],
        "enableServiceLinks": False,
        "terminationGracePeriodSeconds": spec.request_timeout_seconds + 15,
        "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
    })
    return deployment_manifest(spec.name, spec.namespace, pod_labels(spec), selector(spec), spec.replicas, pod,
                               strategy=dict(ROLLING_NO_DOWNTIME))


def service(spec: RouterSpec) -> dict[str, Any]:
    """The gateway calls `http`; the ServiceMonitor scrapes `metrics`."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(spec.name, spec.namespace, pod_labels(spec)),
        "spec": {
            "type": "ClusterIP",
            "selector": selector(spec),
            "ports": [{"name": "http", "port": PORT, "targetPort": "http", "protocol": "TCP"},
                      {"name": "metrics", "port": METRICS_PORT, "targetPort": "metrics", "protocol": "TCP"}],
        },
    }


def service_account(spec: RouterSpec) -> dict[str, Any]:
    return rbac.service_account(spec.name, spec.namespace, pod_labels(spec))


def role(spec: RouterSpec) -> dict[str, Any]:
    """Read pods in the router's own namespace, nothing else (the routers' service discovery watches
    pods only: sglang docs `sgl_model_gateway.md`, "RBAC: get, list and watch on pods")."""
    return rbac.role(spec.name, spec.namespace, pod_labels(spec),
                     [{"apiGroups": [""], "resources": ["pods"], "verbs": list(rbac.READ)}])


def role_binding(spec: RouterSpec) -> dict[str, Any]:
    return rbac.role_binding(spec.name, spec.namespace, pod_labels(spec))


def disruption_budget(spec: RouterSpec, k8s_minor: int) -> dict[str, Any]:
    return pdb(spec.name, spec.namespace, selector(spec), k8s_minor, component=COMPONENT)


def network_policy(spec: RouterSpec, callers: list[dict[str, str]]) -> dict[str, Any]:
    """`<model>-router-ingress`: only the `callers` (the gateway's pods) reach the router's API port.
    The metrics port is opened to Prometheus by the monitoring layer (render/monitoring.py `allow_scrape`)."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata(f"{spec.name}-ingress", spec.namespace, labels("network-policy")),
        "spec": {
            "podSelector": {"matchLabels": selector(spec)},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"podSelector": {"matchLabels": dict(c)}} for c in callers],
                         "ports": [{"protocol": "TCP", "port": PORT}]}],
        },
    }


def manifests(spec: RouterSpec, callers: list[dict[str, str]], k8s_minor: int) -> list[dict[str, Any]]:
    """Every object of one router, in apply order (RBAC before the pods that use it)."""
    return [service_account(spec), role(spec), role_binding(spec), deployment(spec), service(spec),
            disruption_budget(spec, k8s_minor), network_policy(spec, callers)]
