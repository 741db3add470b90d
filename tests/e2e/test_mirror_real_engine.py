"""A stack with the weight mirror (an existing bucket on an existing cluster) under the real Pulumi engine
against a real API server: it comes up with the credentials Secret before the download Job, the upload Job
after it and the streaming server after that, the Jobs' env carries the keys only as secretKeyRefs, and no key appears in any pod spec or, unencrypted, in the state
(`pulumi stack export`). kwok runs no containers: the fill itself is tests/behaviour/test_mirror_fill.py's."""

from __future__ import annotations

import base64
import copy
import json
import subprocess

import pytest

from e2e.engine import run
from render.mirror import ACCESS_KEY, SECRET_KEY, SECRET_NAME

from .conftest import PREFIX, Harness, local_cluster_config
from .test_byo_real_engine import ts
from .test_serving_real_engine import STACK_CONFIG as SERVING

STACK = "mirror"
NS = "mirror"
STACK_CONFIG = copy.deepcopy(SERVING)
STACK_CONFIG[f"{PREFIX}namespace"] = NS
(MODEL,) = [copy.deepcopy(m) for m in STACK_CONFIG[f"{PREFIX}models"] if m["name"] == "qwen3-14b"]
MODEL["replicas"] = 1
STACK_CONFIG[f"{PREFIX}models"] = [MODEL]
STACK_CONFIG[f"{PREFIX}webui"] = {"enabled": False}
STACK_CONFIG[f"{PREFIX}exposure"] = {}
STACK_CONFIG[f"{PREFIX}modelCache"] = {"mirror": {"bucket": "tke-llm-weights-1250000000", "create": False,
                                                  "region": "ap-shanghai"}}
ID_VALUE = "AKIDe2eMirrorScopedKeyId0001"
KEY_VALUE = "e2e-mirror-scoped-secret-key-0001"
SECRETS = {f"{PREFIX}cosSecretId": ID_VALUE, f"{PREFIX}cosSecretKey": KEY_VALUE}
STACK_CONFIG.update(SECRETS)  # stored encrypted by the engine below (`pulumi config set --secret`)
STORAGE_CLASSES = ["shared-rwx"]

pytestmark = pytest.mark.real_engine


def leaked(text: str) -> list[str]:
    """Which form of either key (plain or base64, as a Secret's data holds it) occurs in `text`."""
    forms = [v for value in (ID_VALUE, KEY_VALUE) for v in (value, base64.b64encode(value.encode()).decode())]
    return [f for f in forms if f in text]


@pytest.fixture(scope="module")
def stack(local: Harness):
    config = local_cluster_config(STACK_CONFIG, local.cluster.kubeconfig, "local")
    config[f"{PREFIX}cluster"]["leaderWorkerSetInstalled"] = True
    return local.engine.stack(STACK, config, secrets=list(SECRETS))


def test_up_with_the_mirror_keeps_the_keys_out_of_pods_and_state(local: Harness, stack) -> None:
    result, steps = run(stack, "up")
    assert result.summary.result == "succeeded", steps.diagnostics
    k = local.kube

    secret = k.get("v1", "Secret", SECRET_NAME, NS)
    assert secret is not None
    assert base64.b64decode(secret["data"][ACCESS_KEY]).decode() == ID_VALUE
    assert base64.b64decode(secret["data"][SECRET_KEY]).decode() == KEY_VALUE

    (job,) = [j for j in k.list("batch/v1", "Job", NS) if j["metadata"]["name"].startswith("download-")]
    assert job["status"].get("succeeded") == 1
    assert ts(secret["metadata"]["creationTimestamp"]) <= ts(job["metadata"]["creationTimestamp"])
    env = {e["name"]: e for e in job["spec"]["template"]["spec"]["containers"][0]["env"]}
    for name, key in (("AWS_ACCESS_KEY_ID", ACCESS_KEY), ("AWS_SECRET_ACCESS_KEY", SECRET_KEY)):
        assert env[name] == {"name": name, "valueFrom": {"secretKeyRef": {"name": SECRET_NAME, "key": key}}}
    assert env["AWS_ENDPOINT_URL"]["value"] == "https://cos.ap-shanghai.myqcloud.com"
    assert env["RUNAI_STREAMER_S3_USE_VIRTUAL_ADDRESSING"]["value"] == "1"
    assert env["MIRROR_BUCKET"]["value"] == "tke-llm-weights-1250000000"

    # The upload Job comes after the download (it copies the volume's complete copy, read-only) and, the
    # model streaming from the mirror, before the server.
    (upload,) = [j for j in k.list("batch/v1", "Job", NS) if j["metadata"]["name"].startswith("upload-")]
    assert upload["status"].get("succeeded") == 1
    assert ts(job["status"]["completionTime"]) <= ts(upload["metadata"]["creationTimestamp"])
    pod = upload["spec"]["template"]["spec"]
    assert pod["volumes"][0]["persistentVolumeClaim"]["readOnly"] is True
    assert pod["containers"][0]["volumeMounts"][0]["readOnly"] is True
    (server,) = [d for d in k.list("apps/v1", "Deployment", NS) if d["metadata"]["name"] == MODEL["name"]]
    assert ts(upload["status"]["completionTime"]) <= ts(server["metadata"]["creationTimestamp"])

    # No key in any pod spec (the kubelet resolves the references; the API objects never hold a value).
    pods = k.list("v1", "Pod", NS)
    assert pods and not leaked(json.dumps([p["spec"] for p in pods]))
    for kind, api in (("Deployment", "apps/v1"), ("Job", "batch/v1")):
        assert not leaked(json.dumps(k.list(api, kind, NS)))

    # Nor, unencrypted, in the state: `pulumi stack export`, as an operator runs it (the Automation API's
    # export_stack adds --show-secrets: pulumi/automation/_local_workspace.py), and the state file itself.
    out = subprocess.run([str(local.engine.tools / "bin" / "pulumi"), "stack", "export", "--stack", STACK],
                         cwd=local.engine.project, env=local.engine.env, capture_output=True, text=True,
                         check=True, timeout=120)
    exported = out.stdout
    assert not leaked(local.engine.state_file(STACK).read_text())
    assert not leaked(exported), leaked(exported)
    assert "model-mirror-credentials" in exported and "ciphertext" in exported

    # No cloud resource for an existing bucket.
    assert "tencentcloud:Cos/bucket:Bucket" not in exported


def test_a_second_preview_is_empty_and_destroy_removes_the_secret(local: Harness, stack) -> None:
    result, steps = run(stack, "preview")
    changed = {k: v for k, v in steps.changed().items() if not k.startswith("pulumi:providers:pulumi-python::")}
    assert not changed, changed
    result, steps = run(stack, "destroy", exclude_protected=True)
    assert result.summary.result == "succeeded", steps.diagnostics
    assert local.kube.get("v1", "Secret", SECRET_NAME, NS) is None
