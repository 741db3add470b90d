"""The command's refusals before any request: an in-cluster-only URL (with the way out), masked outputs,
a model the stack does not serve, a config error keyed as `pulumi preview` keys it. Exit 2 each."""

from __future__ import annotations

import json

import pytest

from measure.__main__ import main

from tests.conftest import ROOT

OUTS = {"apiBaseUrl": "http://llm-gateway.llm.svc:4000/v1", "apiBaseUrlInCluster": "http://llm-gateway.llm.svc:4000/v1",
        "apiKey": "sk-app", "models": ["DeepSeek-R1-Distill-Qwen-7B"], "namespace": "llm"}


def run(tmp_path, outputs: dict, *extra: str, stack: str = "dev", stack_dir=ROOT) -> int:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs))
    return main([stack, "--stack-dir", str(stack_dir), "--outputs", str(path), "--out", str(tmp_path / "m"), *extra])


def test_an_in_cluster_url_says_how_to_reach_it(tmp_path, capsys):
    assert run(tmp_path, OUTS) == 2
    err = capsys.readouterr().err
    assert "reachable only inside the cluster" in err and "--in-cluster" in err and "--base-url" in err
    assert not (tmp_path / "m").exists(), "nothing ran"


@pytest.mark.parametrize("change, extra, message", [
    ({"apiKey": "[secret]"}, (), "--show-secrets"),
    ({}, ("--models", "gpt-4o"), "none of --models gpt-4o is served"),
])
def test_unusable_inputs_exit_2(tmp_path, capsys, change, extra, message):
    assert run(tmp_path, {**OUTS, **change}, *extra) == 2
    assert message in capsys.readouterr().err


def test_a_config_error_is_keyed(tmp_path, capsys):
    (tmp_path / "Pulumi.bad.yaml").write_text(
        (ROOT / "Pulumi.dev.yaml").read_text().replace("maxSize: 2", "maxSize: 0", 1))
    assert run(tmp_path, OUTS, stack="bad", stack_dir=tmp_path) == 2
    assert "tke-llm:nodePools" in capsys.readouterr().err


def test_the_sweep_must_be_positive_integers(capsys):
    with pytest.raises(SystemExit):
        main(["dev", "--concurrency", "0,2"])
    assert "positive integers" in capsys.readouterr().err
