"""The plan's statement of what enforces the stack's NetworkPolicies, who may call the gateway, what
restricts each exposed endpoint and where NetworkPolicy does not reach (RDMA host network); and the
refusal of a public CLB that nothing restricts or encrypts (docs/gateway.md, "Exposure").

TKE's pod network does not enforce NetworkPolicy: TKE "provides network isolation through the NetworkPolicy
add-on" (TKE docs, "Network Policy", tencentcloud.com/document/product/457/31424), which the stack installs
by default (`cluster.addons.networkPolicy`, name unconfirmed): the plan says so, or why nothing enforces them.
"""

from __future__ import annotations

from typing import Any

from config import StackConfig
from config.access import HttpRouteExposure, IngressExposure, LoadBalancerExposure
from config.errors import PROJECT, ConfigIssue
from derive.addons import network_policy_addon
from derive.serving import host_network


def _endpoints(cfg: StackConfig) -> list[tuple[str, Any]]:
    return [("api", cfg.exposure.api), ("webui", cfg.exposure.webui)]


def exposure_issues(cfg: StackConfig) -> list[ConfigIssue]:
    """A public CLB needs a source restriction or TLS unless `allowPublicPlainHttp` says it is meant;
    `allowedCidrs` needs the Tencent Cloud provider of a new TKE cluster to create its security group."""
    issues: list[ConfigIssue] = []
    for key, exp in _endpoints(cfg):
        if not isinstance(exp, LoadBalancerExposure):
            continue
        if exp.allowed_cidrs and not cfg.is_tke:
            issues.append(ConfigIssue(
                f"{PROJECT}:exposure.{key}.allowedCidrs",
                "on an existing cluster the stack creates no Tencent Cloud resource, so it cannot create the "
                "CLB's security group: create one that admits these ranges and list its id in "
                f"`exposure.{key}.securityGroupIds` (an existing TKE cluster), or use an Ingress or HTTPRoute"))
        if exp.public and not exp.restricted and exp.tls is None and not exp.allow_public_plain_http:
            issues.append(ConfigIssue(
                f"{PROJECT}:exposure.{key}",
                "a public CLB with plain HTTP and no source restriction: anyone on the internet reaches every "
                "path and reads the API key in clear text. TKE ignores loadBalancerSourceRanges; restrict it "
                f"with `exposure.{key}.allowedCidrs` (a security group the stack creates) or `securityGroupIds`, "
                f"and/or encrypt it with `exposure.{key}.tls.certificateId` (an SSL certificate id, with "
                f"`host`); or set `exposure.{key}.internalSubnetId` for a private CLB"
                + ("" if cfg.on_tke else " (TKE's annotation: an existing TKE cluster says `cluster.provider: tke`)")
                + "; or "
                f"`exposure.{key}.allowPublicPlainHttp: true` if this is meant"))
    return issues


def check(cfg: StackConfig, out) -> None:
    """Warn about a public plain-HTTP CLB that is meant (`allowPublicPlainHttp`): a Service of type
    LoadBalancer forwards every path, /metrics included, from every address."""
    for key, exp in _endpoints(cfg):
        if isinstance(exp, LoadBalancerExposure) and exp.allow_public_plain_http:
            out.warn(f"exposure.{key}", "a public CLB over plain HTTP, open to every address and every path "
                     "(the key travels in clear text), as allowPublicPlainHttp says is meant")


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
    lines.append("")
    return lines + exposure_lines(cfg)


def exposure_lines(cfg: StackConfig) -> list[str]:
    """One line per endpoint: how it is reached from outside, and what restricts and encrypts that path."""
    lines = ["## Exposure", ""]
    if not cfg.models:
        return lines + ["Nothing is served, so no endpoint is exposed (the exposure settings wait for a model).", ""]
    for key, exp in _endpoints(cfg):
        lines.append(f"- `exposure.{key}`: {_exposure_line(cfg, key, exp)}")
    return lines + [""]


def _exposure_line(cfg: StackConfig, key: str, exp: Any) -> str:
    if isinstance(exp, LoadBalancerExposure):
        return _clb_line(cfg, key, exp)
    if isinstance(exp, IngressExposure):
        tls = "TLS at the Ingress" if exp.tls else "plain HTTP"
        who = (f"only the controller in `{exp.controller_namespace}` reaches the pods" if exp.controller_namespace
               else "sources are the Ingress controller's (or its CLB's) to restrict")
        return f"Ingress `{exp.host}`, {tls}; {who}"
    if isinstance(exp, HttpRouteExposure):
        return (f"HTTPRoute on Gateway `{exp.gateway_namespace}/{exp.gateway_name}` ({exp.scheme}); TLS and "
                "sources are that Gateway's")
    return "in-cluster only (nothing outside the cluster reaches it)"


def _clb_line(cfg: StackConfig, key: str, exp: LoadBalancerExposure) -> str:
    if not cfg.on_tke and exp.public:
        where = "a LoadBalancer Service (TKE: a public CLB; elsewhere as the cluster's annotations make it)"
    else:
        where = "a public CLB" if exp.public else "a private CLB (VPC only)"
    tls = (f"TLS {exp.tls.protocol} on port {exp.listener_port} with SSL certificate `{exp.tls.certificate_id}` "
           f"(for `{exp.host}`)" if exp.tls else f"plain HTTP on port {exp.listener_port}")
    groups = []
    if exp.allowed_cidrs:
        groups.append(f"the security group the stack creates (`{key}-clb`) admitting "
                      f"{', '.join(exp.allowed_cidrs)} on that port")
    if exp.security_group_ids:
        groups.append(f"the existing groups {', '.join(f'`{g}`' for g in exp.security_group_ids)}")
    if groups:
        sources = "sources restricted by " + " and ".join(groups) + " (pass-to-target: the nodes do not re-check)"
    elif exp.public:
        sources = ("open to every address" + (" (`allowPublicPlainHttp: true`)" if exp.allow_public_plain_http
                                              else "; the API key is the gate"))
    else:
        sources = "sources: the VPC and the networks routed to it"
    return f"{where}, {tls}; {sources}"
