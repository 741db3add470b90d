"""A stack made to run on the local cluster: read and checked as written, then pointed at the local
cluster, with what the cluster stands in for declared. The converted config must pass the stack's own
checks; the stack as written keeps shaping the fake nodes (e2e/cluster.py `nodes_for`).

Used by `python -m e2e.try_local`, `python -m e2e.same_urns` and the real-engine tests.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from catalog import clb
from checks import load
from config import PROJECT, ConfigError, ConfigIssue, StackConfig
from config.access import LoadBalancerExposure
from config.load import parse_sections, referenced_secrets
from derive.replicas import max_replicas, nodes_for, pool_node_bound
from preview.stackfile import read

ROOT = Path(__file__).resolve().parent.parent
PREFIX = f"{PROJECT}:"
LOCAL_STORAGE_CLASS = "local-models"
LOCAL_KUBERNETES = "1.30.0"
"""The control plane's minor (e2e/tools: kube-apiserver v1.30.14)."""
PLACEHOLDER_SECURITY_GROUP = "sg-00000000"
SECRET_PLACEHOLDER = "try-local-placeholder"
"""What a secret config key holds locally: the stack file's ciphertext is for its own secrets provider."""


@dataclass
class LocalStack:
    name: str
    config: dict[str, Any]
    """The engine's `config:` map (keys with the project prefix), pointed at the local cluster."""
    secrets: set[str]
    """Keys of `config` the engine stores encrypted, as the stack file does (holding a placeholder)."""
    storage_classes: list[str]
    """StorageClasses the local cluster must offer."""
    stack: StackConfig
    """The stack as written: its pools' kinds and sizes shape the fake nodes."""
    stands_in_for: list[str]
    """What the local cluster stands in for, for this stack (try-local prints it before the up)."""

    @property
    def keda(self) -> bool:
        """The stack installs KEDA (`autoscalers.installKeda`): the local cluster runs KEDA's own operator and
        webhooks as processes (e2e/keda.py) in place of the chart it cannot pull."""
        return self.stack.autoscalers.install_keda


def local_stack(name: str, kubeconfig: Path, stack_dir: Path = ROOT) -> LocalStack:
    """`Pulumi.<name>.yaml` of `stack_dir` for the local cluster whose kubeconfig is `kubeconfig`.
    Raises StackFileError or ConfigError (every keyed error of the stack as written) before anything
    starts; ConfigError too when the conversion would break a check, naming the key and this module."""
    raw, secrets = read(name, stack_dir)
    cfg, _ = load(raw, secrets)
    local, stands_in_for, storage_classes = convert(raw, cfg, kubeconfig)
    try:
        kept = secrets & referenced_secrets(parse_sections(local))  # a kubeconfig secret goes with its cluster
        local = {k: (SECRET_PLACEHOLDER if k in kept else v) for k, v in local.items() if k not in secrets - kept}
        load(local, kept)
    except ConfigError as err:
        raise ConfigError([ConfigIssue(i.key, f"{i.message} (in the stack as converted for the local cluster, "
                                       "which the stack as written passes: e2e/local_stack.py must change, not "
                                       "the stack)") for i in err.issues]) from None
    return LocalStack(name, {PREFIX + k: v for k, v in local.items()}, {PREFIX + k for k in kept},
                      storage_classes, cfg, stands_in_for)


def convert(raw: dict[str, Any], cfg: StackConfig, kubeconfig: Path) -> tuple[dict[str, Any], list[str], list[str]]:
    """The unprefixed config pointed at the local cluster, what that cluster stands in for, and the
    StorageClasses it must offer. `cfg` is `raw` checked."""
    out = copy.deepcopy(raw)
    said: list[str] = []
    cluster = raw["cluster"]
    out["cluster"] = {"kind": "existing", "name": cluster.get("name", "local"), "kubernetesVersion": LOCAL_KUBERNETES,
                      "kubeconfigPath": str(kubeconfig), "leaderWorkerSetInstalled": True}
    said.append("the cluster: a local control plane on 127.0.0.1 (Kubernetes 1.30), with the LeaderWorkerSet "
                "controller running (`cluster.leaderWorkerSetInstalled`)")
    if cfg.is_tke:
        said.append("the cloud layer (VPC, TKE cluster, node pools, cloud storage, CLB security groups): not "
                    "created; each node pool is registered as the nodes it would have (e2e/cluster.py)")

    if cfg.storage.kind == "existing":
        classes = [cfg.storage.storage_class_name]
        said.append(f"the StorageClass `{classes[0]}`: pre-created volumes the claims bind to")
    elif cfg.storage.kind == "local":
        classes = []
    else:
        out["storage"] = {"kind": "existing", "storageClassName": LOCAL_STORAGE_CLASS,
                          "sizeGi": raw["storage"].get("sizeGi", 1000)}
        classes = [LOCAL_STORAGE_CLASS]
        said.append(f"storage `{cfg.storage.kind}`: the StorageClass `{LOCAL_STORAGE_CLASS}`, pre-created volumes "
                    "the claims bind to")

    if cfg.is_tke:
        out["nodePools"] = [_existing_pool(r, p, cfg) for r, p in zip(raw["nodePools"], cfg.node_pools)]

    if cfg.is_tke:
        said += _clb_exposure(out, cfg)

    for i, m in enumerate(cfg.models):
        a = m.autoscaling
        if a is not None and a.metric == "gpu":  # TKE's own metrics API: refused on another cluster
            model = out["models"][i]
            model.pop("autoscaling")
            model["replicas"] = max(m.replicas, a.min_replicas)
            said.append(f"models[{i}] ({m.name}) autoscales on TKE's GPU metric, which only TKE serves: a fixed "
                        f"{model['replicas']} replica(s), what its HorizontalPodAutoscaler keeps without load")

    mon = cfg.monitoring
    if mon is not None:
        prom = mon.prometheus
        if prom.kind != "existing":
            url = prom.query_url  # `url`, or the in-cluster chart's Service
            out["monitoring"]["prometheus"] = {"kind": "existing", "namespace": prom.scrape_namespaces[0],
                                               **({"url": url} if url else {})}
            said.append(f"Prometheus (`{prom.kind}`): an existing Prometheus Operator in `{prom.scrape_namespaces[0]}` "
                        "(its CRDs installed, nothing scrapes)" + (f", queried at {url}" if url else ""))
        if mon.dcgm_exporter:
            out["monitoring"]["dcgmExporter"] = False
            said.append("the DCGM exporter chart (`monitoring.dcgmExporter`): not installed, no GPU to read")

    mirror = cfg.model_cache.mirror
    if mirror is not None and mirror.create:
        region = mirror.region or (cfg.cluster.region if cfg.is_tke else None)  # type: ignore[union-attr]
        out["modelCache"]["mirror"] = {**raw["modelCache"]["mirror"], "create": False, "region": region}
        said.append(f"the weight mirror's COS bucket `{mirror.bucket}` (`modelCache.mirror.create`): not created, "
                    "taken as existing; the Jobs' S3 calls would go to COS, which kwok never runs")

    scalers = cfg.autoscalers
    if scalers.install_keda:
        out["autoscalers"]["installKeda"] = False
        said.append("KEDA (`autoscalers.installKeda`): not installed from its chart; KEDA v2.17.2's own operator "
                    "and admission webhooks run as local processes, so each ScaledObject becomes its HPA; no KEDA "
                    "metrics server runs, so those HPAs keep their replicas")
    if scalers.install_prometheus_adapter:
        out["autoscalers"]["installPrometheusAdapter"] = False
        said.append("the Prometheus Adapter (`autoscalers.installPrometheusAdapter`): not installed; its rule is "
                    "rendered, nothing serves the custom metrics API, so the HorizontalPodAutoscalers on the "
                    "queue keep their replicas")
    return out, said, classes


def _existing_pool(raw: dict[str, Any], pool: Any, cfg: StackConfig) -> dict[str, Any]:
    """A cloud pool as the nodes it would create: selected by its labels, carrying its taints, bounded
    like the pool (a super-node pool by what its models can ever ask for, plus one surge replica each)."""
    bound = pool_node_bound(pool)
    if bound is None:
        bound = sum(nodes_for(m, pool, max_replicas(m) + 1) for m in cfg.models if m.pool == pool.name)
    out: dict[str, Any] = {"name": pool.name, "kind": "existing", "nodeSelector": dict(pool.node_labels),
                           "maxSize": max(1, bound)}
    if raw.get("gpu"):
        out["gpu"] = raw["gpu"]
    if pool.node_taints:
        out["taints"] = [{"key": t.key, "value": t.value, "effect": t.effect} for t in pool.node_taints]
    if pool.hourly_price is not None:
        out["hourlyPrice"] = pool.hourly_price
    return out


def _clb_exposure(out: dict[str, Any], cfg: StackConfig) -> list[str]:
    """What a TKE stack's CLB settings become on a cluster the stack does not create: the security group
    `allowedCidrs` would create is a placeholder id, the internal subnet TKE's annotation."""
    said = []
    for key in ("api", "webui"):
        exp = getattr(cfg.exposure, key)
        if not isinstance(exp, LoadBalancerExposure):
            continue
        section = out["exposure"][key]
        if exp.allowed_cidrs:
            section.pop("allowedCidrs")
            section["securityGroupIds"] = [*exp.security_group_ids, PLACEHOLDER_SECURITY_GROUP]
            said.append(f"the CLB security group `exposure.{key}.allowedCidrs` creates: `{PLACEHOLDER_SECURITY_GROUP}` "
                        "(nothing enforces it; the local LoadBalancer only gets a documentation address)")
        if exp.internal_subnet_id:
            section.pop("internalSubnetId")
            section["annotations"] = {**exp.annotations, clb.INTERNAL_SUBNET: exp.internal_subnet_id}
            said.append(f"`exposure.{key}.internalSubnetId`: TKE's internal-CLB annotation, written as on an "
                        "existing cluster")
    return said
