"""Writing the plan: resources.json, manifests.yaml, outputs.json, graph.mmd, summary.md."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from preview.runner import Plan, PlannedResource
from preview.summary import summary

# Kinds that others need to exist first, applied first when the graph does not already order them.
KIND_ORDER = ["Namespace", "StorageClass", "PersistentVolumeClaim", "ServiceAccount", "Role", "RoleBinding",
              "Secret", "ConfigMap", "Service"]


def resource_record(r: PlannedResource) -> dict[str, Any]:
    return {
        "type": r.type,
        "name": r.name,
        "urn": r.urn,
        "parent": r.parent,
        "dependsOn": r.depends_on,
        "provider": r.provider,
        "inputs": r.inputs,
        "options": r.options,
    }


def dependency_order(plan: Plan, resources: list[PlannedResource]) -> list[PlannedResource]:
    """Topological order over explicit and implicit dependencies (children after their component's
    dependencies), ties broken by kind priority then registration order: stable across runs."""
    by_urn = {r.urn: r for r in resources}
    index = {r.urn: i for i, r in enumerate(resources)}

    def deps(r: PlannedResource) -> set[str]:
        return {d for d in plan.dependencies(r) if d in by_urn}

    def rank(r: PlannedResource) -> tuple[int, int]:
        kind = r.manifest.get("kind", "") if r.is_k8s_object else ""
        return (KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER), index[r.urn])

    pending = {r.urn: deps(r) for r in resources}
    done: list[PlannedResource] = []
    placed: set[str] = set()
    while pending:
        ready = [by_urn[u] for u, d in pending.items() if d <= placed]
        if not ready:
            raise ValueError(f"dependency cycle among {sorted(pending)}")
        nxt = min(ready, key=rank)
        done.append(nxt)
        placed.add(nxt.urn)
        del pending[nxt.urn]
    return done


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def manifests_yaml(plan: Plan) -> str:
    objs = [r.manifest for r in dependency_order(plan, plan.k8s_objects)]
    return yaml.dump_all(objs, Dumper=_Dumper, sort_keys=False, explicit_start=True)


def graph_mermaid(plan: Plan) -> str:
    ids = {r.urn: f"r{i}" for i, r in enumerate(plan.resources)}
    lines = ["graph TD"]
    for r in plan.resources:
        label = r.manifest.get("kind", r.type.split(":")[-1]) if r.is_k8s_object else r.type.split(":")[-1]
        lines.append(f'  {ids[r.urn]}["{label}<br/>{r.name}"]')
    for r in plan.resources:
        if r.parent in ids:
            lines.append(f"  {ids[r.parent]} -.-> {ids[r.urn]}")
        for d in r.depends_on:
            if d in ids:
                lines.append(f"  {ids[d]} --> {ids[r.urn]}")
    return "\n".join(lines) + "\n"


def write(plan: Plan, out_dir: Path) -> Path:
    target = out_dir / plan.stack
    target.mkdir(parents=True, exist_ok=True)
    (target / "resources.json").write_text(json.dumps([resource_record(r) for r in plan.resources], indent=2) + "\n")
    (target / "manifests.yaml").write_text(manifests_yaml(plan))
    (target / "outputs.json").write_text(json.dumps(plan.outputs, indent=2, sort_keys=True) + "\n")
    (target / "graph.mmd").write_text(graph_mermaid(plan))
    (target / "summary.md").write_text(summary(plan))
    return target
