"""The shipped `byo` stack under the real Pulumi engine and the real kubernetes provider, against a real API
server, scheduler and controllers (fake nodes from kwok with the pool's labels and GPUs).

The tests run in file order and build on each other: up, no perpetual diff, changes (the engine's steps
against the offline plan diff), failure and recovery of the download, destroy."""

from __future__ import annotations

import copy
import time
from datetime import datetime

import pytest
from pulumi import automation as auto

from e2e.engine import run
from measure import incluster
from measure.__main__ import main as measure_main
from measure.expected import from_stack
from measure.kube import Kube as MeasureKube
from measure.outputs import from_pulumi
from measure.sweep import Settings

from .conftest import PREFIX, Harness, engine_stack, local_cluster_config, offline_actions, resource_steps, set_config, shipped_config

STACK = "byo"
STACK_CONFIG = shipped_config("byo")
STORAGE_CLASSES = ["standard-rwx"]
NS = STACK_CONFIG[f"{PREFIX}namespace"]

pytestmark = pytest.mark.real_engine


def ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def stack(local: Harness):
    return engine_stack(local, STACK, local_cluster_config(STACK_CONFIG, local.cluster.kubeconfig, "local"))


def test_up_places_every_pod_and_orders_the_download_first(local: Harness, stack) -> None:
    result, steps = run(stack, "up")
    assert result.summary.result == "succeeded", steps.diagnostics
    k = local.kube

    # Outputs: those README.md and docs/apps.md document, secrets marked secret.
    outs = result.outputs
    for key in ("apiBaseUrl", "apiBaseUrlInCluster", "apiKey", "models", "namespace", "webuiUrl", "engineApiKeys"):
        assert key in outs, key
    assert outs["apiKey"].secret and outs["engineApiKeys"].secret
    assert outs["models"].value == ["deepseek-r1:7b"]

    # Every pod is placed; the engine on a GPU node of its pool with the GPUs it requests.
    pods = k.list("v1", "Pod", NS)
    assert pods
    for pod in pods:
        if pod["status"].get("phase") == "Succeeded":
            continue
        assert pod["spec"].get("nodeName"), f"{pod['metadata']['name']} was not scheduled: {pod['status']}"
    engine_pods = [p for p in pods if p["metadata"]["name"].startswith("r1-7b-")]
    assert engine_pods
    gpu_nodes = {n["metadata"]["name"] for n in k.list("v1", "Node", label_selector="nvidia.com/gpu.present=true")}
    for pod in engine_pods:
        assert pod["spec"]["nodeName"] in gpu_nodes
        limits = pod["spec"]["containers"][0]["resources"]["limits"]
        assert limits["nvidia.com/gpu"] == "1"
        assert pod["status"]["phase"] == "Running"

    # byo has no system pool: the CPU workloads (download, gateway, UI) keep off the GPU node and land on
    # the CPU one (derive/placement.py; before, the scheduler put them on the GPU node).
    for pod in pods:
        if not pod["metadata"]["name"].startswith("r1-7b-"):
            assert pod["spec"]["nodeName"] not in gpu_nodes, (pod["metadata"]["name"], pod["spec"]["nodeName"])

    # The server was created only after its download Job completed.
    (job,) = [j for j in k.list("batch/v1", "Job", NS) if j["metadata"]["name"].startswith("download-r1-7b-")]
    assert job["status"].get("succeeded") == 1
    deployment = k.get("apps/v1", "Deployment", "r1-7b", NS)
    assert ts(deployment["metadata"]["creationTimestamp"]) >= ts(job["status"]["completionTime"])

    # Secret values are encrypted in the state file.
    state = local.engine.dir / "state"
    text = "".join(p.read_text() for p in state.rglob("*.json"))
    api_key = outs["apiKey"].value
    assert len(api_key) >= 32 and api_key not in text
    assert "ciphertext" in text


def test_second_preview_has_no_changes(local: Harness, stack) -> None:
    result, steps = run(stack, "preview", expect_no_changes=True)
    assert set(steps.count()) <= {"same"}, steps.changed()


def test_measure_reads_the_real_stack_outputs_through_the_cli(local: Harness, stack, capsys) -> None:
    """`python -m measure` reads what `pulumi stack output --json --show-secrets` prints for the stack that
    is up (the real CLI, the state backend, the decrypted app key), and the stack file next to it. No
    request is sent (the Ingress host is not reachable here): a model the stack does not serve stops it."""
    outs = from_pulumi(STACK, local.engine.project, local.engine.env)
    real = stack.outputs()
    assert outs.api_key == real["apiKey"].value and outs.models == ("deepseek-r1:7b",)
    assert outs.api_base_url == real["apiBaseUrl"].value == "https://llm.lab.example.com/v1"
    assert not outs.in_cluster_only and outs.api_base_url_in_cluster == real["apiBaseUrlInCluster"].value
    with pytest.MonkeyPatch.context() as mp:
        for k, v in local.engine.env.items():
            mp.setenv(k, v)
        rc = measure_main([STACK, "--stack-dir", str(local.engine.project), "--models", "nosuch",
                           "--out", str(local.engine.dir / "m")])
    assert rc == 2
    err = capsys.readouterr().err
    assert "none of --models nosuch is served (models: deepseek-r1:7b)" in err and outs.api_key not in err


def test_measure_in_cluster_creates_the_job_on_the_cpu_node_and_never_leaves_the_key(
        local: Harness, stack, capsys, monkeypatch) -> None:
    """`--in-cluster` against the real API server: the Secret, files and Job are created as rendered, the
    Job's pod is scheduled off the GPU node and completes (kwok runs no container, so its log holds no
    result), the command fails naming what is missing, and the key's Secret is gone afterwards."""
    cfg, expected = from_stack(STACK, local.engine.project)
    outs = from_pulumi(STACK, local.engine.project, local.engine.env)
    monkeypatch.setenv("KUBECONFIG", str(local.cluster.kubeconfig))
    monkeypatch.setattr(incluster, "POLL_SECONDS", 1)
    monkeypatch.setattr(incluster, "MARGIN_SECONDS", 60)
    s = Settings(concurrencies=(1,), requests=2)
    rc = incluster.main(STACK, cfg, outs, expected, list(outs.models), s, local.engine.dir / "m", 60,
                        namespace=NS, progress=None)
    err = capsys.readouterr().err
    assert rc == 1 and outs.api_key not in err
    k = local.kube
    job = k.get("batch/v1", "Job", "measure-deepseek-r1-7b", NS)
    assert job["status"].get("succeeded") == 1, job["status"]
    (pod,) = k.list("v1", "Pod", NS, label_selector="job-name=measure-deepseek-r1-7b")
    gpu_nodes = {n["metadata"]["name"] for n in k.list("v1", "Node", label_selector="nvidia.com/gpu.present=true")}
    assert pod["spec"]["nodeName"] and pod["spec"]["nodeName"] not in gpu_nodes
    env = {e["name"]: e for e in pod["spec"]["containers"][0]["env"]}
    assert env["API_KEY"]["valueFrom"]["secretKeyRef"]["name"] == "measure-deepseek-r1-7b-key"
    assert k.get("v1", "ConfigMap", "measure-deepseek-r1-7b-files", NS)["data"]["run.sh"]
    secrets = [x["metadata"]["name"] for x in k.list("v1", "Secret", NS)]
    assert "measure-deepseek-r1-7b-key" not in secrets, "the key does not outlive the run"
    assert "measure-deepseek-r1-7b" in err
    client = MeasureKube(local.cluster.kubeconfig.read_text())  # leave the namespace as the stack left it
    client.request("DELETE", f"/apis/batch/v1/namespaces/{NS}/jobs/measure-deepseek-r1-7b",
                   {"propagationPolicy": "Background"})
    client.request("DELETE", f"/api/v1/namespaces/{NS}/configmaps/measure-deepseek-r1-7b-files")


CHANGES = {
    # deepseek-r1:8b is not in the catalog (its tag was re-pointed): its size is given, as preflight asks.
    "model source tag": lambda c: c[f"{PREFIX}models"][0].update(source={"kind": "ollama", "tag": "deepseek-r1:8b"},
                                                                 sizeGb=5.2),
    "model volume size": lambda c: c[f"{PREFIX}storage"].__setitem__("sizeGi", 120),
    "gateway setting": lambda c: c[f"{PREFIX}gateway"].__setitem__("requestTimeoutSeconds", 300),
    "node pool label": lambda c: c[f"{PREFIX}nodePools"][0]["nodeSelector"].__setitem__("tke-llm.io/tier", "gpu"),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_change_steps_match_the_offline_diff(local: Harness, stack, change: str) -> None:
    base = copy.deepcopy(stack.config)
    head = copy.deepcopy(base)
    CHANGES[change](head)
    if change == "node pool label":  # the fake nodes carry the new label too, as relabelled nodes would
        for n in local.kube.list("v1", "Node", label_selector="nvidia.com/gpu.present=true"):
            local.kube.request("PATCH", f"/api/v1/nodes/{n['metadata']['name']}",
                               {"metadata": {"labels": {"tke-llm.io/tier": "gpu"}}}, "application/merge-patch+json")
    offline = offline_actions(local, STACK, base, head)
    set_config(local, STACK, stack, head)
    _, preview = run(stack, "preview", diff=True)
    real = resource_steps(preview)
    assert real == offline, f"{change}: engine {real} != offline {offline}; diffs {preview.diffs}"
    result, steps = run(stack, "up")
    assert result.summary.result == "succeeded", steps.diagnostics
    assert resource_steps(steps) == real


# kwok fails the download's pods while this Stage exists (the registry or model hub is unreachable).
FAIL_DOWNLOADS = {
    "apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "Stage", "metadata": {"name": "download-fails"},
    "spec": {
        "resourceRef": {"apiGroup": "v1", "kind": "Pod"},
        "selector": {"matchExpressions": [
            {"key": '.metadata.labels["app.kubernetes.io/component"]', "operator": "In", "values": ["model-download"]},
            {"key": ".metadata.deletionTimestamp", "operator": "DoesNotExist"},
            {"key": ".status.phase", "operator": "In", "values": ["Running"]},
        ]},
        "weight": 10000,
        "next": {"statusTemplate": (
            "{{ $now := Now }}\n"
            "containerStatuses:\n"
            "{{ range $index, $item := .spec.containers }}\n"
            "- image: {{ $item.image | Quote }}\n"
            "  name: {{ $item.name | Quote }}\n"
            "  ready: false\n"
            "  restartCount: 0\n"
            "  state:\n"
            "    terminated:\n"
            "      exitCode: 1\n"
            "      finishedAt: {{ $now | Quote }}\n"
            "      reason: Error\n"
            "      startedAt: {{ $now | Quote }}\n"
            "{{ end }}\n"
            "phase: Failed\n")},
    },
}


def test_failed_download_fails_the_up_naming_the_model_and_the_next_up_recovers(local: Harness, stack) -> None:
    k = local.kube
    head = copy.deepcopy(stack.config)
    model = head[f"{PREFIX}models"][0]
    model["source"]["tag"] = "deepseek-r1:14b"  # a new download Job
    head[f"{PREFIX}modelCache"] = {**head.get(f"{PREFIX}modelCache", {}), "retries": 0}
    local.cluster.create(FAIL_DOWNLOADS)
    try:
        set_config(local, STACK, stack, head)
        with pytest.raises(auto.CommandError) as failed:
            run(stack, "up")
        message = str(failed.value)
        assert "download-r1-7b-" in message, message[-3000:]
        assert "failed" in message.lower()
    finally:
        k.delete("kwok.x-k8s.io/v1alpha1", "Stage", "download-fails")
    # The hub is reachable again: the next up replaces the failed Job and completes, without kubectl.
    result, steps = run(stack, "up")
    assert result.summary.result == "succeeded", steps.diagnostics
    jobs = [j for j in k.list("batch/v1", "Job", NS) if j["metadata"]["name"].startswith("download-r1-7b-")]
    assert jobs and all(j["status"].get("succeeded") == 1 for j in jobs), [j["status"] for j in jobs]
    _, again = run(stack, "preview", expect_no_changes=True)
    assert set(again.count()) <= {"same"}, again.changed()


def test_destroy_keeps_the_volumes_and_the_next_up_reattaches_them(local: Harness, stack) -> None:
    k = local.kube
    before = {name: k.get("v1", "PersistentVolumeClaim", name, NS)["metadata"]["uid"]
              for name in ("models", "open-webui-data")}
    result, steps = run(stack, "destroy", exclude_protected=True)
    assert result.summary.result == "succeeded", steps.diagnostics
    # What docs/delivery.md says destroy removes...
    assert not k.list("apps/v1", "Deployment", NS)
    assert not k.list("batch/v1", "Job", NS)
    assert k.get("v1", "Service", "llm-gateway", NS) is None
    # ...and what it keeps: the volumes and their data (bound to the same volumes), beyond the namespace
    # controller's reach.
    time.sleep(3)
    for name, uid in before.items():
        pvc = k.get("v1", "PersistentVolumeClaim", name, NS)
        assert pvc is not None and pvc["metadata"]["uid"] == uid, name
        assert pvc["metadata"].get("deletionTimestamp") is None, name
    # The next up adopts them instead of failing on "already exists".
    result, steps = run(stack, "up")
    assert result.summary.result == "succeeded", steps.diagnostics
    for name, uid in before.items():
        assert k.get("v1", "PersistentVolumeClaim", name, NS)["metadata"]["uid"] == uid, name
