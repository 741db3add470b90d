"""Gateway: the LiteLLM proxy in front of the engines. A generated master key in a Secret, the proxy
config in a ConfigMap (keys only as environment references), the Deployment (two or more replicas),
its Service, disruption budget and NetworkPolicy; with virtual keys, Postgres with a generated
password and the schema-migration Job that every new proxy rollout waits for."""

from __future__ import annotations

from typing import Any

import pulumi

from components.base import Component
from components.generated_secret import GeneratedSecret
from components.k8s import apply
from components.key_checksum import SecretData, rolled_on_keys
from render import litellm
from render.credentials import opaque_secret
from render.network_policy import allow_ingress, pod_peer

MIGRATION_SECONDS = 1800


class Gateway(Component):
    url: str
    """In-cluster base URL of the OpenAI-compatible API, ending in /v1."""
    api_key: pulumi.Output[str]
    """The key apps and the UI send (secret): the app key, which may call only the model API; with
    virtual keys (no app key) the master key, from which per-app keys are generated."""
    admin_key: pulumi.Output[str]
    """The master key (secret): LiteLLM treats it as admin (every route)."""
    key_secret: pulumi.Resource
    """The Secret holding `api_key`, for consumers that read it through secretKeyRef."""
    secret_data: SecretData
    """The content of the key Secrets by name, for the pods of other components that read them."""

    def __init__(
        self,
        name: str,
        *,
        spec: litellm.GatewaySpec,
        after: list[pulumi.Resource],
        ingress_rules: list[dict[str, Any]],
        db_image: str | None = None,
        db_storage_gi: int = 20,
        db_storage_class: str | None = None,
        engine_secrets: SecretData | None = None,
        master_rotation: int = 0,
        app_rotation: int = 0,
        opts: pulumi.ResourceOptions | None = None,
    ):
        """`after`: what the proxy pods need before they start (the engines' key Secrets), whose content
        is `engine_secrets`. `ingress_rules`: who may call the gateway (the UI, the exposure path).
        `*_rotation`: `keys.rotate`; the proxy pods roll when a key they read changes."""
        super().__init__("tke-llm:access:Gateway", name, opts)
        ns = spec.namespace
        # LiteLLM expects keys to start with `sk-` (virtual keys and the admin UI rely on it).
        master = GeneratedSecret(f"{name}-master-key", length=48, rotation=master_rotation, opts=self.child())
        self.admin_key = pulumi.Output.secret(pulumi.Output.concat("sk-", master.result))
        self.secret_data = {litellm.MASTER_KEY_SECRET: {litellm.MASTER_KEY_FIELD: self.admin_key}}
        master_secret = apply(
            f"{name}-master-key",
            opaque_secret(litellm.MASTER_KEY_SECRET, ns, dict(self.secret_data[litellm.MASTER_KEY_SECRET]),
                          litellm.COMPONENT),
            self.child(),
        )
        self.api_key, self.key_secret = self.admin_key, master_secret
        if not spec.virtual_keys:
            app = GeneratedSecret(f"{name}-app-key", length=48, rotation=app_rotation, opts=self.child())
            self.api_key = pulumi.Output.secret(pulumi.Output.concat("sk-", app.result))
            self.secret_data = {**self.secret_data, litellm.APP_KEY_SECRET: {litellm.APP_KEY_FIELD: self.api_key}}
            self.key_secret = apply(
                f"{name}-app-key",
                opaque_secret(litellm.APP_KEY_SECRET, ns, dict(self.secret_data[litellm.APP_KEY_SECRET]),
                              litellm.COMPONENT),
                self.child(),
            )
        config = apply(f"{name}-config", litellm.config_map(spec), self.child())
        deps: list[pulumi.Resource] = [master_secret, self.key_secret, config, *after]
        if spec.virtual_keys:
            deps.append(self._database(name, spec, db_image or "", db_storage_gi, db_storage_class))
        deployment = apply(f"{name}-deployment",
                           rolled_on_keys(litellm.deployment(spec), {**(engine_secrets or {}), **self.secret_data}),
                           self.child(depends_on=deps))
        self.service = apply(f"{name}-service", litellm.service(spec), self.child(depends_on=[deployment]))
        apply(f"{name}-pdb", litellm.disruption_budget(spec), self.child())
        if ingress_rules:
            apply(f"{name}-netpol", allow_ingress(litellm.NAME, ns, litellm.selector(), ingress_rules), self.child())
        self.deployment = deployment
        self.url = spec.url
        self.register_outputs({"url": self.url})

    def _database(self, name: str, spec: litellm.GatewaySpec, image: str, storage_gi: int,
                  storage_class: str | None) -> pulumi.Resource:
        """Postgres for LiteLLM's key store, then the migration Job; returns the Job, which the proxy
        Deployment waits for (Pulumi waits for a Job to complete)."""
        ns = spec.namespace
        password = GeneratedSecret(f"{name}-db-password", length=32, opts=self.child())
        salt = GeneratedSecret(f"{name}-salt-key", length=48, opts=self.child())
        url = password.result.apply(lambda p: litellm.database_url(p, ns))
        secret = apply(
            f"{name}-db-secret",
            opaque_secret(litellm.DATABASE_SECRET, ns,
                          {"password": password.result, "database-url": pulumi.Output.secret(url),
                           "salt-key": pulumi.Output.concat("sk-", salt.result)}, "gateway-db"),
            self.child(),
        )
        sts = apply(
            f"{name}-db",
            litellm.db_statefulset(ns, image, storage_gi, storage_class, spec.placement),
            self.child(depends_on=[secret]),
        )
        apply(f"{name}-db-service", litellm.db_service(ns), self.child(depends_on=[sts]))
        apply(
            f"{name}-db-netpol",
            allow_ingress(litellm.DB_NAME, ns, litellm.db_selector(), [{
                "from": [pod_peer(litellm.selector()), pod_peer({"app.kubernetes.io/component": "gateway-migration"})],
                "ports": [{"protocol": "TCP", "port": litellm.DB_PORT}],
            }]),
            self.child(),
        )
        wait = pulumi.CustomTimeouts(create=f"{MIGRATION_SECONDS}s", update=f"{MIGRATION_SECONDS}s")
        return apply(
            f"{name}-migrate", litellm.migration_job(spec),
            # A Job's template is immutable and its name fixed per image: replace by delete-then-create.
            self.child(depends_on=[secret, sts], custom_timeouts=wait, delete_before_replace=True),
        )
