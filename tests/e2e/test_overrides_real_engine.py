"""Engine overrides and LoRA adapters under the real engine against a real API server, scheduler and the
LWS controller: the Deployment's pods and the LeaderWorkerSet's leader and worker (made by the real
controller) carry the env, pull secrets, volumes, labels and annotations; the adapter is in the engine's
command line, the download Job and the gateway's config; the `models` output names it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from e2e.engine import run

from .conftest import Harness, engine_stack, local_cluster_config

STACK = "overrides"
STACK_CONFIG = yaml.safe_load((Path(__file__).parent / "stacks" / "Pulumi.overrides.yaml").read_text())["config"]
STORAGE_CLASSES = ["shared-rwx"]
LWS = True
NS = STACK_CONFIG["tke-llm:namespace"]

pytestmark = pytest.mark.real_engine


@pytest.fixture(scope="module")
def stack(local: Harness):
    config = local_cluster_config(STACK_CONFIG, local.cluster.kubeconfig, "local")
    config["tke-llm:cluster"]["leaderWorkerSetInstalled"] = True
    return engine_stack(local, STACK, config)


def _env(pod: dict) -> dict[str, str]:
    return {e["name"]: e.get("value", "") for e in pod["spec"]["containers"][0].get("env", [])}


def test_overrides_and_adapters_reach_every_pod_through_the_real_api_server(local: Harness, stack) -> None:
    result, steps = run(stack, "up")
    assert result.summary.result == "succeeded", steps.diagnostics
    k = local.kube
    pods = k.list("v1", "Pod", NS)
    group = [p for p in pods if p["metadata"]["labels"].get("leaderworkerset.sigs.k8s.io/name") == "qwen3-14b-mn"]
    single = [p for p in pods if p["metadata"]["labels"].get("app.kubernetes.io/name") == "qwen3-14b"
              and "leaderworkerset.sigs.k8s.io/name" not in p["metadata"]["labels"]]
    assert len(group) == 2 and len(single) == 1, sorted(p["metadata"]["name"] for p in pods)

    for p in group:  # leader and worker, made by the LWS controller from the rendered templates
        assert _env(p)["NCCL_DEBUG"] == "INFO"
        assert {"name": "templates", "emptyDir": {}} in p["spec"]["volumes"]
        assert {"name": "templates", "mountPath": "/etc/templates", "readOnly": True} in \
            [{k2: v for k2, v in m.items() if k2 in ("name", "mountPath", "readOnly")}
             for m in p["spec"]["containers"][0]["volumeMounts"]]
        assert p["metadata"]["labels"]["team"] == "search"
        assert p["spec"]["imagePullSecrets"] == [{"name": "mirror-pull"}]
        assert p["status"]["phase"] == "Running"

    (pod,) = single
    assert _env(pod)["VLLM_LOGGING_LEVEL"] == "DEBUG"
    assert pod["spec"]["imagePullSecrets"] == [{"name": "mirror-pull"}, {"name": "vendor-pull"}]
    assert pod["metadata"]["labels"]["team"] == "search"
    assert pod["metadata"]["annotations"]["example.com/owner"] == "search"
    command = pod["spec"]["containers"][0]["command"]
    assert "--enable-lora" in command and command[command.index("--max-lora-rank") + 1] == "32"
    assert "qwen3-14b-sql" in command[command.index("--lora-modules") + 1]

    jobs = [j for j in k.list("batch/v1", "Job", NS) if "ADAPTER_0_ID" in _env({"spec": j["spec"]["template"]["spec"]})]
    assert len(jobs) == 1 and jobs[0]["status"].get("succeeded") == 1
    assert jobs[0]["spec"]["template"]["spec"]["imagePullSecrets"] == [{"name": "mirror-pull"}]

    gw = k.get("apps/v1", "Deployment", "llm-gateway", NS)
    assert gw["spec"]["template"]["spec"]["imagePullSecrets"] == [{"name": "mirror-pull"}]
    (cm_name,) = [v["configMap"]["name"] for v in gw["spec"]["template"]["spec"]["volumes"] if "configMap" in v]
    entries = yaml.safe_load(k.get("v1", "ConfigMap", cm_name, NS)["data"]["config.yaml"])["model_list"]
    sql = next(e for e in entries if e["model_name"] == "qwen3-14b-sql")
    base = next(e for e in entries if e["model_name"] == "Qwen3-14B")
    assert sql["litellm_params"]["api_base"] == base["litellm_params"]["api_base"]
    assert sorted(result.outputs["models"].value) == ["Qwen3-14B", "Qwen3-14B-MN", "qwen3-14b-sql"]
