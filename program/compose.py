"""The composition: every component wired into one dependency graph for one stack.

Reads nothing but the typed config it is given (and the secret config keys that config names), so the
same function runs under `pulumi up` and under the offline plan's mocks.
"""

from __future__ import annotations

from typing import Any

import pulumi

from components.existing_cluster import ExistingCluster
from components.lws_controller import LwsController
from components.managed_prometheus import associate
from components.model_cache import ModelCache
from components.model_mirror import ModelMirror
from components.inference_pool import ModelInferencePool
from components.model_router import ModelRouter
from components.model_server import ModelServer
from components.model_storage import ModelStorage
from components.namespace import Namespace
from components.namespace_owner import NamespaceOwner
from components.network import Network
from components.node_pools import NodePools
from components.operations import Addons, ModelOperations, Observability
from components.smoke import SmokeTest
from components.tke_cluster import TkeCluster
from config import PROJECT, StackConfig
from config.cluster import ExistingCluster as ExistingClusterConfig
from config.cluster import TkeCluster as TkeClusterConfig
from config.storage import CfsStorage, CfsTurboStorage
from derive.access import engine_ingress
from derive.addons import cluster_addons, csi_addon, rdma_node_labels, rdma_pools
from derive.inference_pool import pools as pool_specs
from derive.mirror import mirror_spec
from derive.naming import derive
from derive.operations import operations_plan
from derive.placement import cpu_placement
from derive.routing import routers as router_specs
from derive.rdma import settings as rdma_settings
from derive.serving import host_network, serving_plan
from derive.smoke import smoke_spec
from program.access import Access, build_access
from program.uniqueness import unique_objects
from render import litellm
from render.engines import port as engine_port


def _deleted_with(cluster: pulumi.Resource):
    """Every in-cluster object goes with the cluster: `pulumi destroy` then skips hundreds of
    Kubernetes deletes against an API server that is itself being deleted. A (legacy) transformation
    because it is inherited by every child, unlike the `deleted_with` option itself."""

    def transform(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
        if args.type_.startswith("kubernetes:") and not args.type_.startswith("pulumi:providers"):
            return pulumi.ResourceTransformationResult(
                args.props, pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(deleted_with=cluster))
            )
        return None

    return transform


def build(cfg: StackConfig, stack: str) -> dict[str, Any]:
    """Register every resource of the stack; return the stack outputs (not yet exported). Raises
    `DuplicateObjects` when two Kubernetes objects would share a name, before any resource is sent."""

    with unique_objects(cfg):
        return _build(cfg, stack)


def _build(cfg: StackConfig, stack: str) -> dict[str, Any]:

    names = derive(cfg, stack)
    outputs: dict[str, Any] = {"namespace": names.namespace}
    cloud: dict[str, Any] = {}
    tke = net = None
    if isinstance(cfg.cluster, TkeClusterConfig):


        host_net = {m.pool: engine_port(m.engine) for m in cfg.models if host_network(cfg, m)}
        net = Network("network", cfg.cluster.network, names.tags, cluster_cidr=cfg.cluster.cluster_cidr,
                      service_cidr=cfg.cluster.service_cidr, host_network_ports=list(host_net.values()),
                      turbo_cidr=cfg.storage.cidr_block if isinstance(cfg.storage, CfsTurboStorage) else None)
        tke = TkeCluster(
            "tke", cfg=cfg.cluster, cluster_name=names.cluster, pools=[p for p in cfg.node_pools if not p.is_gpu],
            vpc_id=net.vpc_id, subnet_ids=net.subnet_ids, node_security_group_id=net.node_security_group_id,
            tags=names.tags, addons=cluster_addons(cfg),
        )
        provider, kubeconfig = tke.provider, tke.kubeconfig
        reach: dict[str, Any] = {"kubeconfig": kubeconfig}
        k8s_scope = pulumi.ResourceOptions(providers={"kubernetes": provider},
                                           transformations=[_deleted_with(tke.cluster)])
        st = cfg.storage
        own_zone = st.zone if isinstance(st, (CfsStorage, CfsTurboStorage)) else None
        storage_zone = own_zone or cfg.cluster.network.zones[0]
        cloud = dict(cluster_id=tke.cluster_id, region=cfg.cluster.region, vpc_id=net.vpc_id,
                     zone=storage_zone, subnet_id=net.subnet_ids[storage_zone], tags=names.tags,
                     csi_addon=csi_addon(cfg))
        outputs["clusterId"] = tke.cluster_id
    else:

        ex: ExistingClusterConfig = cfg.cluster
        secret = pulumi.Config(PROJECT).require_secret(ex.kubeconfig_secret) if ex.kubeconfig_secret else None
        cluster = ExistingCluster("cluster", identifier=ex.name, kubeconfig=secret,
                                  kubeconfig_path=ex.kubeconfig_path, context=ex.context)
        provider, kubeconfig = cluster.provider, cluster.kubeconfig
        reach = {"kubeconfig": secret} if secret is not None else {"kubeconfig_path": ex.kubeconfig_path}
        reach["context"] = ex.context
        k8s_scope = pulumi.ResourceOptions(providers={"kubernetes": provider})
        outputs["clusterId"] = ex.name
    if kubeconfig is not None:
        outputs["kubeconfig"] = kubeconfig

    # RDMA groups (IPC_LOCK, outside baseline's capability set: pod-security-admission
    # check_capabilities_baseline.go; host networking) and hostPath volumes (local model storage) are
    # only admitted by the `privileged` Pod Security level; every other stack enforces `baseline`. So are a
    # model's own hostPath volumes (`models[].volumes`, docs/engines.md "Overrides").
    privileged = any(rdma_settings(cfg, m) for m in cfg.models) or (cfg.storage.kind == "local" and bool(cfg.models)) \
        or any(v.host_path is not None for m in cfg.models for v in m.volumes)
    # Nothing in the cluster is touched before the namespace is known to be the stack's to take.
    owner = f"{PROJECT}/{stack}"
    guard = NamespaceOwner("namespace-owner", namespace=names.namespace, owner=owner, adopt=cfg.namespace_adopt,
                           **reach)
    k8s_scope = pulumi.ResourceOptions.merge(k8s_scope, pulumi.ResourceOptions(depends_on=[guard]))
    ns = Namespace("namespace", namespace_name=names.namespace, privileged=privileged, owner=owner, opts=k8s_scope)
    in_ns = pulumi.ResourceOptions.merge(k8s_scope, pulumi.ResourceOptions(depends_on=[ns]))
    storage = ModelStorage("storage", cfg=cfg.storage, namespace=names.namespace, pvc_name=names.model_pvc,
                           opts=in_ns, **cloud)
    outputs["modelStorage"] = {"storageClass": storage.storage_class, "pvc": storage.pvc_name,
                               "hostPath": storage.host_path}
    managed = []
    mon = cfg.monitoring
    if tke is not None and mon is not None and mon.prometheus.kind == "tke-managed":

        managed = [associate("tmp-agent", instance_id=mon.prometheus.instance_id, region=cfg.cluster.region,
                             cluster_id=tke.cluster_id, after=[tke.node_pools])]
    # RDMA groups wait for the rdma-agent, whose device plugin gives their pods the RDMA devices.
    rdma_agent = tke.addons.get("rdmaAgent") if tke is not None else None
    pool_addons = {p: [rdma_agent] for p in rdma_pools(cfg)} if rdma_agent is not None else {}
    mirror = _mirror(cfg, names, in_ns)
    models_out, servers, plans, routers, groups = _models(cfg, names, in_ns, storage,
                                                          gpu_pools=_gpu_pools(cfg, names, tke, net),
                                                          monitoring_after=managed, pool_addons=pool_addons,
                                                          mirror=mirror)
    # Access: the gateway in front of the servers (or their routers), the UI, their exposure, and the
    # outputs apps read.
    access = build_access(cfg, in_ns, storage, servers, plans, names,
                          cluster=tke.cluster if tke is not None else None, routers=routers)
    outputs.update(_smoke_gate(cfg, in_ns, plans, servers, groups, access, models_out))
    outputs.update(access.outputs)
    return outputs


def _mirror(cfg: StackConfig, names: Any, in_ns: pulumi.ResourceOptions) -> ModelMirror | None:
    """The weight mirror (`modelCache.mirror`): the bucket when the stack creates it, and the Secret with the
    scoped key from the two encrypted config keys it names (checks/secrets.py refuses them missing or plain)."""
    spec, m = mirror_spec(cfg), cfg.model_cache.mirror
    if spec is None or m is None:
        return None
    conf = pulumi.Config(PROJECT)
    return ModelMirror("mirror", spec=spec, create=m.create, namespace=names.namespace,
                       access_key=conf.require_secret(m.secret_id_secret),
                       secret_key=conf.require_secret(m.secret_key_secret), tags=names.tags,
                       stack_region=cfg.cluster.region if cfg.is_tke else None, opts=in_ns)  # type: ignore[union-attr]


def _smoke_gate(cfg: StackConfig, in_ns: pulumi.ResourceOptions, plans: list[Any], servers: dict[str, Any],
                groups: dict[str, pulumi.Resource], access: Access, models_out: dict[str, Any]) -> dict[str, Any]:
    """Per model, once its servers, its groups and the gateway are ready, the smoke Job; the model's
    outputs (`models`, its `modelServers` entry) resolve only after its Job completed (docs/smoke.md)."""
    if not cfg.smoke.enabled or not plans:
        return models_out
    done: dict[str, pulumi.Output[Any]] = {}
    for plan in plans:
        name, server = plan.spec.name, servers[plan.spec.name]
        after = [server.workload, server.service, server.key_secret, *access.ready,
                 *([groups[name]] if name in groups else [])]
        test = SmokeTest(f"{name}-smoke", spec=smoke_spec(cfg, plan, access.url, access.specs), after=after,
                         opts=in_ns)
        done[name] = test.job.id  # type: ignore[attr-defined]
    out = dict(models_out)
    out["models"] = pulumi.Output.all(*done.values()).apply(lambda _: list(models_out["models"]))
    out["modelServers"] = [{**entry, "url": done[entry["name"]].apply(lambda _, u=entry["url"]: u)}
                           for entry in models_out["modelServers"]]
    return out


def _gpu_pools(cfg: StackConfig, names: Any, tke: Any, net: Any):
    """GPU pools are built apart from the system pool so they can wait for the weights (see `_models`);
    returns a function that creates them once it knows what to wait for."""

    def create(waits: dict[str, list[pulumi.Resource]]) -> pulumi.Resource | None:
        gpu = [p for p in cfg.node_pools if p.is_gpu and p.kind != "existing"]
        if tke is None or not gpu:
            return None

        host_net = {m.pool for m in cfg.models if host_network(cfg, m)}
        return NodePools(
            "gpu-pools", pools=gpu, cluster_id=tke.cluster_id, vpc_id=net.vpc_id, subnet_ids=net.subnet_ids,
            security_group_id=net.node_security_group_id, tags=names.tags, waits=waits,
            host_network_pools={p: net.host_network_security_group_id for p in host_net}
            if net.host_network_security_group_id is not None else None,
            extra_labels=rdma_node_labels(cfg),
        )

    return create


def _models(cfg: StackConfig, names: Any, in_ns: pulumi.ResourceOptions, storage: Any,
            gpu_pools, monitoring_after: list[pulumi.Resource] | None = None,
            pool_addons: dict[str, list[pulumi.Resource]] | None = None,
            mirror: ModelMirror | None = None,
            ) -> tuple[dict[str, Any], dict[str, Any], list[Any], dict[str, Any], dict[str, pulumi.Resource]]:
    """Downloads, GPU pools, servers, in that order when storage is shared and
    `modelCache.gpuNodesAfterDownload` is on: no GPU is billed while the weights download on the CPU
    pool. With local storage the GPU nodes are where the weights go, so they come first. Then each
    routed model's router or InferencePool. Returns (outputs, ModelServers by name, the serving plans,
    ModelRouters and pools by name, and by name the budget awaited until every LWS group pod is ready)."""


    plans = [serving_plan(cfg, names, m, api_key_secret=f"{m.name}-api-key") for m in cfg.models]

    on_cpu = cpu_placement(cfg)
    wait_for_weights = cfg.storage.kind != "local" and cfg.model_cache.gpu_nodes_after_download
    caches: list[ModelCache] = []
    pools = None if wait_for_weights else gpu_pools({})
    after_storage = pulumi.ResourceOptions.merge(in_ns, pulumi.ResourceOptions(depends_on=[storage]))
    for plan in plans:
        src = plan.config.source
        token = pulumi.Config(PROJECT).require_secret(src.token_secret) if src.token_secret else None
        # Local storage downloads onto the GPU nodes themselves, so those pools come first; shared
        # storage downloads on the CPU pool, in parallel with the GPU pools when they do not wait.
        on_gpu_nodes = cfg.storage.kind == "local" and pools is not None
        cache_opts = pulumi.ResourceOptions.merge(after_storage, pulumi.ResourceOptions(depends_on=[pools])) \
            if on_gpu_nodes else after_storage
        caches.append(ModelCache(f"{plan.spec.name}-cache", plan=plan, placement=on_cpu,
                                 hub_token=token, image_registry=cfg.image_registry,
                                 pip_index_url=cfg.model_cache.pip_index_url,
                                 keep_revisions=_revisions_in_use(plans, plan),
                                 retries=cfg.model_cache.retries, workers=cfg.model_cache.download_workers,
                                 # Ollama pulls from its own registry: the mirror does not apply to it.
                                 mirror=mirror_spec(cfg) if mirror is not None and src.kind != "ollama" else None,
                                 mirror_ready=mirror.ready if mirror is not None else None,
                                 opts=cache_opts))
    if wait_for_weights:
        # Each GPU pool waits for the weights of the models it serves, not for every download. Attached
        # machines bill from purchase (preview/bringup.py BILLING): waiting saves nothing, so they join
        # while the weights download and the attach (about 25 min) leaves the critical path.
        waits: dict[str, list[pulumi.Resource]] = {}
        for plan, cache in zip(plans, caches):
            if cfg.pool(plan.config.pool).kind != "attached":
                waits.setdefault(plan.config.pool, []).append(cache.ready)
        pools = gpu_pools(waits)
    lws: list[pulumi.Resource] = []
    existing = cfg.existing_cluster
    if any(m.multi_node for m in cfg.models) and not (existing and existing.leader_worker_set_installed):

        lws = [LwsController("lws", image_registry=cfg.image_registry, placement=on_cpu,
                             opts=in_ns)]

    ops = operations_plan(cfg, plans)
    servers: dict[str, Any] = {}
    served = []
    keys: dict[str, Any] = {}
    for plan, cache in zip(plans, caches):
        own_nodes = pools.by_pool.get(plan.config.pool, []) if pools else []
        after = [cache.ready, *own_nodes, *lws, *(pool_addons or {}).get(plan.config.pool, [])]
        api_peers, extra_rules = engine_ingress(cfg, plan)
        server = ModelServer(plan.spec.name, plan=plan, after=after, rollout=ops.models[plan.spec.name].rollout,
                             api_peers=api_peers, extra_rules=extra_rules,
                             key_rotation=cfg.keys.rotate.engine_keys, opts=in_ns)
        servers[plan.spec.name] = server
        served.append({"name": plan.spec.name, "servedName": plan.spec.served_name, "engine": plan.spec.engine,
                       "url": server.service_url})
        keys[plan.config.served_name] = server.api_key
    out: dict[str, Any] = {"models": [p.spec.served_name for p in plans]
                           + [a.name for p in plans for a in p.config.adapters], "modelServers": served}
    if keys:
        out["engineApiKeys"] = pulumi.Output.secret(keys)
    ops_out, groups, prometheus = _operations(ops, in_ns, servers, monitoring_after or [])
    out.update(ops_out)
    routers = {name: ModelRouter(f"{name}-router", spec=spec, callers=[litellm.selector()], k8s_minor=ops.k8s_minor,
                                 after=[servers[name].workload], monitoring=ops.monitoring,
                                 prometheus=prometheus, opts=in_ns)
               for name, spec in router_specs(cfg, plans).items()}
    # A pooled model (`routing.via: inferencePool`) gets no router: the Gateway and its picker route.
    routers.update({name: ModelInferencePool(f"{name}-pool", spec=spec, after=[servers[name].workload],
                                             monitoring=ops.monitoring, prometheus=prometheus, opts=in_ns)
                    for name, spec in pool_specs(cfg, plans).items()})
    return out, servers, plans, routers, groups


def _revisions_in_use(plans: list[Any], plan: Any) -> tuple[str, ...] | None:
    """Revisions of `plan`'s model id that models of the stack are configured with: a new revision's
    download removes older ones but these (render/model_cache.py). None (no pruning) when the
    directory is not per revision, or for Ollama, whose store is shared by every model."""
    src = plan.source
    if src.kind == "ollama" or not plan.model_dir.endswith(f"/{src.revision}"):
        return None
    return tuple(sorted({p.source.revision for p in plans
                         if (p.source.kind, p.source.model_id) == (src.kind, src.model_id)}))


def _operations(ops: Any, in_ns: pulumi.ResourceOptions, servers: dict[str, Any],
                monitoring_after: list[pulumi.Resource],
                ) -> tuple[dict[str, Any], dict[str, pulumi.Resource], list[pulumi.Resource]]:
    """Add-on charts, then per model its autoscaler (after its workload), budget and scrape target,
    then the stack's alerts and dashboard (after the Prometheus Operator when the stack installs it,
    after the managed Prometheus association, which brings the CRDs, on TKE). Also returns the awaited
    group budgets by model name and what monitoring objects wait for (the CRDs' owners)."""

    addons = Addons("addons", charts=ops.charts, opts=in_ns) if ops.charts else None
    keda = addons.get("keda") if addons else []
    prometheus = [*(addons.get("kube-prometheus-stack") if addons else []), *monitoring_after]
    groups: dict[str, pulumi.Resource] = {}
    for name, model_ops in ops.models.items():
        mo = ModelOperations(f"{name}-ops", ops=model_ops, workload=servers[name].workload, k8s_minor=ops.k8s_minor,
                             monitoring=ops.monitoring, keda=keda, prometheus=prometheus, opts=in_ns)
        if mo.groups_ready is not None:
            groups[name] = mo.groups_ready
    out: dict[str, Any] = {}
    if ops.monitoring or ops.adapter_engines:
        Observability("observability", monitoring=ops.monitoring, adapter_engines=ops.adapter_engines,
                      namespace_name=ops.namespace, gateway=ops.gateway,
                      prometheus=prometheus, opts=in_ns)
    if addons is not None and addons.grafana_password is not None:
        out["grafanaAdminPassword"] = pulumi.Output.secret(addons.grafana_password)
    return out, groups, prometheus
