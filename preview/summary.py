"""The human summary of a plan: what will be created, grouped by layer."""

from __future__ import annotations

from collections import defaultdict

from checks.addons import summary_lines as addon_lines
from checks.egress import summary_lines as egress_lines
from checks.exposure import summary_lines as isolation_lines
from checks.monitoring import summary_lines as monitoring_lines
from checks.rdma import summary_lines as rdma_lines
from checks.storage import summary_lines as storage_lines
from derive.operations import section_for_plan
from preview.billing import summary_lines as billing_lines
from preview.runner import Plan, PlannedResource
from preview.summary_sections import (
    bringup_section,
    data_safety_section,
    preflight_section,
    routers_of,
    routing_section,
)

LAYERS = ["cloud", "cluster", "model", "serving", "access", "verify", "ops"]


def _layer(r: PlannedResource, by_urn: dict[str, PlannedResource]) -> tuple[str, str]:
    node: PlannedResource | None = r
    while node is not None:
        if node.type.startswith("tke-llm:"):
            _, layer, component = node.type.split(":")
            return layer, f"{component} `{node.name}`"
        node = by_urn.get(node.parent or "")
    return "cluster", "stack"


def _what(r: PlannedResource) -> str:
    if r.type.startswith("kubernetes:helm.sh"):
        return f"Helm chart `{r.inputs.get('chart')}` {r.inputs.get('version')} into `{r.inputs.get('namespace')}`"
    if r.is_k8s_object:
        m = r.manifest
        ns = m["metadata"].get("namespace")
        return f"{m['kind']} `{(ns + '/') if ns else ''}{m['metadata']['name']}`"
    return f"{r.type.split(':')[-1]} `{r.name}` ({r.type.split(':')[0]})"


def _flags(r: PlannedResource) -> str:
    marks = []
    if r.options.get("protect"):
        marks.append("protected")
    if r.options.get("retainOnDelete"):
        marks.append("retained on destroy")
    return f" — {', '.join(marks)}" if marks else ""


def resource_counts(plan: Plan) -> str:
    """The plan's resources, one wording for the summary's header and the CLI's last line: every
    registered resource (what `pulumi preview` counts, besides the stack), split into the Kubernetes
    objects, the other resources that create something (cloud, providers, generated secrets) and the
    components that only group them (the Helm charts among them)."""
    custom = sum(1 for r in plan.resources if r.custom)
    objects = len(plan.k8s_objects)
    return (f"{len(plan.resources)} resources: {objects} Kubernetes objects, {custom - objects} cloud and other "
            f"resources, {len(plan.resources) - custom} components")


def summary(plan: Plan) -> str:
    by_urn = {r.urn: r for r in plan.resources}
    groups: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for r in plan.resources:
        if not r.custom and not r.type.startswith("kubernetes:helm.sh"):
            continue
        layer, component = _layer(r, by_urn)
        groups[layer][component].append(_what(r) + _flags(r))
    cfg = plan.config
    target = (f"new TKE cluster in {cfg.cluster.region}" if cfg.is_tke  # type: ignore[union-attr]
              else f"existing {'TKE ' if cfg.on_tke else ''}cluster `{cfg.cluster.name}`")
    lines = [f"# Plan for stack `{plan.stack}`", "",
             f"{target}, Kubernetes {cfg.cluster.kubernetes_version}, namespace `{cfg.namespace}`, "
             f"storage `{cfg.storage.kind}`; {resource_counts(plan)}.", ""]
    for layer in sorted(groups, key=lambda x: LAYERS.index(x) if x in LAYERS else len(LAYERS)):
        lines += [f"## {layer}", ""]
        for component, items in groups[layer].items():
            lines.append(f"- {component}")
            lines += [f"  - {i}" for i in items]
        lines.append("")
    # Isolation (with Exposure), then what the cluster gets: RDMA, its add-ons, storage, monitoring.
    lines += egress_lines(cfg) + isolation_lines(cfg) + rdma_lines(cfg)
    lines += addon_lines(cfg) + storage_lines(cfg) + monitoring_lines(cfg)
    lines += routing_section(plan) + preflight_section(plan) + bringup_section(plan) + billing_lines(cfg, routers_of(plan))
    lines += data_safety_section(plan)
    lines += section_for_plan(plan)
    lines += ["## Outputs", ""]
    lines += [f"- `{k}`{' (secret)' if k in plan.secret_outputs else ''}" for k in plan.outputs]
    return "\n".join(lines) + "\n"
