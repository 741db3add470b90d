"""The plan's statement of the TKE add-ons the stack installs, how each add-on name is known, and what
stays unconfirmed; warnings for an add-on turned off that the stack relies on. Names and sources:
catalog/tke_addons.py; why: docs/cloud-resources.md, "TKE add-ons".
"""

from __future__ import annotations

from config import StackConfig
from config.cluster import TkeCluster
from derive.addons import cluster_addons, csi_addon, describe_mode, rdma_pools


def summary_lines(cfg: StackConfig) -> list[str]:
    c = cfg.cluster
    if not isinstance(c, TkeCluster):
        return []
    lines = ["## TKE add-ons", "",
             "Installed through `tencentcloud_kubernetes_addon` (InstallAddon; the add-on attachment resource "
             "was removed in provider 1.82.4), each waiting for the system pool or, for the CSI driver, the "
             "cluster:", ""]
    csi = csi_addon(cfg)
    for a in [*cluster_addons(cfg), *([csi] if csi is not None else [])]:
        version = f"version {a.version}" if a.version else "latest version"
        params = ", with `rawValues`" if a.raw_values else ""
        lines.append(f"- `{a.name}`, {version}{params} (`{a.key}`): {a.fact.purpose}; {a.name_note}")
        if a.field == "rdmaAgent":
            pools = ", ".join(f"`{p}` {describe_mode(m)}" for p, m in rdma_pools(cfg).items())
            labels = ", ".join(f"`{k}={v}`" for k, v in c.addons.rdma_agent.node_labels.items())
            lines.append(f"  - serves pools {pools} (`nodePools[].gpu.rdmaMode`); the pods pick the mode by their "
                         "network annotation. No source gives an add-on parameter for the mode: check ConfigMap "
                         "`kube-system/tke-rdma-agent-conf` after the first `pulumi up`")
            attached = [p for p in rdma_pools(cfg) if cfg.pool(p).kind == "attached"]
            note = (f"; on attached machines ({', '.join(attached)}) adding it replaces the attachments, a reinstall: "
                    "for machines already attached set `nodeLabels: {}` and label the nodes by hand") if attached else ""
            lines.append("  - " + (f"labels those pools' nodes {labels} (its DaemonSet's default node selector, from "
                                   f"a third party only: `cluster.addons.rdmaAgent.nodeLabels`){note}" if labels else
                                   "labels no nodes (`cluster.addons.rdmaAgent.nodeLabels` is empty): its DaemonSet "
                                   "runs only where TKE labels the nodes itself"))
            lines.append("  - the nodes must have their RDMA netns in `shared` mode (`rdma system show`, TKE doc "
                         "116719): the stack cannot check that")
    if not c.addons.network_policy.install:
        lines.append("- not installed: NetworkPolicy (`cluster.addons.networkPolicy.install: false`)")
    if rdma_pools(cfg) and not c.addons.rdma_agent.install:
        lines.append("- not installed: rdma-agent (`cluster.addons.rdmaAgent.install: false`)")
    return lines + [""]


def check(cfg: StackConfig, out) -> None:
    c = cfg.cluster
    if not isinstance(c, TkeCluster):
        return
    if not c.addons.network_policy.install:
        out.warn("cluster.addons.networkPolicy.install", "TKE's NetworkPolicy add-on is off: a new cluster enforces "
                 "none of the stack's NetworkPolicies, so every pod in the cluster reaches every model server "
                 "and the API keys are the only gate; set it to true unless another controller enforces them")
    if rdma_pools(cfg) and not c.addons.rdma_agent.install:
        pools = ", ".join(rdma_pools(cfg))
        out.warn("cluster.addons.rdmaAgent.install", f"the rdma-agent add-on is off, but multi-node models run on "
                 f"RDMA pool(s) {pools}: without its device plugin their pods get no RDMA device; set it to true "
                 "unless the cluster gets it another way")
