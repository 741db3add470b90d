"""The CrossGuard policy pack in `policy/`: every rule with passing and failing inputs, every shipped stack
passing every rule, and the pack itself (pulumi-policy, in its own virtualenv `.venv-policy`) reporting
violations through `validate` and over gRPC as `pulumi preview --policy-pack policy` would call it."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from preview.stackfile import read, shipped_stacks

from tests.conftest import ROOT, render_raw

POLICY_DIR = ROOT / "policy"
POLICY_PY = ROOT / ".venv-policy" / "bin" / "python"
sys.path.insert(0, str(POLICY_DIR))

import tke_llm_rules as rules  # noqa: E402
from tke_llm_rules import Res  # noqa: E402

NS = "llm"
ENGINE_LABELS = {"app.kubernetes.io/component": "model-server", "app.kubernetes.io/name": "qwen"}


def container(**over: Any) -> dict[str, Any]:
    c = {"name": "engine", "image": "vllm/vllm-openai:v0.18.0",
         "resources": {"requests": {"nvidia.com/gpu": 1}, "limits": {"nvidia.com/gpu": 1}}}
    c.update(over)
    return c


def deployment(*containers: dict[str, Any], labels=None, pod: dict[str, Any] | None = None, init=()) -> Res:
    spec = {"containers": list(containers) or [container()], "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists"}]}
    if init:
        spec["initContainers"] = list(init)
    spec.update(pod or {})
    props = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "qwen", "namespace": NS},
             "spec": {"selector": {"matchLabels": ENGINE_LABELS},
                      "template": {"metadata": {"labels": ENGINE_LABELS if labels is None else labels}, "spec": spec}}}
    return Res("kubernetes:apps/v1:Deployment", props, name="qwen-deployment", urn="urn:deployment")


def service(typ: str = "ClusterIP", labels=ENGINE_LABELS, selector=ENGINE_LABELS, name="qwen-api", **spec) -> Res:
    props = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": NS, "labels": labels},
             "spec": {"type": typ, "selector": selector, "ports": [{"port": 8000}], **spec}}
    return Res("kubernetes:core/v1:Service", props, name=f"{name}-svc", urn=f"urn:svc:{name}")


# --- 1. GPU limits -------------------------------------------------------------------------------

def test_gpu_limits_pass_and_fail():
    assert rules.gpu_limits(deployment()) == []
    no_limit = deployment(container(resources={"requests": {"nvidia.com/gpu": 1}}))
    msgs = rules.gpu_limits(no_limit)
    assert any("without the same limit" in m for m in msgs) and any("without a GPU limit" in m for m in msgs)
    # An engine pod on GPU nodes with no GPU resources at all.
    bare = deployment(container(resources={"limits": {"memory": "64Gi"}}))
    assert ["without a GPU limit" in m for m in rules.gpu_limits(bare)] == [True]
    # A vLLM image on GPU nodes, outside an engine pod; a qGPU limit counts.
    assert rules.gpu_limits(deployment(container(resources={}), labels={})) != []
    qgpu = container(resources={"limits": {"tke.cloud.tencent.com/qgpu-core": 50}})
    assert rules.gpu_limits(deployment(qgpu)) == []
    # The same Ollama image pulling on a CPU node (no GPU toleration or selector) is not a GPU container.
    pull = deployment(container(image="ollama/ollama:0.12.10", resources={}), labels={"app.kubernetes.io/component": "model-download"},
                      pod={"tolerations": [], "nodeSelector": {"tke-llm.io/pool": "system"}})
    assert rules.gpu_limits(pull) == []


def test_a_pull_kept_off_gpu_nodes_by_affinity_is_not_a_gpu_container_one_drawn_to_them_is():
    def pull(operator):
        expr = {"key": "nvidia.com/gpu.present", "operator": operator, "values": ["true"]}
        affinity = {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 100, "preference": {"matchExpressions": [expr]}}]}}
        return deployment(container(image="ollama/ollama:0.12.10", resources={}),
                          labels={"app.kubernetes.io/component": "model-download"},
                          pod={"tolerations": [], "affinity": affinity})
    assert rules.gpu_limits(pull("NotIn")) == [], "the off-GPU preference of an existing cluster's download"
    assert ["without a GPU limit" in m for m in rules.gpu_limits(pull("In"))] == [True]


def test_gpu_limits_cover_leaderworkerset_templates():
    pod = {"metadata": {"labels": ENGINE_LABELS},
           "spec": {"nodeSelector": {"tke-llm.io/gpu": "H20"}, "containers": [container(resources={})]}}
    lws = Res("kubernetes:leaderworkerset.x-k8s.io/v1:LeaderWorkerSet",
              {"kind": "LeaderWorkerSet", "metadata": {"name": "r1"},
               "spec": {"leaderWorkerTemplate": {"leaderTemplate": pod, "workerTemplate": copy.deepcopy(pod)}}})
    msgs = rules.gpu_limits(lws)
    assert len(msgs) == 2 and "leaderTemplate" in msgs[0] and "workerTemplate" in msgs[1]


# --- 2. images pinned ----------------------------------------------------------------------------

@pytest.mark.parametrize("image, ok", [
    ("vllm/vllm-openai:v0.18.0", True),
    ("ccr.ccs.tencentyun.com/mirror/lmsysorg/sglang:v0.5.15", True),
    ("registry.local:5000/ollama/ollama@sha256:" + "a" * 64, True),
    ("vllm/vllm-openai", False),
    ("registry.local:5000/vllm/vllm-openai", False),
    ("vllm/vllm-openai:latest", False),
    ("python:LATEST", False),
])
def test_image_references(image, ok):
    assert (rules.image_problem(image) is None) is ok


def test_images_pinned_in_init_containers_and_charts():
    assert rules.images_pinned(deployment()) == []
    bad = deployment(init=[{"name": "fetch", "image": "busybox"}])
    assert ["initContainers[fetch]" in m and "no tag" in m for m in rules.images_pinned(bad)] == [True]
    chart = {"chart": "oci://registry.k8s.io/lws/charts/lws", "version": "0.10.0",
             "values": {"image": {"manager": {"repository": "lws/lws", "tag": "v0.10.0"}}}}
    assert rules.images_pinned(Res("kubernetes:helm.sh/v4:Chart", chart, name="lws")) == []
    floating = copy.deepcopy(chart)
    del floating["version"]
    floating["values"]["image"]["manager"]["tag"] = "latest"
    msgs = rules.images_pinned(Res("kubernetes:helm.sh/v4:Chart", floating, name="lws"))
    assert len(msgs) == 2 and "no chart `version`" in msgs[0] and "latest" in msgs[1]


# --- 3. engines inside the cluster ---------------------------------------------------------------

def test_engine_service_types():
    assert rules.engine_service_internal(service()) == []
    assert rules.engine_service_internal(service("LoadBalancer")) != []
    assert rules.engine_service_internal(service("NodePort")) != []
    assert rules.engine_service_internal(service(externalIPs=["203.0.113.7"])) != []
    # Found by its selector even without the label; the gateway's LoadBalancer is fine.
    assert rules.engine_service_internal(service("LoadBalancer", labels={})) != []
    gateway = {"app.kubernetes.io/component": "gateway"}
    assert rules.engine_service_internal(service("LoadBalancer", labels=gateway, selector=gateway, name="gateway")) == []


def test_engine_not_routed_by_ingress_or_httproute():
    gateway = {"app.kubernetes.io/component": "gateway"}
    svcs = [service(), service(labels=gateway, selector=gateway, name="gateway")]

    def ingress(backend: str) -> Res:
        return Res("kubernetes:networking.k8s.io/v1:Ingress",
                   {"kind": "Ingress", "metadata": {"name": "llm", "namespace": NS},
                    "spec": {"rules": [{"http": {"paths": [{"path": "/", "backend": {"service": {"name": backend}}}]}}]}},
                   urn=f"urn:ingress:{backend}")

    def route(backend: str, namespace: str | None = None) -> Res:
        ref = {"name": backend, "port": 8000, **({"namespace": namespace} if namespace else {})}
        return Res("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
                   {"kind": "HTTPRoute", "metadata": {"name": "llm", "namespace": NS}, "spec": {"rules": [{"backendRefs": [ref]}]}},
                   urn=f"urn:route:{backend}:{namespace}")

    assert rules.engine_not_routed([*svcs, ingress("gateway"), route("gateway")]) == []
    found = rules.engine_not_routed([*svcs, ingress("qwen-api"), route("qwen-api"), route("qwen-api", "other")])
    assert [urn for urn, _ in found] == ["urn:ingress:qwen-api", "urn:route:qwen-api:None"]


# --- 4. secrets ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name, secret", [
    ("HF_TOKEN", True), ("VLLM_API_KEY", True), ("apiKey", True), ("OPENAI_API_KEY", True), ("DB_PASSWORD", True),
    ("WEBUI_SECRET_KEY", True), ("MAX_TOKENS", False), ("HF_TOKEN_PATH", False), ("SECRET_NAME", False),
    ("PUBLIC_KEY", False), ("MODEL_ID", False), ("tokenizer", False), ("HF_HUB_DISABLE_TELEMETRY", False),
])
def test_secret_looking_names(name, secret):
    assert rules.secret_looking(name) is secret


def test_plain_env_and_flags():
    from_secret = container(env=[{"name": "VLLM_API_KEY", "valueFrom": {"secretKeyRef": {"name": "k", "key": "api-key"}}},
                                 {"name": "HF_HUB_OFFLINE", "value": "1"}],
                            args=["--api-key", "$(VLLM_API_KEY)"])
    assert rules.no_plain_secrets(deployment(from_secret)) == []
    literal = container(env=[{"name": "HF_TOKEN", "value": "hf_" + "x" * 34}, {"name": "X", "value": "sk-" + "y" * 30}])
    msgs = rules.no_plain_secrets(deployment(literal))
    assert len(msgs) == 2 and "HF_TOKEN has a literal value" in msgs[0] and "looks like a credential" in msgs[1]
    flag = container(command=["vllm", "serve", "m", "--api-key=abc123secret"])
    assert ["--api-key" in m for m in rules.no_plain_secrets(deployment(flag))] == [True]
    flag2 = container(args=["--api-key", "abc123secret"])
    assert len(rules.no_plain_secrets(deployment(flag2))) == 1


def configmap(data: dict[str, str]) -> Res:
    return Res("kubernetes:core/v1:ConfigMap", {"kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": NS}, "data": data})


def test_configmaps():
    litellm_ok = "model_list:\n- model_name: qwen\n  litellm_params:\n    model: openai/qwen\n    api_key: os.environ/QWEN_KEY\n"
    assert rules.no_plain_secrets(configmap({"config.yaml": litellm_ok, "LOG_LEVEL": "info"})) == []
    litellm_bad = litellm_ok.replace("os.environ/QWEN_KEY", "plain-key-123") + "general_settings:\n  master_key: sk-abc\n"
    msgs = rules.no_plain_secrets(configmap({"config.yaml": litellm_bad}))
    assert len(msgs) == 2 and "api_key" in msgs[0] and "master_key" in msgs[1]
    assert len(rules.no_plain_secrets(configmap({"API_KEY": "abc"}))) == 1
    assert len(rules.no_plain_secrets(configmap({"app.env": "export HF_TOKEN=abc\nPORT=8000\n"}))) == 1
    assert len(rules.no_plain_secrets(configmap({"ca.txt": "-----BEGIN RSA PRIVATE KEY-----\n..."}))) == 1


# --- 5. protected data ---------------------------------------------------------------------------

def pvc(name: str, component: str, protect: bool) -> Res:
    return Res("kubernetes:core/v1:PersistentVolumeClaim",
               {"kind": "PersistentVolumeClaim", "metadata": {"name": name, "labels": {"app.kubernetes.io/component": component}}},
               protect=protect)


def test_data_protected():
    fs = "tencentcloud:Cfs/fileSystem:FileSystem"
    assert rules.data_protected(Res(fs, {"protocol": "TURBO"}, name="storage-turbo", protect=True)) == []
    assert len(rules.data_protected(Res(fs, {"protocol": "TURBO"}, name="storage-turbo"))) == 1
    assert rules.data_protected(pvc("models", "model-storage", True)) == []
    assert len(rules.data_protected(pvc("models", "model-storage", False))) == 1
    assert len(rules.data_protected(pvc("open-webui", "webui", False))) == 1
    assert rules.data_protected(pvc("scratch", "cache", False)) == []


# --- every shipped stack passes ------------------------------------------------------------------

@pytest.mark.parametrize("stack", shipped_stacks())
def test_every_shipped_stack_passes_the_pack(stack):
    raw, secrets = read(stack)
    plan = render_raw(raw, stack=stack, secrets=secrets)
    resources = [Res(r.type, r.inputs, r.name, r.urn, bool(r.options.get("protect"))) for r in plan.resources]
    assert rules.check_all(resources) == []
    volumes = [r for r in resources if rules.is_data_volume(r)]
    assert volumes, "every stack has a model volume the pack protects"


# --- the pack itself, in its own virtualenv ------------------------------------------------------

HARNESS = r'''
import json, sys
sys.path.insert(0, sys.argv[1])
from pulumi_policy import (PolicyCustomTimeouts, PolicyResource, PolicyResourceOptions, ResourceValidationArgs,
                           ResourceValidationPolicy, StackValidationArgs)
import tke_llm_pack

cases = json.load(sys.stdin)
policies = {p.name: p for p in tke_llm_pack.policies()}

def opts(protect):
    return PolicyResourceOptions(protect, [], False, [], PolicyCustomTimeouts(0, 0, 0), [])

out = {"policies": sorted(policies)}
for case in cases["resource"]:
    found = []
    args = ResourceValidationArgs(case["type"], case["props"], "urn:" + case["name"], case["name"], opts(case["protect"]), None)
    policies[case["policy"]].validate(args, lambda msg, urn=None: found.append(msg))
    out[case["id"]] = found
found = []
resources = [PolicyResource(r["type"], r["props"], "urn:" + r["name"], r["name"], opts(False), None, None, [], {})
             for r in cases["stack"]]
policies["engine-not-routed"].validate(StackValidationArgs(resources), lambda msg, urn=None: found.append([urn, msg]))
out["stack"] = found
print(json.dumps(out))
'''

GRPC = r'''
import json, subprocess, sys
import grpc
from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc, plugin_pb2

server = subprocess.Popen([sys.executable, "__main__.py"], cwd=sys.argv[1], stdout=subprocess.PIPE, text=True)
try:
    port = int(server.stdout.readline())
    stub = analyzer_pb2_grpc.AnalyzerStub(grpc.insecure_channel(f"127.0.0.1:{port}"))
    case = json.load(sys.stdin)
    props = struct_pb2.Struct()
    props.update(case["props"])
    req = analyzer_pb2.AnalyzeRequest(type=case["type"], properties=props, urn="urn:x", name="x",
                                      options=analyzer_pb2.AnalyzerResourceOptions(protect=False))
    resp = stub.Analyze(req, timeout=30)
    info = stub.GetAnalyzerInfo(__import__("google.protobuf.empty_pb2", fromlist=["Empty"]).Empty(), timeout=30)
    print(json.dumps({"name": info.name, "policies": sorted(p.name for p in info.policies),
                      "diagnostics": [[d.policyName, d.message, d.enforcementLevel] for d in resp.diagnostics]}))
finally:
    server.kill()
    server.wait()
'''


def _policy_python() -> Path:
    if not POLICY_PY.exists():
        pytest.fail("the policy pack's virtualenv is missing: run `make policy-venv` (or `make test`, which creates it)")
    return POLICY_PY


def test_pack_policies_validate_through_pulumi_policy():
    bad_image = deployment(container(image="vllm/vllm-openai:latest"))
    cases = {
        "resource": [
            {"id": "gpu-ok", "policy": "gpu-containers-set-gpu-limits", **_case(deployment())},
            {"id": "gpu-bad", "policy": "gpu-containers-set-gpu-limits", **_case(deployment(container(resources={})))},
            {"id": "image-bad", "policy": "images-pinned", **_case(bad_image)},
            {"id": "svc-bad", "policy": "engine-service-internal", **_case(service("LoadBalancer"))},
            {"id": "cm-bad", "policy": "no-plain-secrets", **_case(configmap({"HF_TOKEN": "hf_abc"}))},
            {"id": "pvc-ok", "policy": "model-data-protected", **_case(pvc("models", "model-storage", True))},
            {"id": "pvc-bad", "policy": "model-data-protected", **_case(pvc("models", "model-storage", False))},
        ],
        "stack": [
            _case(service()),
            _case(Res("kubernetes:networking.k8s.io/v1:Ingress",
                      {"kind": "Ingress", "metadata": {"name": "open", "namespace": NS},
                       "spec": {"defaultBackend": {"service": {"name": "qwen-api", "port": {"number": 8000}}}}}, name="open")),
        ],
    }
    done = subprocess.run([str(_policy_python()), "-c", HARNESS, str(POLICY_DIR)], input=json.dumps(cases),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["policies"] == sorted([*rules.RESOURCE_RULES, *rules.STACK_RULES])
    assert out["gpu-ok"] == [] and out["pvc-ok"] == []
    for bad in ("gpu-bad", "image-bad", "svc-bad", "cm-bad", "pvc-bad"):
        assert out[bad], bad
    assert out["stack"] and out["stack"][0][0] == "urn:open"


def _case(r: Res) -> dict[str, Any]:
    return {"type": r.type, "props": r.props, "name": r.name or "r", "protect": r.protect}


def test_pack_serves_over_grpc_as_the_cli_runs_it():
    case = _case(deployment(container(image="vllm/vllm-openai")))
    done = subprocess.run([str(_policy_python()), "-c", GRPC, str(POLICY_DIR)], input=json.dumps(case),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["name"] == "tke-llm" and "images-pinned" in out["policies"]
    assert [d[0] for d in out["diagnostics"]] == ["images-pinned"]
    assert "has no tag" in out["diagnostics"][0][1]


def test_policy_files():
    import yaml

    meta = yaml.safe_load((POLICY_DIR / "PulumiPolicy.yaml").read_text())
    assert meta["runtime"]["name"] == "python" and meta["runtime"]["options"]["virtualenv"] == "../.venv-policy"
    reqs = (POLICY_DIR / "requirements.txt").read_text()
    assert "pulumi-policy==" in reqs and "pulumi==" in reqs


def test_code_in_configmaps_is_not_read_as_settings():
    code = 'async def auth(request, api_key):\n    key = api_key or ""\n    token = os.environ["X"]\n'
    assert rules.no_plain_secrets(configmap({"tke_llm_auth.py": code, "run.sh": "TOKEN=$(cat /var/run/token)\n"})) == []
    assert len(rules.no_plain_secrets(configmap({"auth.py": "KEY = 'hf_" + "a" * 34 + "'\n"}))) == 1, \
        "a credential-looking value is found in any file"


def test_the_weight_mirror_bucket_is_protected_data_and_a_mirror_stack_passes():
    bucket = "tencentcloud:Cos/bucket:Bucket"
    assert len(rules.data_protected(Res(bucket, {"bucket": "w-1250000000"}, name="mirror-bucket"))) == 1
    from tests.conftest import tke_config

    keys = {"cosSecretId": "AKIDscoped", "cosSecretKey": "scoped-secret"}
    model = {"name": "q", "servedName": "Q", "engine": "vllm", "pool": "gpu", "settings": {"maxModelLen": 8192},
             "source": {"kind": "huggingface", "repo": "Qwen/Qwen3-8B", "revision": "v1"}}
    plan = render_raw(tke_config(modelCache={"mirror": {"bucket": "w-1250000000"}}, models=[model], **keys),
                      secrets=set(keys))
    resources = [Res(r.type, r.inputs, r.name, r.urn, bool(r.options.get("protect"))) for r in plan.resources]
    assert rules.check_all(resources) == []
    assert any(r.type == bucket and rules.is_data_volume(r) for r in resources)
