"""TKE add-ons the stack installs through InstallAddon (`tencentcloud_kubernetes_addon`), and how each
add-on name is known. Only `cfs` is confirmed by the provider's own test; the others are the
best-sourced defaults of settings (`cluster.addons.<key>.name`), and the plan summary says so.
Sources in full: docs/cloud-resources.md, "TKE add-ons".
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AddonFact:
    name: str
    """The InstallAddon `AddonName` the stack sends by default."""
    confirmed: bool
    """True only when the provider's source or Tencent's own documentation gives the API name."""
    source: str
    """Where the name comes from, as the plan summary states it."""
    purpose: str


ADDONS: dict[str, AddonFact] = {
    "cfsCsi": AddonFact(
        "cfs", True,
        "terraform-provider-tencentcloud's own test (tencentcloud/services/tke/resource_tc_kubernetes_cluster_test.go "
        "L370-373: extension add-on CFS, chartName `cfs`)",
        "the CFS CSI driver (com.tencent.cloud.csi.cfs)"),
    "cfsTurboCsi": AddonFact(
        "cfsturbo", False,
        "a third party only (a tccli rewrite of TKE's add-on pages); the console shows it as CFSTurbo "
        "(imroc/tke-guide docs/ai/sglang-deepseek-r1.md L82-90)",
        "the CFS-Turbo CSI driver (com.tencent.cloud.csi.cfsturbo)"),
    "networkPolicy": AddonFact(
        "NetworkPolicy", False,
        "a third-party Terraform module's default (it says to confirm with DescribeAddonValues); TKE's docs "
        "show the add-on as NetworkPolicy, deploying DaemonSet kube-system/networkpolicy (kube-router) "
        "(\"Network Policy 说明\"); `networkpolicy` is the other candidate",
        "enforces NetworkPolicy (kube-router, DaemonSet kube-system/networkpolicy)"),
    "rdmaAgent": AddonFact(
        "rdma-agent", False,
        "TKE's doc 116719 calls the component rdma-agent (DaemonSet kube-system/tke-rdma-shared-agent); the "
        "AddonName itself is only in a third-party tccli rewrite of that page",
        "the RDMA device plugin (resource tke.cloud.tencent.com/tke-shared-rdma, /dev/infiniband/*)"),
}
"""By config key under `cluster.addons`."""

RDMA_AGENT_NODE_LABEL = {"feature.node.kubernetes.io/tke-shared-rdma": "true"}
"""The rdma-agent DaemonSet's default node selector: third-party only (the tccli rewrite of TKE doc 116719,
"NodeSelector ... 默认 feature.node.kubernetes.io/tke-shared-rdma=true"), so a setting."""

RDMA_MODES = {"shared": "IPVLAN", "exclusive": "MACVLAN"}
"""rdma-agent's two modes (TKE doc 116719): shared RDMA NIC (IPVLAN, a virtual resource of 1000 per node,
an IP per pod from the RDMA subnet, dynamic GID) or exclusive RDMA NIC (MACVLAN, the node's physical bonds,
the host's GID)."""
