"""The config as `pulumi up` hands it to the program: every top-level value a string (a mapping or list as
its JSON), read back as the stack file means it. Each value below is one the Pulumi CLI really passes
(tests/e2e/test_cli_config.py checks them against the built CLI)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from checks import checked
from config import ConfigError, read_from_pulumi

from tests.conftest import existing_config, tke_config


def engine_read(raw: dict[str, Any], secrets: tuple[str, ...] = ()) -> tuple[dict[str, Any], set[str]]:
    """`read_from_pulumi` over `raw` as the engine passes it: scalars as the CLI's strings, others as JSON."""
    import pulumi

    values = {f"tke-llm:{k}": v if isinstance(v, str) else json.dumps(v) for k, v in raw.items()}
    cluster = raw.get("cluster")
    if isinstance(cluster, dict) and cluster.get("kind") == "tke":
        values["tencentcloud:region"] = cluster["region"]  # a TKE stack sets it beside the cluster (as dev does)
    pulumi.runtime.set_all_config(values, [f"tke-llm:{k}" for k in secrets])
    try:
        return read_from_pulumi()
    finally:
        pulumi.runtime.set_all_config({}, [])


def engine_issues(raw: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        checked(*engine_read(raw))
    return [str(i) for i in exc.value.issues]


@pytest.mark.parametrize("text, enabled", [("false", False), ("true", True)])
def test_webui_false_arrives_as_the_string_false_and_turns_the_ui_off(text, enabled):
    """`webui: false` (and `webui: "false"`, as `pulumi stack init` rewrites it) reach the program as "false"."""
    raw, _ = engine_read(tke_config(webui=text))
    assert raw["webui"] is enabled
    assert checked(raw).webui.enabled is enabled


def test_gateway_none_and_exposure_shorthands_read_as_written():
    raw, _ = engine_read(tke_config(gateway="none", exposure={"api": "none", "webui": "none"},
                                    models=[], webui="false"))
    cfg = checked(raw)
    assert not cfg.gateway.enabled and cfg.exposure.api.kind == "none"


@pytest.mark.parametrize("section, value", [("namespace", "123"), ("namespace", "true"), ("imageRegistry", "1234")])
def test_a_text_section_keeps_a_value_that_looks_like_a_number_or_boolean(section, value):
    raw, _ = engine_read(tke_config(**{section: value}))
    assert raw[section] == value


def test_a_secret_is_text_even_when_it_is_json():
    """A kubeconfig may be JSON; the program reads it with `require_secret` as the text it is."""
    raw = existing_config()
    del raw["cluster"]["kubeconfigPath"]
    raw["cluster"]["kubeconfigSecret"] = "kubeconfig"
    raw["kubeconfig"] = '{"apiVersion": "v1", "kind": "Config"}'
    read, secrets = engine_read(raw, secrets=("kubeconfig",))
    assert read["kubeconfig"] == raw["kubeconfig"] and secrets == {"kubeconfig"}
    checked(read, secrets)


@pytest.mark.parametrize("section", ["monitoring", "webui", "namespace", "cluster"])
def test_an_empty_value_is_a_keyed_error(section):
    """`tke-llm:monitoring:` with nothing after it: the CLI passes "" (and warns)."""
    found = engine_issues(tke_config(**{section: ""}))
    assert any(i.startswith(f"tke-llm:{section}: no value:") and "remove the key" in i for i in found), found


@pytest.mark.parametrize("depth", [100, 5000])
def test_absurd_nesting_is_a_keyed_error_not_a_traceback(depth):
    found = engine_issues(tke_config(gateway="[" * depth + "]" * depth))
    assert any(i.startswith("tke-llm:gateway: nested deeper than 64 levels") for i in found), found
