"""Every Kubernetes object the stack renders must have its own (kind, namespace, name).

Names derive from config values (a model named `llm-gateway`, `namespace: monitoring`), and two
objects with one name overwrite each other at `pulumi up`. The check runs over the objects really
rendered, names the config key that produced the clash, and runs before any resource reaches the
engine (components/object_ledger.py). See docs/pulumi-behaviour.md.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from contextlib import AbstractContextManager

import pulumi

from components.object_ledger import ObjectId, gated
from config import PROJECT, ConfigError, ConfigIssue, StackConfig


class DuplicateObjects(ConfigError, pulumi.RunError):
    """A config error found while building: a RunError too, so the CLI prints it as the message of a
    failed program (no traceback), worded as a config error found when loading."""

    def __init__(self, issues: list[ConfigIssue]):
        super().__init__(issues)
        self.args = ("invalid stack config:\n" + "\n".join(str(i) for i in issues),)


def _owner(cfg: StackConfig, kind: str, name: str) -> str:
    """The config key a colliding object's name comes from."""
    if kind == "Namespace":
        return f"{PROJECT}:namespace"
    for i, m in enumerate(cfg.models):
        if name == m.name or name.startswith(f"{m.name}-") or name.startswith(f"download-{m.name}-"):
            return f"{PROJECT}:models[{i}].name"
    return f"{PROJECT}:namespace"


def collisions(cfg: StackConfig, objects: Iterable[ObjectId]) -> list[ConfigIssue]:
    counts: dict[ObjectId, int] = defaultdict(int)
    for obj in objects:
        counts[obj] += 1
    issues = []
    for (kind, namespace, name), n in sorted(counts.items()):
        if n < 2:
            continue
        where = f"namespace {namespace}" if namespace else "the cluster"
        key = _owner(cfg, kind, name)
        fix = ("choose a namespace no add-on of the stack uses" if key.endswith(":namespace")
               else "rename the model (its name prefixes its objects)")
        issues.append(ConfigIssue(key, f"the stack would render {n} {kind} objects named {name!r} in {where}: each "
                                  f"apply would overwrite the other; {fix}"))
    return issues


def unique_objects(cfg: StackConfig) -> AbstractContextManager:
    """Wrap the building of a stack: on leaving, refuse it with its keyed collisions before any of its
    resources is registered."""

    def check(objects: list[ObjectId]) -> Exception | None:
        issues = collisions(cfg, objects)
        return DuplicateObjects(issues) if issues else None

    return gated(check)


def plan_objects(plan) -> list[ObjectId]:
    """(kind, namespace, name) of every Kubernetes object of an offline plan (preview.runner.Plan)."""
    out = []
    for r in plan.k8s_objects:
        meta = r.manifest.get("metadata") or {}
        if r.manifest.get("kind") and meta.get("name"):
            out.append((r.manifest["kind"], meta.get("namespace") or "", meta["name"]))
    return out
