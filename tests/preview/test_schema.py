"""The editor schema (`python -m preview.schema`): in sync with the pydantic models, valid, describing the
whole `Pulumi.<stack>.yaml`, and accepting every shipped stack file."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any, Iterator

import pytest
import yaml
from jsonschema import Draft202012Validator

from preview import schema as gen
from config import PROJECT
from preview.stackfile import shipped_stacks, stack_path

from tests.conftest import ROOT


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return gen.build_schema()


@pytest.fixture(scope="module")
def validator(schema) -> Draft202012Validator:
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def test_committed_schema_is_in_sync_with_the_models():
    committed = gen.SCHEMA_PATH.read_text() if gen.SCHEMA_PATH.exists() else ""
    assert committed == gen.render(), (
        f"{gen.SCHEMA_PATH.relative_to(ROOT)} is out of date with the config models in config/. "
        f"Regenerate it with `.venv/bin/python -m preview.schema` (or `make schema`) and commit the result."
    )


def test_every_shipped_stack_file_validates(validator):
    stacks = shipped_stacks()
    assert {"dev", "prod", "byo"} <= set(stacks)
    for name in stacks:
        doc = yaml.safe_load(stack_path(name).read_text())
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in validator.iter_errors(doc)]
        assert not errors, f"Pulumi.{name}.yaml: {errors}"


def _errors(validator, config: dict[str, Any], **top: Any) -> list[str]:
    return ["/".join(map(str, e.absolute_path)) for e in validator.iter_errors({"config": config, **top})]


def test_layout_is_the_pulumi_stack_file(validator, schema):
    config = schema["properties"]["config"]
    assert {f"{PROJECT}:cluster", f"{PROJECT}:nodePools", f"{PROJECT}:storage", f"{PROJECT}:models"} <= set(config["properties"])
    ok = {f"{PROJECT}:cluster": {"kind": "existing", "name": "lab", "kubernetesVersion": "1.29.0", "kubeconfigSecret": "kubeconfig"},
          f"{PROJECT}:storage": {"kind": "existing", "storageClassName": "nfs"},
          f"{PROJECT}:kubeconfig": {"secure": "v1:abc"},
          "tencentcloud:region": "ap-shanghai",
          "pulumi:disable-default-providers": ["kubernetes"]}
    assert _errors(validator, ok, secretsprovider="passphrase", encryptionsalt="v1:x") == []
    # A typo'd section, a secret written in clear, a wrong variant, an unknown field, a stray top-level key.
    assert _errors(validator, {**ok, f"{PROJECT}:nmespace": "llm"}) == [f"config/{PROJECT}:nmespace"]
    assert _errors(validator, {**ok, f"{PROJECT}:kubeconfig": "apiVersion: v1"}) == [f"config/{PROJECT}:kubeconfig"]
    assert _errors(validator, {**ok, f"{PROJECT}:storage": {"kind": "nfs"}}) == [f"config/{PROJECT}:storage"]
    assert _errors(validator, {**ok, f"{PROJECT}:namespace": 3}) == [f"config/{PROJECT}:namespace"]
    assert _errors(validator, {k: v for k, v in ok.items() if k != f"{PROJECT}:storage"}) == ["config"]
    assert _errors(validator, ok, confg={}) == [""]


def test_a_tke_stack_without_the_providers_region_is_flagged_in_the_editor(validator):
    doc = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    del doc["config"]["tencentcloud:region"]
    assert [e.message for e in validator.iter_errors(doc)] == ["'tencentcloud:region' is a required property"]


def _properties(node: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        for key, value in (node.get("properties") or {}).items():
            yield f"{path}.{key}", value
        for key, value in node.items():
            yield from _properties(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _properties(value, f"{path}[{i}]")


def test_every_field_has_a_description_and_examples_that_validate(schema):
    props = list(_properties(schema))
    assert len(props) > 150
    for path, prop in props:
        assert isinstance(prop.get("description"), str) and prop["description"].strip(), path
        assert prop.get("examples"), path
        check = Draft202012Validator({**{k: v for k, v in prop.items() if k != "examples"}, "$defs": schema["$defs"]})
        for example in prop["examples"]:
            bad = [e.message[:160] for e in check.iter_errors(example)]
            assert not bad, f"{path}: example {example!r} does not validate: {bad}"


def test_docstrings_reach_the_schema(schema):
    defs = schema["$defs"]
    region = defs["TkeCluster"]["properties"]["region"]
    assert region["description"].startswith("Tencent Cloud region") and "title" not in region
    kind = defs["TkeCluster"]["properties"]["kind"]
    assert kind["description"] == "Selects this variant: `kind: tke`." and kind["examples"] == ["tke"]
    revision = defs["HuggingFaceSource"]["properties"]["revision"]
    assert "never `main`" in revision["description"]


def test_cli_writes_checks_and_lists_undocumented(tmp_path):
    out = tmp_path / "s.json"
    run = [sys.executable, "-m", "preview.schema"]
    done = subprocess.run([*run, "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text())["$schema"].endswith("2020-12/schema")
    assert subprocess.run([*run, "--out", str(out), "--check"], cwd=ROOT, capture_output=True).returncode == 0
    out.write_text("{}")
    stale = subprocess.run([*run, "--out", str(out), "--check"], cwd=ROOT, capture_output=True, text=True)
    assert stale.returncode == 1 and "python -m preview.schema" in stale.stderr
    listed = subprocess.run([*run, "--undocumented"], cwd=ROOT, capture_output=True, text=True)
    assert listed.returncode == 0 and all("." in line for line in listed.stdout.split())
