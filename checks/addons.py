"""The plan's statement of the TKE add-ons the stack installs, how each add-on name is known, and what
stays unconfirmed; warnings for an add-on turned off that the stack relies on, and for attached RDMA
machines the rdma-agent's node label must be put on by hand. Names and sources:
catalog/tke_addons.py; why: docs/cloud-resources.md, "TKE add-ons".
"""

from __future__ import annotations

from config import StackConfig
from config.cluster import TkeCluster
from derive.addons import (cluster_addons, csi_addon, describe_mode, label_command, rdma_node_labels, rdma_pools,
                           unlabelled_attached_pools)


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
            lines += ["  - " + x for x in _rdma_agent_lines(cfg, c)]
    if not c.addons.network_policy.install:
        lines.append("- not installed: NetworkPolicy (`cluster.addons.networkPolicy.install: false`)")
    if rdma_pools(cfg) and not c.addons.rdma_agent.install:
        lines.append("- not installed: rdma-agent (`cluster.addons.rdmaAgent.install: false`)")
    return lines + [""]


def _rdma_agent_lines(cfg: StackConfig, c: TkeCluster) -> list[str]:
    pools = ", ".join(f"`{p}` {describe_mode(m)}" for p, m in rdma_pools(cfg).items())
    lines = [f"serves pools {pools} (`nodePools[].gpu.rdma.mode`); the pods pick the mode by their network "
             "annotation. No source gives an add-on parameter for the mode: check ConfigMap "
             "`kube-system/tke-rdma-agent-conf` after the first `pulumi up`"]
    selector = c.addons.rdma_agent.node_labels
    if not selector:
        lines.append("labels no nodes (`cluster.addons.rdmaAgent.nodeLabels` is empty): its DaemonSet runs only "
                     "where TKE labels the nodes itself")
    else:
        labels = ", ".join(f"`{k}={v}`" for k, v in selector.items())
        source = ("its DaemonSet's default node selector, from a third party only: "
                  "`cluster.addons.rdmaAgent.nodeLabels`")
        labelled = list(rdma_node_labels(cfg))
        unlabelled = unlabelled_attached_pools(cfg)
        own = [p for p in rdma_pools(cfg) if p not in labelled and p not in unlabelled]
        if labelled:
            lines.append(f"labels the nodes of {', '.join(f'`{p}`' for p in labelled)} {labels} through their node "
                         f"pools ({source}; an in-place update)")
        if own:
            lines.append(f"{', '.join(f'`{p}`' for p in own)} carry {labels} in their own `labels` (attached "
                         "machines: set before their first attachment, or they are re-attached, i.e. reinstalled)")
        for p, missing in unlabelled.items():
            shown = ", ".join(f"`{k}={v}`" for k, v in missing.items())
            lines.append(f"does NOT put {shown} on the attached machines of `{p}` ({source}): any change to an "
                         "attachment re-attaches, i.e. reinstalls, them. Until their nodes carry it the agent's "
                         f"DaemonSet skips them and the RDMA pods stay Pending: `{label_command(p, missing)}` once "
                         "they have joined (again after a re-attach)")
    lines.append("the nodes must have their RDMA netns in `shared` mode (`rdma system show`, TKE doc 116719): the "
                 "stack cannot check that")
    return lines


def check(cfg: StackConfig, out) -> None:
    c = cfg.cluster
    if not isinstance(c, TkeCluster):
        return
    if not c.addons.network_policy.install:
        out.warn("cluster.addons.networkPolicy.install", "TKE's NetworkPolicy add-on is off: a new cluster enforces "
                 "none of the stack's NetworkPolicies, so every pod in the cluster reaches every model server "
                 "and the API keys are the only gate; set it to true unless another controller enforces them")
    # The rdma-agent turned off is warned about with the RDMA checks (checks/rdma.py).
    for p, missing in unlabelled_attached_pools(cfg).items():
        i = next(i for i, pool in enumerate(cfg.node_pools) if pool.name == p)
        labels = ", ".join(f"{k}={v}" for k, v in missing.items())
        out.warn(f"nodePools[{i}].labels", f"the rdma-agent's DaemonSet runs only on nodes labelled {labels}, which "
                 f"the stack does not put on the attached machines of `{p}` (any change to an attachment "
                 "re-attaches, i.e. reinstalls, them): until they carry it the RDMA pods stay Pending. Once the "
                 f"nodes have joined run `{label_command(p, missing)}` (again after a re-attach); for machines "
                 "not attached yet, add the label to this pool's `labels` instead")
