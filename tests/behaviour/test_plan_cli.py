"""`python -m preview`: the offline plan users and CI run."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

from tests.conftest import ROOT, plan_errors


def run_plan(*args: str, cwd=ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "preview", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env={**os.environ, **(env or {})})


def test_plan_writes_every_artifact(tmp_path):
    done = run_plan("dev", "--out", str(tmp_path), "--quiet")
    assert done.returncode == 0, done.stderr
    out = tmp_path / "dev"
    assert sorted(p.name for p in out.iterdir()) == ["graph.mmd", "manifests.yaml", "outputs.json", "resources.json", "summary.md"]
    resources = json.loads((out / "resources.json").read_text())
    keys = {"type", "name", "urn", "parent", "dependsOn", "provider", "inputs", "options"}
    assert resources and all(set(r) == keys for r in resources)
    pool = next(r for r in resources if r["type"] == "tencentcloud:Kubernetes/nodePool:NodePool")
    assert isinstance(pool["inputs"]["maxSize"], int), "whole numbers are written as integers"
    assert set(pool["options"]) >= {"protect", "ignoreChanges", "customTimeouts", "deleteBeforeReplace", "retainOnDelete", "deletedWith"}
    docs = [d for d in yaml.safe_load_all((out / "manifests.yaml").read_text()) if d]
    assert docs[0]["kind"] == "Namespace", "the namespace is applied first"
    assert all(d["apiVersion"] and d["kind"] and d["metadata"]["name"] for d in docs)
    pvc = next(d for d in docs if d["kind"] == "PersistentVolumeClaim")
    assert pvc["metadata"]["namespace"] == "llm"
    outputs = json.loads((out / "outputs.json").read_text())
    assert outputs["kubeconfig"] == "[secret]" and "current-context" not in (out / "resources.json").read_text()
    assert (out / "graph.mmd").read_text().startswith("graph TD")
    assert "## cloud" in (out / "summary.md").read_text()


def test_plan_prints_summary_by_default(tmp_path):
    done = run_plan("byo", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "# Plan for stack `byo`" in done.stdout and "plan written to" in done.stdout


def test_invalid_config_exits_2_listing_every_error(tmp_path):
    (tmp_path / "Pulumi.bad.yaml").write_text(yaml.safe_dump({"config": {
        "tke-llm:cluster": {"kind": "existing", "name": "x", "kubernetesVersion": "1.3"},
        "tke-llm:storage": {"kind": "existing", "storageClassName": "NFS"},
        "tke-llm:nmespace": "x",
    }}))
    done = run_plan("bad", "--stack-dir", str(tmp_path), "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    assert "tke-llm:cluster.kubernetesVersion: 1.3 is too old: the rendered manifests need 1.24 or newer" in done.stderr
    assert "tke-llm:storage.storageClassName: 'NFS' is not a valid StorageClass name" in done.stderr
    assert "tke-llm:nmespace: unknown key" in done.stderr
    assert not (tmp_path / "out").exists()


def test_unknown_stack_exits_2(tmp_path):
    done = run_plan("nope", "--out", str(tmp_path))
    assert done.returncode == 2 and "Pulumi.nope.yaml not found" in done.stderr


def test_program_failure_is_not_success(tmp_path):
    """A crash inside the program (here: an invoke the mocks refuse) exits non-zero with the error."""
    code = (
        "import sys, program.compose as c;"
        "orig = c.build\n"
        "def broken(cfg, stack):\n"
        "    import tencentcloud_iac_pulumi as tc; tc.kubernetes.get_clusters_output(); return orig(cfg, stack)\n"
        "c.build = broken\n"
        "import preview.__main__ as m; sys.exit(m.main(['dev', '--out', sys.argv[1], '--quiet']))"
    )
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode not in (0, 2)
    assert "the plan has no mock for it" in done.stderr


def test_plans_are_identical_from_run_to_run(tmp_path):
    """Registration order varies with thread scheduling and set order with the hash seed; the written
    plan must not, or every pull-request diff would show noise."""
    for run, seed in (("a", "1"), ("b", "3")):  # seeds under which set order once differed
        assert run_plan("prod", "--out", str(tmp_path / run), "--quiet", env={"PYTHONHASHSEED": seed}).returncode == 0
    for name in ("manifests.yaml", "resources.json", "graph.mmd", "summary.md", "outputs.json"):
        assert (tmp_path / "a" / "prod" / name).read_text() == (tmp_path / "b" / "prod" / name).read_text(), name


def test_one_plan_lists_an_error_of_every_stage(tmp_path, capsys):
    """The dev stack with one mistake per stage: an unknown key, a secret reference without its key, a
    model on a pool that does not exist, and a startup timeout the preflight refuses on another model."""
    from tests.conftest import plan_errors

    doc = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    config = doc["config"]
    served = {k: v for k, v in config["tke-llm:models"][0].items() if k != "autoscaling"}  # would outgrow the pool
    config["tke-llm:models"] = [
        {**served, "startupTimeoutSeconds": 60},
        {**served, "name": "lost", "servedName": "Lost", "pool": "nope"},
        {**served, "name": "gated", "servedName": "Gated",
         "source": {"kind": "huggingface", "repo": "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", "revision": "abc123",
                    "tokenSecret": "hfToken"}},
    ]
    config["tke-llm:webUI"] = True
    lines = plan_errors(tmp_path, capsys, yaml.safe_dump(doc))
    assert lines[0] == "Pulumi.t.yaml has 4 config error(s):", lines
    assert any(x.startswith("tke-llm:webUI: unknown key; did you mean `webui`?") for x in lines), lines
    assert any(x.startswith("tke-llm:models[2].source.tokenSecret: no config key tke-llm:hfToken") for x in lines)
    assert any(x.startswith("tke-llm:models[1].pool: no node pool named 'nope'") for x in lines)
    assert any(x.startswith("tke-llm:models[0].startupTimeoutSeconds: 60 s is shorter") for x in lines), lines


DEV = (ROOT / "Pulumi.dev.yaml").read_text()


def test_a_stack_file_that_is_not_utf8_is_refused_with_the_fix(tmp_path, capsys):
    """A Chinese comment saved as GBK: the Pulumi CLI refuses the file too (yaml.v3 reads UTF-8 only)."""
    text = DEV.replace("# dev: a new TKE cluster", "# 开发环境: a new TKE cluster").encode("gbk")
    found = plan_errors(tmp_path, capsys, text)
    assert found == ["error: Pulumi.t.yaml is not UTF-8 (line 1, byte 0xbf): the Pulumi CLI reads stack files as "
                     "UTF-8 only; save the file as UTF-8"], found


@pytest.mark.parametrize("depth", [1000, 100000])
def test_absurd_nesting_in_a_stack_file_is_refused_not_a_traceback(tmp_path, capsys, depth):
    found = plan_errors(tmp_path, capsys, DEV + "  tke-llm:probe: " + "[" * depth + "]" * depth + "\n")
    assert len(found) == 1, found
    assert found[0].startswith("error: Pulumi.t.yaml: line 72: nested deeper than 128 levels"), found


def test_deep_nesting_in_a_config_value_is_a_keyed_error(tmp_path, capsys):
    gateway = "  tke-llm:gateway:\n    kind: litellm\n    clientNamespaces: [llm-apps]\n"
    found = plan_errors(tmp_path, capsys, DEV.replace(gateway, "  tke-llm:gateway: " + "[" * 100 + "]" * 100 + "\n"))
    assert any(line.startswith("tke-llm:gateway: nested deeper than 64 levels") for line in found), found
