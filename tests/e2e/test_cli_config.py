"""The offline plan reads a stack file as the real Pulumi CLI does (preview/stackfile.py): the same
keys (unqualified ones are the project's) and the same values, for every shipped stack."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from preview.stackfile import read, shipped_stacks

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.real_engine


def cli_config(tools: Path, work: Path, stack: str, text: str) -> dict[str, dict]:
    project = work / "project"
    project.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "Pulumi.yaml", project / "Pulumi.yaml")
    (project / f"Pulumi.{stack}.yaml").write_text(text)
    env = {**os.environ, "PULUMI_HOME": str(work / "home"), "PULUMI_BACKEND_URL": f"file://{work / 'state'}",
           "PULUMI_CONFIG_PASSPHRASE": "x", "PULUMI_SKIP_UPDATE_CHECK": "true"}
    (work / "state").mkdir(exist_ok=True)
    pulumi = str(tools / "bin" / "pulumi")
    subprocess.run([pulumi, "stack", "init", stack, "--non-interactive"], cwd=project, env=env, check=True,
                   capture_output=True)
    out = subprocess.run([pulumi, "config", "--json", "-s", stack], cwd=project, env=env, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def project_values(cli: dict[str, dict]) -> dict[str, object]:
    values = {}
    for key, entry in cli.items():
        if key.startswith("tke-llm:"):
            values[key.split(":", 1)[1]] = entry["objectValue"] if "objectValue" in entry else entry["value"]
    return values


def as_cli(value: object) -> object:
    """The CLI reports scalars as strings and structured values as JSON objects."""
    if isinstance(value, (dict, list)):
        return json.loads(json.dumps(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@pytest.mark.parametrize("stack", shipped_stacks())
def test_shipped_stack_reads_the_same_as_the_cli(tools: Path, tmp_path: Path, stack: str) -> None:
    text = (ROOT / f"Pulumi.{stack}.yaml").read_text()
    cli = project_values(cli_config(tools, tmp_path, stack, text))
    offline, secrets = read(stack)
    assert not secrets
    assert cli == {k: as_cli(v) for k, v in offline.items()}


def test_unqualified_keys_are_the_projects(tools: Path, tmp_path: Path) -> None:
    doc = yaml.safe_load((ROOT / "Pulumi.byo.yaml").read_text())
    doc["config"] = {k.split(":", 1)[1] if k.startswith("tke-llm:") else k: v for k, v in doc["config"].items()}
    text = yaml.safe_dump(doc)
    cli = project_values(cli_config(tools, tmp_path, "t", text))
    (tmp_path / "Pulumi.t.yaml").write_text(text)
    offline, _ = read("t", tmp_path)
    assert set(cli) == set(offline) == {k.split(":", 1)[-1] for k in doc["config"]}
