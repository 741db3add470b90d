"""The example app stack (`examples/app/`) renders under mocks, with the StackReference to the LLM stack
mocked: the outputs reach the Deployment's env, the API key only through a Secret."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from typing import Any

import pulumi
import pytest
import yaml
from pulumi.runtime import mocks as pm
from pulumi.runtime import rpc

from preview.mocks import RecordingMonitor, unwrap

from tests.conftest import ROOT

APP_DIR = ROOT / "examples" / "app"
LLM_OUTPUTS = {
    "apiBaseUrl": "http://gateway.llm.svc:4000/v1",
    "models": [{"name": "qwen3-14b", "servedName": "Qwen3-14B", "url": "http://qwen3-14b-api.llm.svc:8000/v1", "engine": "vllm"},
               {"name": "deepseek-r1", "servedName": "DeepSeek-R1", "url": "http://deepseek-r1-api.llm.svc:30000/v1", "engine": "sglang"}],
    "apiKey": "sk-gateway-mock-key",
    "kubeconfig": "apiVersion: v1\nkind: Config\n",
}


class AppMocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.stack_names: list[str] = []

    def new_resource(self, args: pm.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if args.typ == "pulumi:pulumi:StackReference":
            self.stack_names.append(args.inputs["name"])
            return args.name, {**args.inputs, "outputs": LLM_OUTPUTS, "secretOutputNames": ["apiKey", "kubeconfig"]}
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pm.MockCallArgs) -> dict[str, Any]:
        raise NotImplementedError(args.token)


def _load_app():
    spec = importlib.util.spec_from_file_location("tke_llm_example_app", APP_DIR / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def rendered():
    from pulumi.runtime import settings
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    app = _load_app()
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    mocks = AppMocks()
    monitor = RecordingMonitor(mocks)
    try:
        settings.ROOT.set(None)
        pulumi.runtime.set_mocks(mocks, project="tke-llm-app", stack="dev", preview=False, monitor=monitor)
        settings.SETTINGS.rpc_manager.clear()
        settings.SETTINGS.outputs.clear()
        holder: dict[str, Any] = {}
        _sync_await(run_pulumi_func(lambda: holder.update(
            app.build("my-org/tke-llm/dev", "llm-apps", "curlimages/curl:8.11.1"))))
        outputs = {k: _sync_await(pulumi.Output.from_input(v).future()) for k, v in holder.items()}
        resources = {}
        for urn, req in monitor.requests:
            raw = rpc.deserialize_properties(req.object)
            resources[req.name] = {"type": req.type, "inputs": unwrap(raw, mask=False), "masked": unwrap(raw, mask=True),
                                   "provider": req.provider}
        yield mocks, resources, outputs
    finally:
        monitor.close()
        loop.close()
        asyncio.set_event_loop(None)


def test_reads_the_llm_stack_and_wires_env_and_secret(rendered):
    mocks, resources, outputs = rendered
    assert mocks.stack_names == ["my-org/tke-llm/dev"]
    secret = resources["llm-key"]
    assert secret["inputs"]["stringData"] == {"OPENAI_API_KEY": "sk-gateway-mock-key"}
    assert secret["masked"]["stringData"] == {"OPENAI_API_KEY": "[secret]"}, "the key stays a secret"
    pod = resources["llm-client"]["inputs"]["spec"]["template"]["spec"]
    env = {e["name"]: e for e in pod["containers"][0]["env"]}
    assert env["OPENAI_BASE_URL"]["value"] == "http://gateway.llm.svc:4000/v1"
    assert env["LLM_MODELS"]["value"] == "Qwen3-14B,DeepSeek-R1"
    assert "value" not in env["OPENAI_API_KEY"]
    assert env["OPENAI_API_KEY"]["valueFrom"]["secretKeyRef"] == {"name": "llm-client-api-key", "key": "OPENAI_API_KEY"}
    assert outputs["models"] == "Qwen3-14B,DeepSeek-R1"


def test_runs_on_the_llm_clusters_provider_and_passes_the_policy_pack(rendered):
    _, resources, _ = rendered
    provider = resources["llm-cluster"]
    assert provider["type"] == "pulumi:providers:kubernetes" and provider["masked"]["kubeconfig"] == "[secret]"
    k8s = [r for r in resources.values() if r["type"].startswith("kubernetes:")]
    assert len(k8s) == 3 and all("llm-cluster" in r["provider"] for r in k8s)
    sys.path.insert(0, str(ROOT / "policy"))
    from tke_llm_rules import Res, check_all

    assert check_all([Res(r["type"], r["masked"], name, name) for name, r in resources.items()]) == []


def test_project_files():
    project = yaml.safe_load((APP_DIR / "Pulumi.yaml").read_text())
    assert project["name"] == "tke-llm-app" and project["runtime"]["name"] == "python"
    assert "llmStack" in project["config"]
    assert "pulumi-kubernetes==" in (APP_DIR / "requirements.txt").read_text()
    assert "app.main()" in (APP_DIR / "__main__.py").read_text()
    assert "StackReference" in (APP_DIR / "README.md").read_text()
