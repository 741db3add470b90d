"""ModelServer: one served model. A generated API key in a Secret, the workload (a Deployment on one
node, a LeaderWorkerSet across nodes) that starts only once the weights are in place, and the
ClusterIP Service named `<model>-api` (never an engine's or the LeaderWorkerSet's own name)."""

from __future__ import annotations

import pulumi

from components.base import Component
from components.generated_secret import GeneratedSecret
from components.k8s import apply
from components.key_checksum import SecretData, rolled_on_keys
from derive.serving import ServingPlan
from render.credentials import opaque_secret
from render.disruption import Rollout
from render.engines import manifests, port, service_name
from render.engines.loading import s3_config_map
from render.engines.spec import selector_labels
from render.network_policy import allow_to_server


def server_await_seconds(plan: ServingPlan) -> int:
    """How long Pulumi waits for a server's rollout: image pull and weight loading (`load_seconds`)
    plus ten minutes. On local disks a server can start before its weights are there: a GPU node that
    joins for it (a pool at minSize 0, a new replica) downloads its own copy through the DaemonSet
    while the server pod waits on the hostPath, so the download budget is added."""
    budget = plan.load_seconds + 600
    if plan.spec.volume.host_path is not None:
        budget += plan.download_seconds
    return budget


class ModelServer(Component):
    service_url: str
    """In-cluster base URL of the OpenAI-compatible API, ending in /v1."""
    api_key: pulumi.Output[str]
    secret_data: SecretData
    """The key Secret's content by its name, for the pods of other components that read it."""

    def __init__(
        self,
        name: str,
        *,
        plan: ServingPlan,
        after: list[pulumi.Resource],
        rollout: Rollout | None = None,
        api_peers: list[dict[str, str]] | None = None,
        extra_rules: list[dict] | None = None,
        key_rotation: int = 0,
        opts: pulumi.ResourceOptions | None = None,
    ):
        """`rollout` (from the pool capacity and the autoscaler) picks the update strategy; with an
        autoscaler, `spec.replicas` belongs to it and Pulumi leaves the field alone after creation.
        `api_peers` / `extra_rules`: who may call the engine (derive/access.py `engine_ingress`: the
        gateway; without one, the UI and the API's exposure path); default any pod of the stack.
        `key_rotation`: `keys.rotate.engineKeys`; the engine pods roll when the key changes."""
        super().__init__("tke-llm:serving:ModelServer", name, opts)
        spec = plan.spec
        key = GeneratedSecret(f"{name}-key", length=48, rotation=key_rotation, opts=self.child())
        self.api_key = key.result
        self.secret_data = {spec.api_key_secret: {"api-key": key.result}}
        secret = apply(f"{name}-key", opaque_secret(spec.api_key_secret, spec.namespace,
                                                     dict(self.secret_data[spec.api_key_secret]), "model-server"),
                       self.child())
        self.key_secret = secret
        # Pulumi waits for the rollout; the budget covers image pull and weight loading, and on local
        # disks the node's own download too (see server_await_seconds).
        budget = server_await_seconds(plan)
        wait = pulumi.CustomTimeouts(create=f"{budget}s", update=f"{budget}s")
        # The renderer keeps a Deployment's progress deadline at the budget and has Pulumi await a
        # LeaderWorkerSet's groups.
        if rollout is None:
            workload, service = manifests(spec, await_seconds=budget)
        else:
            most = rollout.min_replicas if rollout.max_replicas is None else rollout.max_replicas
            workload, service = manifests(spec, surge_capacity=rollout.surge, max_replicas=most,
                                          skip_await=rollout.scale_to_zero, await_seconds=budget)
        workload = rolled_on_keys(workload, self.secret_data)
        kind = workload["kind"]
        before: list[pulumi.Resource] = [secret]
        if spec.stream is not None:
            # The S3 client config file the streaming pods mount (render/engines/loading.py).
            before.append(apply(f"{name}-s3-client", s3_config_map(spec.name, spec.namespace, spec.stream.mirror),
                                self.child()))
        workload_res = apply(
            f"{name}-{kind.lower()}", workload,
            self.child(depends_on=[*before, *after], custom_timeouts=wait,
                       ignore_changes=["spec.replicas"] if rollout and rollout.autoscaled else None),
        )
        self.workload = workload_res
        self.service = apply(f"{name}-service", service,
                             self.child(depends_on=[workload_res], custom_timeouts=wait))
        apply(f"{name}-netpol", allow_to_server(spec.name, spec.namespace, selector_labels(spec), port(spec.engine),
                                                peers=api_peers, extra_rules=extra_rules),
              self.child())
        self.service_name = service_name(spec)
        self.service_url = f"http://{self.service_name}.{spec.namespace}.svc:{port(spec.engine)}/v1"
        self.register_outputs({"serviceUrl": self.service_url})
