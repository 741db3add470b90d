"""Reading the stack outputs: the format `pulumi stack output --json --show-secrets` prints, and the
outputs a benchmark cannot use refused with the reason."""

from __future__ import annotations

import json

import pytest

from measure.outputs import OutputsError, from_file, parse, pulumi_bin

PRINTED = {"apiBaseUrl": "http://llm-gateway.llm.svc:4000/v1", "apiBaseUrlInCluster": "http://llm-gateway.llm.svc:4000/v1",
           "apiKey": "sk-app-123", "adminKey": "sk-master", "kubeconfig": "apiVersion: v1\n", "models": ["Qwen3-8B"],
           "namespace": "llm", "webuiUrl": "http://open-webui.llm.svc:8080"}


def test_the_printed_json_is_read(tmp_path):
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(PRINTED, indent=2))
    outs = from_file(path)
    assert outs.api_key == "sk-app-123" and outs.models == ("Qwen3-8B",) and outs.namespace == "llm"
    assert outs.in_cluster_only and outs.kubeconfig == "apiVersion: v1\n"


def test_an_exposed_api_is_not_in_cluster_only():
    outs = parse({**PRINTED, "apiBaseUrl": "https://llm.example.com/v1"})
    assert not outs.in_cluster_only and outs.api_base_url_in_cluster.endswith(".svc:4000/v1")


@pytest.mark.parametrize("change, message", [
    ({"apiKey": "[secret]"}, "--show-secrets"),
    ({"models": []}, "non-empty list"),
    ({"apiKey": None}, "--show-secrets"),
])
def test_unusable_outputs_are_refused(change, message):
    with pytest.raises(OutputsError, match=message):
        parse({**PRINTED, **change})


def test_missing_outputs_are_named():
    with pytest.raises(OutputsError, match="apiKey, models"):
        parse({"apiBaseUrl": "x"})


def test_a_masked_kubeconfig_is_treated_as_absent():
    assert parse({**PRINTED, "kubeconfig": "[secret]"}).kubeconfig is None


def test_no_pulumi_cli_says_what_to_do_instead():
    with pytest.raises(OutputsError, match="--outputs FILE"):
        pulumi_bin({"PATH": "/nonexistent"})
