"""The composition: every component wired into one dependency graph for one stack.

Reads nothing but the typed config it is given (and the secret config keys that config names), so the
same function runs under `pulumi up` and under the offline plan's mocks.
"""

from __future__ import annotations

from typing import Any

import pulumi

from .config import PROJECT, StackConfig
from .config.cluster import ExistingCluster as ExistingClusterConfig
from .config.cluster import TkeCluster as TkeClusterConfig
from .naming import derive


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
    """Register every resource of the stack; return the stack outputs (not yet exported)."""
    from components.model_storage import ModelStorage
    from components.namespace import Namespace

    names = derive(cfg, stack)
    outputs: dict[str, Any] = {"namespace": names.namespace}
    cloud: dict[str, Any] = {}
    if isinstance(cfg.cluster, TkeClusterConfig):
        from components.network import Network
        from components.tke_cluster import TkeCluster

        net = Network("network", cfg.cluster.network, names.tags)
        tke = TkeCluster(
            "tke", cfg=cfg.cluster, cluster_name=names.cluster, pools=list(cfg.node_pools),
            vpc_id=net.vpc_id, subnet_ids=net.subnet_ids, node_security_group_id=net.node_security_group_id,
            tags=names.tags,
        )
        provider, kubeconfig = tke.provider, tke.kubeconfig
        k8s_scope = pulumi.ResourceOptions(providers={"kubernetes": provider},
                                           transformations=[_deleted_with(tke.cluster)])
        storage_zone = getattr(cfg.storage, "zone", None) or cfg.cluster.network.zones[0]
        cloud = dict(cluster_id=tke.cluster_id, region=cfg.cluster.region, vpc_id=net.vpc_id,
                     zone=storage_zone, subnet_id=net.subnet_ids[storage_zone], tags=names.tags)
        outputs["clusterId"] = tke.cluster_id
    else:
        from components.existing_cluster import ExistingCluster

        ex: ExistingClusterConfig = cfg.cluster
        secret = pulumi.Config(PROJECT).require_secret(ex.kubeconfig_secret) if ex.kubeconfig_secret else None
        cluster = ExistingCluster("cluster", identifier=ex.name, kubeconfig=secret,
                                  kubeconfig_path=ex.kubeconfig_path, context=ex.context)
        provider, kubeconfig = cluster.provider, cluster.kubeconfig
        k8s_scope = pulumi.ResourceOptions(providers={"kubernetes": provider})
        outputs["clusterId"] = ex.name
    if kubeconfig is not None:
        outputs["kubeconfig"] = kubeconfig

    ns = Namespace("namespace", namespace_name=names.namespace, opts=k8s_scope)
    in_ns = pulumi.ResourceOptions.merge(k8s_scope, pulumi.ResourceOptions(depends_on=[ns]))
    storage = ModelStorage("storage", cfg=cfg.storage, namespace=names.namespace, pvc_name=names.model_pvc,
                           opts=in_ns, **cloud)
    outputs["modelStorage"] = {"storageClass": storage.storage_class, "pvc": storage.pvc_name,
                               "hostPath": storage.host_path}
    return outputs
