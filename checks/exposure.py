"""The plan's statement of what enforces the stack's NetworkPolicies, who may call the gateway, and
where NetworkPolicy does not reach (host-network RDMA groups).

TKE's own pod network does not enforce NetworkPolicy: TKE "provides network isolation through the
NetworkPolicy add-on" (Tencent Cloud TKE docs, "Network Policy", tencentcloud.com/document/product/457/31424).
The stack installs it by default (`cluster.addons.networkPolicy`); its InstallAddon name is unconfirmed,
so the plan says the policies are enforced once that add-on installs, or exactly why they are not.
"""

from __future__ import annotations

from config import StackConfig
from config.access import LoadBalancerExposure
from derive.addons import network_policy_addon
from derive.serving import host_network


def summary_lines(cfg: StackConfig) -> list[str]:
    lines = ["## Isolation", ""]
    addon = network_policy_addon(cfg)
    if addon is not None:
        lines.append("NetworkPolicies are rendered (default deny, then each caller) and enforced by TKE's NetworkPolicy "
                     f"add-on (kube-router, DaemonSet `kube-system/networkpolicy`), which the stack installs as "
                     f"`{addon.name}` (`{addon.key}`). That add-on name is not confirmed by Tencent or the provider: "
                     "if InstallAddon refuses it, `pulumi up` fails on that add-on and nothing is enforced until "
                     f"`{addon.key}.name` is corrected (candidates `NetworkPolicy`, `networkpolicy`).")
    elif cfg.is_tke:
        lines.append("NetworkPolicies are rendered (default deny, then each caller) but NOT enforced: a new TKE cluster "
                     "enforces them only through TKE's NetworkPolicy add-on (TKE docs, \"Network Policy\"), and "
                     "`cluster.addons.networkPolicy.install` is false. Every pod in the cluster can reach every pod: "
                     "the API keys are the only gate.")
    else:
        lines.append("NetworkPolicies are rendered; whether they are enforced depends on the existing cluster's "
                     "CNI (one that implements NetworkPolicy, e.g. Calico or Cilium).")
    if cfg.gateway.enabled:
        clients = ", ".join(f"`{n}`" for n in cfg.gateway.client_namespaces)
        lines.append(f"- the gateway admits in-cluster callers from {('the namespaces ' + clients) if clients else 'no other namespace'} "
                     "(`gateway.clientNamespaces`), besides the UI and the API's exposure path")
    for m in cfg.models:
        if host_network(cfg, m):
            lines.append(f"- `{m.name}` runs on the host network (RDMA): no NetworkPolicy applies to its ports; "
                         "its nodes' security group admits its engine port from the cluster's pods only")
    return lines + [""]


def check(cfg: StackConfig, out) -> None:
    """Warn about a public plain-HTTP CLB: the stack can restrict neither its sources nor its paths
    (a Service of type LoadBalancer forwards every path, /metrics included, to every address)."""
    for key, exp in (("api", cfg.exposure.api), ("webui", cfg.exposure.webui)):
        if isinstance(exp, LoadBalancerExposure) and not exp.internal_subnet_id:
            out.warn(f"exposure.{key}", "a public CLB over plain HTTP, open to every address and every path "
                     "(the key travels in clear text): set internalSubnetId for a private CLB, or use an "
                     "Ingress or HTTPRoute with TLS, which route only the API paths")
