"""`__main__.py` as `pulumi up` runs it: config from the engine's config map, preflight, the graph and
the exports. The offline plan calls the composition directly, so this is the one test of the real
entry point."""

from __future__ import annotations

import asyncio
import runpy

import pytest

from config import PROJECT
from preview.mocks import CloudMocks, RecordingMonitor
from preview.runner import close_loop, config_values
from preview.stackfile import read

from tests.conftest import ROOT


def providers_of(raw: dict) -> dict[str, str]:
    """The provider key the stack files carry beside the project's (`read` returns the project's only)."""
    cluster = raw.get("cluster") or {}
    return {"tencentcloud:region": cluster["region"]} if cluster.get("kind") == "tke" else {}


def run_main(stack: str, raw: dict, secrets: set[str], monitor: RecordingMonitor | None = None,
             providers: dict[str, str] | None = None) -> RecordingMonitor:
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
        values = {**config_values(raw), **(providers_of(raw) if providers is None else providers)}
        pulumi.runtime.set_all_config(values, secret_keys=[f"{PROJECT}:{k}" for k in secrets])
        settings.SETTINGS.rpc_manager.clear()
        settings.SETTINGS.outputs.clear()
        _sync_await(run_pulumi_func(lambda: runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")))
        return monitor
    finally:
        monitor.close()
        close_loop(loop)
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


def test_entry_point_refuses_a_tke_stack_without_the_providers_region():
    """Without `tencentcloud:region` the provider would build in its environment's region, or its default."""
    import pulumi

    raw, secrets = read("dev")
    monitor = RecordingMonitor(CloudMocks())
    with pytest.raises(pulumi.RunError, match="tencentcloud:region: not set: the Tencent Cloud provider would create "
                                              "the cluster in the region of its environment"):
        run_main("dev", raw, secrets, monitor, providers={})
    assert [req.type for _, req in monitor.requests if req.type != "pulumi:pulumi:Stack"] == []
    with pytest.raises(pulumi.RunError, match="tencentcloud:region: 'ap-guangzhou' differs from"):
        run_main("dev", raw, secrets, providers={"tencentcloud:region": "ap-guangzhou"})


@pytest.mark.parametrize("old, new, error", [
    ("name: r1-distill-7b", "name: llm-gateway",
     "tke-llm:models[0].name: the stack would render 2 Deployment objects named 'llm-gateway' in namespace llm: "
     "each apply would overwrite the other; rename the model (its name prefixes its objects)"),
    ("tke-llm:namespace: llm", "tke-llm:namespace: monitoring",
     "tke-llm:namespace: the stack would render 2 Namespace objects named 'monitoring' in the cluster: "
     "each apply would overwrite the other; choose a namespace no add-on of the stack uses"),
])
def test_entry_point_refuses_two_objects_with_one_name_before_registering_anything(tmp_path, old, new, error):
    """Only the rendering shows the clash, so the program holds every registration until it has
    checked what it rendered: `pulumi up` must not create the cloud layer of a stack it then refuses."""
    import pulumi

    text = (ROOT / "Pulumi.dev.yaml").read_text()
    assert old in text
    (tmp_path / "Pulumi.t.yaml").write_text(text.replace(old, new))
    raw, secrets = read("t", tmp_path)
    monitor = RecordingMonitor(CloudMocks())
    with pytest.raises(pulumi.RunError) as exc:
        run_main("t", raw, secrets, monitor)
    lines = str(exc.value).splitlines()
    assert lines[0] == "invalid stack config:" and error in lines, lines
    assert [req.type for _, req in monitor.requests if req.type != "pulumi:pulumi:Stack"] == []


def test_a_program_that_fails_midway_registers_nothing(monkeypatch):
    """The same gate holds back the cloud layer when the program itself fails after constructing it:
    a half-built graph never reaches the engine, and the program's own error is what the user sees."""
    import program.compose

    def broken(*_args, **_kwargs):
        raise RuntimeError("access layer failed")

    monkeypatch.setattr(program.compose, "build_access", broken)
    raw, secrets = read("dev")
    monitor = RecordingMonitor(CloudMocks())
    with pytest.raises(RuntimeError, match="^access layer failed$"):
        run_main("dev", raw, secrets, monitor)
    assert [req.type for _, req in monitor.requests if req.type != "pulumi:pulumi:Stack"] == []
