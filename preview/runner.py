"""Running the program under mocks and collecting what it registered.

Each render gets its own event loop and mock monitor, so renders are independent of one another (the
tests render many stacks in one process) and nothing leaks from one into the next.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pulumi
from pulumi.runtime import rpc, settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from checks import Preflight, validate
from config import PROJECT, StackConfig
from preview.mocks import CloudMocks, RecordingMonitor, unwrap


@dataclass
class PlannedResource:
    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    provider: str | None
    depends_on: list[str]
    inputs: dict[str, Any]
    """Secrets masked as `[secret]`."""
    raw_inputs: dict[str, Any]
    """Secrets unwrapped (mock values only); for tests that need to see through them. Never written."""
    secret_paths: set[str] = field(default_factory=set)
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def is_k8s_object(self) -> bool:
        return self.custom and self.type.startswith("kubernetes:")

    @property
    def manifest(self) -> dict[str, Any]:
        return self.inputs


@dataclass
class Plan:
    stack: str
    config: StackConfig
    resources: list[PlannedResource]
    outputs: dict[str, Any]
    """Stack outputs, secrets masked."""
    secret_outputs: set[str]
    checked: Preflight | None = None
    """The findings of the stack's one validation, when the caller ran it (`checks.load`)."""

    @cached_property
    def report(self) -> Preflight:
        """The findings the summary shows: the caller's, else the config validated here (tests)."""
        return self.checked if self.checked is not None else validate(self.config)

    @cached_property
    def by_urn(self) -> dict[str, PlannedResource]:
        return {r.urn: r for r in self.resources}

    def dependencies(self, r: PlannedResource) -> set[str]:
        """What `r` waits for: its own registered dependencies only. The engine does not hand a
        component's depends_on to its children (components/base.py), so neither does the plan; a
        dependency on a component is expanded to its children by the reader (preview/bringup.py)."""
        by_urn = self.by_urn
        return {d for d in r.depends_on if d in by_urn and d != r.urn}

    def by_type(self, typ: str) -> list[PlannedResource]:
        return [r for r in self.resources if r.type == typ]

    def one(self, typ: str, name: str | None = None) -> PlannedResource:
        found = [r for r in self.by_type(typ) if name is None or r.name == name]
        if len(found) != 1:
            raise LookupError(f"expected one {typ} {name or ''}, found {[r.name for r in found]}")
        return found[0]

    @property
    def k8s_objects(self) -> list[PlannedResource]:
        return [r for r in self.resources if r.is_k8s_object]

    def manifest(self, kind: str, name: str) -> dict[str, Any]:
        found = [r.manifest for r in self.k8s_objects if r.manifest.get("kind") == kind and r.manifest["metadata"]["name"] == name]
        if len(found) != 1:
            raise LookupError(f"expected one {kind}/{name}, found {len(found)}")
        return found[0]


def _options(req: Any) -> dict[str, Any]:
    timeouts = req.customTimeouts
    opts: dict[str, Any] = {
        "protect": bool(req.protect),
        "ignoreChanges": list(req.ignoreChanges),
        "customTimeouts": {k: getattr(timeouts, k) for k in ("create", "update", "delete") if getattr(timeouts, k)},
        "deleteBeforeReplace": bool(req.deleteBeforeReplace),
        "retainOnDelete": bool(req.retainOnDelete),
        "deletedWith": req.deletedWith or None,
    }
    if list(req.replaceOnChanges):
        opts["replaceOnChanges"] = list(req.replaceOnChanges)
    return opts


_HEAD = ("apiVersion", "kind", "metadata")


def _canonical(inputs: dict[str, Any], typ: str) -> dict[str, Any]:
    """Keys in a stable order (the wire order is arbitrary): plans diff cleanly between runs, and
    manifests read as written by hand, apiVersion/kind/metadata first."""

    def sort(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: sort(v[k]) for k in sorted(v)}
        if isinstance(v, list):
            return [sort(x) for x in v]
        return v

    # A dynamic resource's serialized provider (`__provider`) is code, not configuration.
    body = sort({k: v for k, v in inputs.items() if k != "__provider"})
    if typ.startswith("kubernetes:"):
        body = {**{k: body[k] for k in _HEAD if k in body}, **{k: v for k, v in body.items() if k not in _HEAD}}
    return body


def _collect(monitor: RecordingMonitor) -> list[PlannedResource]:
    out = []
    for urn, req in monitor.requests:
        if req.type == "pulumi:pulumi:Stack":
            continue
        raw = rpc.deserialize_properties(req.object)
        out.append(PlannedResource(
            urn=urn,
            type=req.type,
            name=req.name,
            parent=req.parent or None,
            custom=bool(req.custom),
            provider=req.provider.rsplit("::", 1)[0] if req.provider else None,
            depends_on=sorted(set(req.dependencies)),
            inputs=_canonical(unwrap(raw, mask=True), req.type),
            raw_inputs=unwrap(raw, mask=False),
            options=_options(req),
        ))
    # Registration order depends on thread scheduling; sorting by URN makes every file the plan
    # writes (and the ties in the manifests' dependency order) identical from run to run.
    out.sort(key=lambda r: r.urn)
    return out


def close_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Close a render's event loop after draining it. A refused or failed program leaves tasks
    pending (pulumi's `wait_for_rpcs` stops at the first failed registration); left to the garbage
    collector, their coroutines would be finalized at any later point of the process (as asyncio.run
    does, they are cancelled and awaited here instead)."""
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.close()


def config_values(raw: dict[str, Any]) -> dict[str, str]:
    """Pulumi passes every config value as a string; objects as JSON."""
    return {f"{PROJECT}:{k}": v if isinstance(v, str) else json.dumps(v) for k, v in raw.items()}


def render(
    config: StackConfig,
    stack: str,
    raw_config: dict[str, Any] | None = None,
    secret_keys: set[str] | None = None,
    checked: Preflight | None = None,
) -> Plan:
    """Run `program.compose.build` under mocks. `raw_config` are the stack file's top-level keys (the
    program reads the secrets it names through `pulumi.Config`)."""
    # deferred: the components and providers (~0.15 s) load only to render, not for `python -m preview.diff`/`.schema`
    from program.compose import build

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    monitor = RecordingMonitor(CloudMocks())
    try:
        settings.ROOT.set(None)
        pulumi.runtime.set_mocks(CloudMocks(), project=PROJECT, stack=stack, preview=False, monitor=monitor)
        pulumi.runtime.set_all_config(
            config_values(raw_config or {}), secret_keys=[f"{PROJECT}:{k}" for k in (secret_keys or ())]
        )
        settings.SETTINGS.rpc_manager.clear()
        settings.SETTINGS.outputs.clear()
        holder: dict[str, Any] = {}

        def program() -> None:
            holder["outputs"] = build(config, stack)

        _sync_await(run_pulumi_func(program))
        outputs, secret = {}, set()
        for key, value in holder["outputs"].items():
            out = pulumi.Output.from_input(value)
            resolved = _sync_await(out.future())
            if _sync_await(out.is_secret()):
                secret.add(key)
                resolved = "[secret]"
            outputs[key] = unwrap(resolved, mask=True)
        return Plan(stack=stack, config=config, resources=_collect(monitor), outputs=outputs, secret_outputs=secret,
                    checked=checked)
    finally:
        monitor.close()
        close_loop(loop)
        asyncio.set_event_loop(None)
