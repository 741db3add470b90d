"""The LiteLLM gateway: its proxy config (one `model_list` entry per served model), the objects that
run it, and, when virtual keys are on, its Postgres and the schema-migration Job.

No secret is written into the config (`os.environ/VAR` references, filled from Secrets). Without a
database LiteLLM answers an unknown key with 400, so a small `custom_auth` module admits the master
and app keys, answers 401 otherwise and carries the per-model rate limits. Checked against litellm
1.110.2 by tests/behaviour/test_gateway_proxy.py. More: docs/gateway.md, "The LiteLLM gateway".
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import yaml

from catalog.litellm_routes import APP_ROUTES
from render import cold_hold
from render.awaits import replaced_when_unready
from render.files import source
from render.meta import deployment as deployment_manifest
from render.meta import http_service, labels, metadata
from render.placement import PodPlacement

NAME = "llm-gateway"
"""Deployment, Service and ConfigMap name. Not `litellm`: a Service of that name would inject
LITELLM_PORT=tcp://... into the namespace's pods (the P1 pattern)."""
PORT = 4000
COMPONENT = "gateway"
NAME_LABEL = "app.kubernetes.io/name"
CONFIG_DIR = "/etc/litellm"
CONFIG_FILE = "config.yaml"
AUTH_MODULE = "tke_llm_auth"
LIMITS_FILE = "model_limits.json"
APP_ROUTES_FILE = "app_routes.json"
MASTER_KEY_ENV = "LITELLM_MASTER_KEY"
MASTER_KEY_SECRET = f"{NAME}-master-key"
MASTER_KEY_FIELD = "master-key"
APP_KEY_ENV = "LITELLM_APP_KEY"
APP_KEY_SECRET = f"{NAME}-app-key"
APP_KEY_FIELD = "app-key"
DATABASE_SECRET = f"{NAME}-db"
DB_NAME = f"{NAME}-db"
DB_PORT = 5432
DB_USER = "litellm"
CONFIG_HASH_ANNOTATION = "tke-llm.io/config-sha256"

AUTH_FILE = "litellm_auth.py"
"""The `custom_auth` module (render/files/), shipped as `<AUTH_MODULE>.py` beside the config."""


@dataclass(frozen=True)
class Backend:
    """One served model behind the gateway."""

    name: str
    """The model's k8s name (`models[].name`); names the env var that carries its key."""
    served_name: str
    api_base: str
    """In-cluster URL of the engine's OpenAI API, ending in /v1."""
    key_secret: str
    """Secret holding the engine's key under `api-key`."""
    hold: cold_hold.Hold | None = None
    """How long a request waits at the gateway while this backend does not answer (render/cold_hold.py)."""
    probe_path: str = cold_hold.ENGINE_PROBE
    """What the hold asks to learn the backend can answer: ROUTER_PROBE when api_base is a router."""

    def __post_init__(self) -> None:
        if not self.api_base.endswith("/v1"):
            raise ValueError(f"{self.name}: api_base {self.api_base!r} must end in /v1")

    @property
    def key_env(self) -> str:
        return "ENGINE_KEY_" + self.name.upper().replace("-", "_")


@dataclass(frozen=True)
class AdapterRoute:
    """A LoRA adapter behind the gateway: a model name of its own, sent to its base model's backend (so
    to that model's replicas) as the model name the engine knows it by."""

    served_name: str
    base: str
    """The base model's Backend.name."""
    engine_model: str
    """What the engine is sent as `model` (render/engines/lora.py engine_model)."""


@dataclass(frozen=True)
class RateLimit:
    model: str
    rpm: int | None = None
    tpm: int | None = None


@dataclass(frozen=True)
class GatewaySpec:
    namespace: str
    image: str
    backends: tuple[Backend, ...]
    replicas: int = 2
    routing_strategy: str = "simple-shuffle"
    request_timeout_seconds: int = 600
    num_retries: int = 2
    fallbacks: tuple[tuple[str, tuple[str, ...]], ...] = ()
    rate_limits: tuple[RateLimit, ...] = ()
    virtual_keys: bool = False
    cpu: str = "500m"
    memory: str = "1Gi"
    placement: PodPlacement = field(default_factory=PodPlacement)
    """Off the GPU nodes when there is no system pool to select (derive/placement.py)."""
    header_models: tuple[str, ...] = ()
    """Served names whose callers' `x-` headers the gateway passes on (LiteLLM's
    `model_group_settings.forward_client_headers_to_llm_api`): models routed by session, whose router
    keys on `x-session-id` (docs/routing.md)."""
    adapters: tuple[AdapterRoute, ...] = ()
    """LoRA adapters, each one more `model_list` entry on its base model's backend."""

    def __post_init__(self) -> None:
        if not self.backends:
            raise ValueError("the gateway needs at least one model (LiteLLM refuses an empty model_list)")
        served = {b.served_name for b in self.backends} | {a.served_name for a in self.adapters}
        if len(served) != len(self.backends) + len(self.adapters):
            raise ValueError("served names must be unique")
        bases = {b.name for b in self.backends}
        for a in self.adapters:
            if a.base not in bases:
                raise ValueError(f"adapter {a.served_name!r} names base {a.base!r}, which is not a backend")
        for r in self.rate_limits:
            if r.model not in served:
                raise ValueError(f"rate limit for {r.model!r}, which the gateway does not serve")
        for src, dst in self.fallbacks:
            if src not in served or not set(dst) <= served:
                raise ValueError(f"fallback {src!r} -> {list(dst)} names a model the gateway does not serve")
        if not set(self.header_models) <= served:
            raise ValueError(f"header forwarding for {sorted(set(self.header_models) - served)}, not served here")
        if self.virtual_keys and self.rate_limits:
            raise ValueError("rate limits ride on the database-less auth; with virtual keys set them per key")

    @property
    def url(self) -> str:
        """In-cluster base URL of the OpenAI-compatible API."""
        return f"http://{NAME}.{self.namespace}.svc:{PORT}/v1"


def pod_labels() -> dict[str, str]:
    return labels(COMPONENT, **{NAME_LABEL: NAME})


def selector() -> dict[str, str]:
    return {NAME_LABEL: NAME, "app.kubernetes.io/component": COMPONENT}


def proxy_config(spec: GatewaySpec) -> dict[str, Any]:
    """LiteLLM's config.yaml as data. Engines speak the OpenAI API, so every entry is `openai/<served
    name>` at the engine's /v1 URL; the key is read from the environment at start-up. A LoRA adapter is
    one more entry at its base model's URL, sending the engine the adapter's own model name."""
    model_list = [
        {
            "model_name": b.served_name,
            "litellm_params": {
                "model": f"openai/{b.served_name}",
                "api_base": b.api_base,
                "api_key": f"os.environ/{b.key_env}",
            },
        }
        for b in spec.backends
    ]
    by_name = {b.name: b for b in spec.backends}
    model_list += [
        {
            "model_name": a.served_name,
            "litellm_params": {
                "model": f"openai/{a.engine_model}",
                "api_base": by_name[a.base].api_base,
                "api_key": f"os.environ/{by_name[a.base].key_env}",
            },
        }
        for a in spec.adapters
    ]
    router: dict[str, Any] = {
        "routing_strategy": spec.routing_strategy,
        "num_retries": spec.num_retries,
        "timeout": spec.request_timeout_seconds,
    }
    if spec.fallbacks:
        router["fallbacks"] = [{src: list(dst)} for src, dst in spec.fallbacks]
    general: dict[str, Any] = {"master_key": f"os.environ/{MASTER_KEY_ENV}"}
    if spec.virtual_keys:
        general["database_url"] = "os.environ/DATABASE_URL"
    else:
        general["custom_auth"] = f"{AUTH_MODULE}.user_api_key_auth"
    settings: dict[str, Any] = {
        "request_timeout": spec.request_timeout_seconds,
        "num_retries": spec.num_retries,
        # Metrics for Prometheus at /metrics (same port); LiteLLM requires the master key there.
        "callbacks": ["prometheus", *cold_hold.callbacks(spec.backends)],
    }
    if spec.header_models:
        # Only these models get the callers' `x-` headers (litellm/proxy/litellm_pre_call_utils.py
        # add_headers_to_llm_call_by_model_group, 1.102.4); the OpenAI `user` field is not passed to an
        # openai-compatible backend (gpt_transformation.py: catalog models only).
        settings["model_group_settings"] = {"forward_client_headers_to_llm_api": list(spec.header_models)}
    return {
        "model_list": model_list,
        "router_settings": router,
        "litellm_settings": settings,
        "general_settings": general,
    }


def model_limits(spec: GatewaySpec) -> dict[str, dict[str, int]]:
    return {
        "rpm": {r.model: r.rpm for r in spec.rate_limits if r.rpm is not None},
        "tpm": {r.model: r.tpm for r in spec.rate_limits if r.tpm is not None},
    }


def config_files(spec: GatewaySpec) -> dict[str, str]:
    """The ConfigMap's data: config.yaml, plus the auth module and its limits without a database."""
    files = {CONFIG_FILE: yaml.safe_dump(proxy_config(spec), sort_keys=False)}
    if not spec.virtual_keys:
        files[f"{AUTH_MODULE}.py"] = source(AUTH_FILE)
        files[LIMITS_FILE] = json.dumps(model_limits(spec), indent=2, sort_keys=True) + "\n"
        files[APP_ROUTES_FILE] = json.dumps(list(APP_ROUTES), indent=2) + "\n"
    files.update(cold_hold.config_files(spec.backends, source(cold_hold.HOOK_FILE), adapter_bases(spec)))
    return files


def adapter_bases(spec: GatewaySpec) -> dict[str, str]:
    """Each adapter's served name -> its base model's: an adapter is held like its base (same replicas),
    unless it has a fallback, which a held request would never reach (the hook runs before the router)."""
    by_name = {b.name: b.served_name for b in spec.backends}
    falls_back = {src for src, _ in spec.fallbacks}
    return {a.served_name: by_name[a.base] for a in spec.adapters if a.served_name not in falls_back}


def config_hash(spec: GatewaySpec) -> str:
    files = config_files(spec)
    return hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()


def config_map_name(spec: GatewaySpec) -> str:
    """`llm-gateway-config-<hash10>`: named after its content, so a config change is a new ConfigMap.
    A fixed name would be replaced delete-then-create (a ConfigMap's data is immutable to the provider:
    pulumi-kubernetes v4.32.0 provider/pkg/provider/diff.go), leaving a moment with no config for a
    pod that starts then. A new name is created first, the Deployment rolls onto it, and the old one is
    deleted only after the update, so the old pods keep their own config to the end."""
    return f"{NAME}-config-{config_hash(spec)[:10]}"


def config_map(spec: GatewaySpec) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata(config_map_name(spec), spec.namespace, labels(COMPONENT)),
        "data": config_files(spec),
    }


def _secret_env(name: str, secret: str, key: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def env(spec: GatewaySpec) -> list[dict[str, Any]]:
    out = [_secret_env(MASTER_KEY_ENV, MASTER_KEY_SECRET, MASTER_KEY_FIELD)]
    if not spec.virtual_keys:
        out.append(_secret_env(APP_KEY_ENV, APP_KEY_SECRET, APP_KEY_FIELD))
    out += [_secret_env(b.key_env, b.key_secret, "api-key") for b in spec.backends]
    if spec.virtual_keys:
        out += [
            _secret_env("DATABASE_URL", DATABASE_SECRET, "database-url"),
            _secret_env("LITELLM_SALT_KEY", DATABASE_SECRET, "salt-key"),
            # The migration Job owns the schema; proxies never migrate on start (several replicas
            # racing on a migration, or a new pod serving against an old schema).
            {"name": "DISABLE_SCHEMA_UPDATE", "value": "true"},
        ]
    out += [
        {"name": "LITELLM_MODE", "value": "PRODUCTION"},
        # The model price map ships in the image; without this LiteLLM fetches it from GitHub at every
        # start, which stalls start-up where GitHub is slow or unreachable (mainland China, no egress).
        {"name": "LITELLM_LOCAL_MODEL_COST_MAP", "value": "True"},
    ]
    return out


def _hardening() -> dict[str, Any]:
    return {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def _spread_skew(spec: GatewaySpec) -> int:
    """1 (one replica per node where it can) unless the pods carry the off-GPU preference: then 2.

    The scheduler weighs NodeAffinity and PodTopologySpread equally; with maxSkew 1 and one CPU node
    the spread score cancels the off-GPU preference (the real scheduler put the pod on the GPU node).
    maxSkew 2 keeps every node's spread score above 0, so the preference wins. The scoring, with its
    Kubernetes v1.30 sources: docs/placement.md, "The gateway's spread"."""
    return 2 if spec.placement.affinity else 1


def deployment(spec: GatewaySpec) -> dict[str, Any]:
    """At least two replicas spread over nodes; a rollout adds a pod before removing one, and a pod
    leaves the Service before it stops (preStop), so in-flight requests finish."""
    probe = {"port": "http"}
    container = {
        "name": "litellm",
        "image": spec.image,
        "imagePullPolicy": "IfNotPresent",
        "args": ["--config", f"{CONFIG_DIR}/{CONFIG_FILE}", "--port", str(PORT), "--num_workers", "1"],
        "ports": [{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
        "env": env(spec),
        "resources": {
            "requests": {"cpu": spec.cpu, "memory": spec.memory},
            "limits": {"memory": spec.memory},
        },
        "volumeMounts": [{"name": "config", "mountPath": CONFIG_DIR, "readOnly": True}],
        "startupProbe": {"httpGet": {"path": "/health/liveliness", **probe}, "periodSeconds": 5,
                         "timeoutSeconds": 5, "failureThreshold": 60},
        "readinessProbe": {"httpGet": {"path": "/health/readiness", **probe}, "periodSeconds": 10,
                           "timeoutSeconds": 5, "failureThreshold": 3},
        "livenessProbe": {"httpGet": {"path": "/health/liveliness", **probe}, "periodSeconds": 15,
                          "timeoutSeconds": 5, "failureThreshold": 4},
        "lifecycle": {"preStop": {"exec": {"command": ["sleep", "10"]}}},
        "securityContext": _hardening(),
    }
    pod = spec.placement.apply({
        "containers": [container],
        "volumes": [{"name": "config", "configMap": {"name": config_map_name(spec)}}],
        "enableServiceLinks": False,
        "automountServiceAccountToken": False,
        "terminationGracePeriodSeconds": spec.request_timeout_seconds + 30,
        "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
        "topologySpreadConstraints": [{
            "maxSkew": _spread_skew(spec), "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": selector()},
        }],
    })
    return deployment_manifest(NAME, spec.namespace, pod_labels(), selector(), spec.replicas, pod,
                      pod_annotations={CONFIG_HASH_ANNOTATION: config_hash(spec)})


def service(spec: GatewaySpec) -> dict[str, Any]:
    return http_service(NAME, spec.namespace, pod_labels(), selector(), PORT)


def disruption_budget(spec: GatewaySpec) -> dict[str, Any]:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": metadata(NAME, spec.namespace, pod_labels()),
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector()}},
    }


# --- virtual keys: Postgres and the schema migration ---------------------------------------------

def db_labels() -> dict[str, str]:
    return labels("gateway-db", **{NAME_LABEL: DB_NAME})


def db_selector() -> dict[str, str]:
    return {NAME_LABEL: DB_NAME, "app.kubernetes.io/component": "gateway-db"}


def database_url(password: str, namespace: str) -> str:
    return f"postgresql://{DB_USER}:{password}@{DB_NAME}.{namespace}.svc:{DB_PORT}/litellm"


def db_statefulset(namespace: str, image: str, storage_gi: int, storage_class: str | None,
                   placement: PodPlacement) -> dict[str, Any]:
    claim: dict[str, Any] = {
        "metadata": {"name": "data", "labels": db_labels()},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": f"{storage_gi}Gi"}}},
    }
    if storage_class:
        claim["spec"]["storageClassName"] = storage_class
    container = {
        "name": "postgres",
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"name": "postgres", "containerPort": DB_PORT, "protocol": "TCP"}],
        "env": [
            {"name": "POSTGRES_USER", "value": DB_USER},
            {"name": "POSTGRES_DB", "value": "litellm"},
            _secret_env("POSTGRES_PASSWORD", DATABASE_SECRET, "password"),
            {"name": "PGDATA", "value": "/var/lib/postgresql/data/pgdata"},
        ],
        "resources": {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"memory": "512Mi"}},
        "volumeMounts": [{"name": "data", "mountPath": "/var/lib/postgresql/data"},
                         {"name": "run", "mountPath": "/var/run/postgresql"}, {"name": "tmp", "mountPath": "/tmp"}],
        "readinessProbe": {"exec": {"command": ["pg_isready", "-U", DB_USER, "-d", "litellm"]},
                           "periodSeconds": 10, "timeoutSeconds": 5},
        "livenessProbe": {"exec": {"command": ["pg_isready", "-U", DB_USER, "-d", "litellm"]},
                          "periodSeconds": 20, "timeoutSeconds": 5, "failureThreshold": 6},
        "securityContext": {**_hardening(), "readOnlyRootFilesystem": True, "runAsNonRoot": True,
                            "runAsUser": 70, "runAsGroup": 70},
    }
    pod = placement.apply({
        "containers": [container],
        "volumes": [{"name": "run", "emptyDir": {}}, {"name": "tmp", "emptyDir": {}}],
        "enableServiceLinks": False,
        "automountServiceAccountToken": False,
        "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}, "fsGroup": 70},
    })
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": metadata(DB_NAME, namespace, db_labels()),
        "spec": {
            "serviceName": DB_NAME,
            "replicas": 1,
            "selector": {"matchLabels": db_selector()},
            "template": {"metadata": {"labels": db_labels()}, "spec": pod},
            "volumeClaimTemplates": [claim],
            # The key store outlives the StatefulSet (the default, stated).
            "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
        },
    }


def db_service(namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(DB_NAME, namespace, db_labels()),
        "spec": {"type": "ClusterIP", "selector": db_selector(),
                 "ports": [{"name": "postgres", "port": DB_PORT, "targetPort": "postgres", "protocol": "TCP"}]},
    }


def migration_job(spec: GatewaySpec) -> dict[str, Any]:
    """`prisma_migration.py` of the same image the proxies run, named after the image: a new LiteLLM
    version is a new Job, which Pulumi runs to completion before it updates the Deployment."""
    digest = hashlib.sha256(spec.image.encode()).hexdigest()[:8]
    container = {
        "name": "migrate",
        "image": spec.image,
        "imagePullPolicy": "IfNotPresent",
        "command": ["python", "litellm/proxy/prisma_migration.py"],
        "workingDir": "/app",
        "env": [_secret_env("DATABASE_URL", DATABASE_SECRET, "database-url"),
                {"name": "DISABLE_SCHEMA_UPDATE", "value": "false"}],
        "resources": {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"memory": "1Gi"}},
        "securityContext": _hardening(),
    }
    # A migration that failed once (the database was not up yet, say) is re-run by the next `up`.
    return replaced_when_unready({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": metadata(f"{NAME}-migrate-{digest}", spec.namespace, labels("gateway-migration")),
        "spec": {
            "backoffLimit": 6,
            "activeDeadlineSeconds": 1800,
            "template": {
                "metadata": {"labels": labels("gateway-migration")},
                "spec": spec.placement.apply({
                    "containers": [container],
                    "restartPolicy": "Never",
                    "enableServiceLinks": False,
                    "automountServiceAccountToken": False,
                    "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
                }),
            },
        },
    })
