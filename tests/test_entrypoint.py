"""`__main__.py` as `pulumi up` runs it: config from the engine's config map, preflight, the graph and
the exports. The offline plan calls the composition directly, so this is the one test of the real
entry point."""

from __future__ import annotations

import asyncio
import runpy

import pytest

from stacks.config import PROJECT
from stacks.plan.mocks import CloudMocks, RecordingMonitor
from stacks.plan.runner import config_values
from stacks.plan.stackfile import read

from .conftest import ROOT


def run_main(stack: str, raw: dict, secrets: set[str], monitor: RecordingMonitor | None = None) -> RecordingMonitor:
    import pulumi
    from pulumi.runtime import settings
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    monitor = monitor or RecordingMonitor(CloudMocks())
    try:
        settings.ROOT.set(None)
        pulumi.runtime.set_mocks(CloudMocks(), project=PROJECT, stack=stack, preview=False, monitor=monitor)
        pulumi.runtime.set_all_config(config_values(raw), secret_keys=[f"{PROJECT}:{k}" for k in secrets])
        settings.SETTINGS.rpc_manager.clear()
        settings.SETTINGS.outputs.clear()
        _sync_await(run_pulumi_func(lambda: runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")))
        return monitor
    finally:
        monitor.close()
        loop.close()
        asyncio.set_event_loop(None)


def test_entry_point_registers_the_dev_stack():
    raw, secrets = read("dev")
    monitor = run_main("dev", raw, secrets)
    types = {req.type for _, req in monitor.requests}
    assert "tencentcloud:Kubernetes/cluster:Cluster" in types and "kubernetes:apps/v1:Deployment" in types


def test_entry_point_refuses_a_bad_config_before_registering_anything():
    import pulumi

    raw, secrets = read("dev")
    raw = {**raw, "nmespace": "x"}
    monitor = RecordingMonitor(CloudMocks())
    with pytest.raises(pulumi.RunError, match="tke-llm:nmespace: unknown key"):
        run_main("dev", raw, secrets, monitor)
    assert [req.type for _, req in monitor.requests if req.type != "pulumi:pulumi:Stack"] == []
