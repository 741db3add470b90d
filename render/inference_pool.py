"""An InferencePool backend (Gateway API Inference Extension v1.6.2) for one model, instead of its
router: the pool (the model's engine pods), the endpoint picker (upstream's lightweight EPP, `lwepp`,
which picks a pool pod per request for the Gateway over Envoy ext_proc), its RBAC, and an HTTPRoute
on the stack's Gateway whose backend is the pool. LiteLLM stays in front and calls the Gateway at
`url`. Upstream facts (ports, flags, watched kinds, health service) are cited where used; the
module is sigs.k8s.io/gateway-api-inference-extension@v1.6.2. docs/routing.md, "InferencePool".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from render import rbac
from render.meta import ROLLING_NO_DOWNTIME, labels, metadata
from render.meta import deployment as deployment_manifest
from render.placement import PodPlacement
from render.router import token_volume

GROUP = "inference.networking.k8s.io"
API_VERSION = f"{GROUP}/v1"
GATEWAY_API_GROUP = "gateway.networking.k8s.io"
COMPONENT = "endpoint-picker"
NAME_LABEL = "app.kubernetes.io/name"
COMPONENT_LABEL = "app.kubernetes.io/component"
GRPC_PORT = 9002
"""ext_proc gRPC port the Gateway calls (pkg/lwepp/server/options.go `DefaultGrpcPort`)."""
HEALTH_PORT = 9003
"""gRPC health server (`DefaultGrpcHealthPort`), started before the pool syncs (cmd/lwepp/main.go)."""
METRICS_PORT = 9090
"""controller-runtime metrics (`NewOptions`: `MetricsPort: 9090`)."""
READY_SERVICE = "inference-extension"
"""Health service that turns SERVING once the pool is synced (pkg/lwepp/server/runserver.go)."""
RUN_AS = 65532
"""The image's base is gcr.io/distroless/static:nonroot (lwepp.Dockerfile), whose user is 65532."""
PATH_PREFIX = "/tke-llm"


def pool_name(model: str) -> str:
    """`<model>-pool`: the InferencePool and its HTTPRoute."""
    return f"{model}-pool"


def epp_name(model: str) -> str:
    """`<model>-epp`: the endpoint picker's Deployment, Service, ServiceAccount, Role and binding."""
    return f"{model}-epp"


@dataclass(frozen=True)
class PoolSpec:
    model: str
    """The model's k8s name; objects are `<model>-pool` and `<model>-epp`."""
    namespace: str
    image: str
    engine_selector: dict[str, str]
    """Labels of the model's pods that serve HTTP: the pool's selector."""
    engine_port: int
    gateway_url: str
    """The Gateway listener's in-cluster base URL (http(s)://host[:port]), what LiteLLM calls."""
    gateway_name: str
    gateway_namespace: str
    section_name: str | None = None
    proxy_namespace: str | None = None
    """Where the Gateway's proxy pods run (default: the Gateway's namespace); they call the EPP."""
    timeout_seconds: int = 600
    placement: PodPlacement = field(default_factory=PodPlacement)
    cpu: str = "100m"
    memory: str = "256Mi"

    def __post_init__(self) -> None:
        if not self.engine_selector:
            raise ValueError("the pool needs the engine pods' labels")
        if not 1 <= self.engine_port <= 65535:
            raise ValueError(f"engine port {self.engine_port} is not a port")
        if not self.gateway_url.startswith(("http://", "https://")):
            raise ValueError(f"gateway URL {self.gateway_url!r} is not an http(s) URL")

    @property
    def name(self) -> str:
        return pool_name(self.model)

    @property
    def epp(self) -> str:
        return epp_name(self.model)

    @property
    def path(self) -> str:
        """The path prefix the model's HTTPRoute matches; the Gateway strips it before the pool."""
        return f"{PATH_PREFIX}/{self.model}"

    @property
    def url(self) -> str:
        """What LiteLLM calls for this model: the Gateway, under the model's prefix, ending in /v1."""
        return f"{self.gateway_url.rstrip('/')}{self.path}/v1"

    @property
    def host(self) -> str | None:
        """The gateway URL's host name, the route's hostname (None for an IP address, which a
        Gateway API hostname cannot be)."""
        host = self.gateway_url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[0].lower()
        return None if host.replace(".", "").isdigit() or host.startswith("[") else host


def epp_labels(spec: PoolSpec) -> dict[str, str]:
    return labels(COMPONENT, **{NAME_LABEL: spec.epp})


def epp_selector(spec: PoolSpec) -> dict[str, str]:
    return {NAME_LABEL: spec.epp, COMPONENT_LABEL: COMPONENT}


def inference_pool(spec: PoolSpec) -> dict[str, Any]:
    """The pool: the engine pods by label, their API port, and the picker's Service (CRD
    inference.networking.k8s.io_inferencepools.yaml, v1)."""
    return {
        "apiVersion": API_VERSION,
        "kind": "InferencePool",
        "metadata": metadata(spec.name, spec.namespace, labels("inference-pool")),
        "spec": {
            "selector": {"matchLabels": dict(spec.engine_selector)},
            "targetPorts": [{"number": spec.engine_port}],
            "endpointPickerRef": {"group": "", "kind": "Service", "name": spec.epp,
                                  "port": {"number": GRPC_PORT}, "failureMode": "FailClose"},
        },
    }


def args(spec: PoolSpec) -> list[str]:
    """lwepp's flags (pkg/lwepp/server/options.go `AddFlags`): the pool it serves; the ports are the
    defaults, written out so the Service and probes cannot drift from them."""
    return ["--pool-name", spec.name, "--pool-namespace", spec.namespace, "--pool-group", GROUP,
            "--grpc-port", str(GRPC_PORT), "--grpc-health-port", str(HEALTH_PORT),
            "--metrics-port", str(METRICS_PORT)]


def deployment(spec: PoolSpec) -> dict[str, Any]:
    """One picker pod (round-robin state is per process), probed over gRPC health on 9003: alive when
    the server answers, ready once the pool is synced."""
    container = {
        "name": "epp",
        "image": spec.image,
        "imagePullPolicy": "IfNotPresent",
        "args": args(spec),
        "ports": [{"name": "grpc", "containerPort": GRPC_PORT, "protocol": "TCP"},
                  {"name": "grpc-health", "containerPort": HEALTH_PORT, "protocol": "TCP"},
                  {"name": "metrics", "containerPort": METRICS_PORT, "protocol": "TCP"}],
        "resources": {"requests": {"cpu": spec.cpu, "memory": spec.memory}, "limits": {"memory": spec.memory}},
        "livenessProbe": {"grpc": {"port": HEALTH_PORT}, "periodSeconds": 10, "failureThreshold": 3},
        "readinessProbe": {"grpc": {"port": HEALTH_PORT, "service": READY_SERVICE}, "periodSeconds": 2,
                           "failureThreshold": 3},
        "volumeMounts": [{"name": "kube-api-access", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                          "readOnly": True}],
        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                            "seccompProfile": {"type": "RuntimeDefault"}, "readOnlyRootFilesystem": True,
                            "runAsNonRoot": True, "runAsUser": RUN_AS, "runAsGroup": RUN_AS},
    }
    pod = spec.placement.apply({
        "serviceAccountName": spec.epp,
        "automountServiceAccountToken": False,
        "containers": [container],
        "volumes": [token_volume()],
        "enableServiceLinks": False,
        "terminationGracePeriodSeconds": 30,
        "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
    })
    return deployment_manifest(spec.epp, spec.namespace, epp_labels(spec), epp_selector(spec), 1, pod,
                               strategy=dict(ROLLING_NO_DOWNTIME))


def service(spec: PoolSpec) -> dict[str, Any]:
    """What `endpointPickerRef` names: the Gateway calls port 9002 (gRPC, so `appProtocol: http2`)."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(spec.epp, spec.namespace, epp_labels(spec)),
        "spec": {"type": "ClusterIP", "selector": epp_selector(spec),
                 "ports": [{"name": "grpc-ext-proc", "port": GRPC_PORT, "targetPort": "grpc", "protocol": "TCP",
                            "appProtocol": "http2"},
                           {"name": "metrics", "port": METRICS_PORT, "targetPort": "metrics", "protocol": "TCP"}]},
    }


def service_account(spec: PoolSpec) -> dict[str, Any]:
    return rbac.service_account(spec.epp, spec.namespace, epp_labels(spec))


def role(spec: PoolSpec) -> dict[str, Any]:
    """Read pods and inferencepools in the namespace: what lwepp's manager caches
    (pkg/lwepp/server/controller_manager.go `defaultManagerOptions`: Pod, InferencePool)."""
    return rbac.role(spec.epp, spec.namespace, epp_labels(spec),
                     [{"apiGroups": [""], "resources": ["pods"], "verbs": list(rbac.READ)},
                      {"apiGroups": [GROUP], "resources": ["inferencepools"], "verbs": list(rbac.READ)}])


def role_binding(spec: PoolSpec) -> dict[str, Any]:
    return rbac.role_binding(spec.epp, spec.namespace, epp_labels(spec))


def proxy_namespace(spec: PoolSpec) -> str:
    return spec.proxy_namespace or spec.gateway_namespace


def network_policy(spec: PoolSpec) -> dict[str, Any]:
    """`<model>-epp-ingress`: only the Gateway's proxy namespace reaches the ext_proc port."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata(f"{spec.epp}-ingress", spec.namespace, labels("network-policy")),
        "spec": {
            "podSelector": {"matchLabels": epp_selector(spec)},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {
                "kubernetes.io/metadata.name": proxy_namespace(spec)}}}],
                "ports": [{"protocol": "TCP", "port": GRPC_PORT}]}],
        },
    }


def http_route(spec: PoolSpec) -> dict[str, Any]:
    """`<model>-pool` on the stack's Gateway: requests under `/tke-llm/<model>/` (with the gateway URL's
    host) go to the pool, the prefix replaced by `/`, so the engine sees `/v1/...`."""
    parent: dict[str, Any] = {"group": GATEWAY_API_GROUP, "kind": "Gateway", "name": spec.gateway_name,
                              "namespace": spec.gateway_namespace}
    if spec.section_name:
        parent["sectionName"] = spec.section_name
    rule = {
        "matches": [{"path": {"type": "PathPrefix", "value": spec.path}}],
        "filters": [{"type": "URLRewrite", "urlRewrite": {"path": {"type": "ReplacePrefixMatch",
                                                                     "replacePrefixMatch": "/"}}}],
        "backendRefs": [{"group": GROUP, "kind": "InferencePool", "name": spec.name}],
        "timeouts": {"request": f"{spec.timeout_seconds}s"},
    }
    route_spec: dict[str, Any] = {"parentRefs": [parent], "rules": [rule]}
    if spec.host:
        route_spec["hostnames"] = [spec.host]
    return {
        "apiVersion": f"{GATEWAY_API_GROUP}/v1",
        "kind": "HTTPRoute",
        "metadata": metadata(spec.name, spec.namespace, labels("inference-pool")),
        "spec": route_spec,
    }


def manifests(spec: PoolSpec) -> list[dict[str, Any]]:
    """Every object of one model's pool, in apply order (RBAC before the picker, the pool before its route)."""
    return [service_account(spec), role(spec), role_binding(spec), deployment(spec), service(spec),
            network_policy(spec), inference_pool(spec), http_route(spec)]
