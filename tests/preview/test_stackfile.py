"""The offline plan reads a stack file's values as the Pulumi CLI does (gopkg.in/yaml.v3, then strings for
top-level scalars): every expected value below is what the built CLI's `pulumi config --json` returned
for the same text (tests/e2e/test_cli_config.py checks the reader against it, form by form)."""

from __future__ import annotations

import pytest

from checks import checked
from config import ConfigError
from preview.stackfile import read

from tests.conftest import ROOT

DEV = (ROOT / "Pulumi.dev.yaml").read_text()

# (YAML as written, the value at the top level of the config, the value inside a mapping)
FORMS = [
    ("true", "true", True), ("True", "true", True), ("FALSE", "false", False),
    ("yes", "yes", "yes"), ("on", "on", "on"), ("Off", "Off", "Off"), ("n", "n", "n"),
    ("1:30", "1:30", "1:30"), ("0x10", "16", 16), ("010", "8", 8), ("0o10", "8", 8), ("08", "8", 8),
    ("0b101", "5", 5), ("1_000", "1000", 1000), ("+12", "12", 12), ("-0", "0", 0), ("-0.0", "0", 0),
    ("1e3", "1000", 1000), ("1.0", "1", 1), ("1.50", "1.5", 1.5), (".5", "0.5", 0.5), ("1e6", "1000000", 1000000),
    ("1e21", "1e+21", 1e21), ("1e-7", "1e-7", 1e-7), ("1e400", "1e400", "1e400"),
    ("12345678901234567890", "12345678901234567890", 12345678901234567000),
    ("2001-01-01", "2001-01-01 00:00:00 +0000 UTC", "2001-01-01 00:00:00 +0000 UTC"),
    ("2001-01-01T10:00:00.500Z", "2001-01-01 10:00:00.5 +0000 UTC", "2001-01-01 10:00:00.5 +0000 UTC"),
    ("~", "", None), ("null", "", None), ('"010"', "010", "010"), ("!!str 010", "010", "010"),
    ("!!binary aGVsbG8=", "hello", "hello"), ("!custom x", "x", "x"), ("!!float 1", "1", 1),
]


def read_text(tmp_path, text: str) -> dict:
    (tmp_path / "Pulumi.t.yaml").write_text(text)
    return read("t", tmp_path)[0]


@pytest.mark.parametrize("written, top, nested", FORMS, ids=[f[0] for f in FORMS])
def test_values_read_as_the_cli_passes_them(tmp_path, written, top, nested):
    raw = read_text(tmp_path, f"config:\n  tke-llm:probe: {written}\n  tke-llm:probeMap: {{v: {written}}}\n")
    assert raw["probe"] == top
    assert raw["probeMap"] == {"v": nested}
    assert type(raw["probeMap"]["v"]) is type(nested)


def test_a_yaml_1_1_sexagesimal_is_a_string_not_ninety(tmp_path):
    raw = read_text(tmp_path, DEV.replace("      maxSize: 2\n", "      maxSize: 1:30\n"))
    assert raw["nodePools"][1]["maxSize"] == "1:30"
    with pytest.raises(ConfigError, match=r"tke-llm:nodePools\[1\]\.maxSize: Input should be a valid integer"):
        checked(raw)


@pytest.mark.parametrize("webui", ["false", '"false"', "False"])
def test_webui_false_in_any_spelling_the_cli_accepts(tmp_path, webui):
    """`"false"` is how `pulumi stack init` rewrites `false` in the file."""
    raw = read_text(tmp_path, DEV.replace("  tke-llm:webui:\n    enabled: true\n", f"  webui: {webui}\n"))
    assert checked(raw).webui.enabled is False


def test_webui_yes_is_refused_with_what_to_write(tmp_path):
    raw = read_text(tmp_path, DEV.replace("  tke-llm:webui:\n    enabled: true\n", "  webui: yes\n"))
    with pytest.raises(ConfigError, match=r"tke-llm:webui: 'yes': write true, false or a mapping"):
        checked(raw)


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan", "{a: [.inf]}"])
def test_a_non_finite_number_is_refused_as_the_cli_refuses_it(tmp_path, value):
    with pytest.raises(ConfigError, match=r"tke-llm:probe: \.inf, -\.inf and \.nan are not numbers the Pulumi CLI"):
        read_text(tmp_path, f"config:\n  tke-llm:probe: {value}\n")


def test_an_empty_top_level_value_is_the_empty_string_the_cli_passes(tmp_path):
    raw = read_text(tmp_path, DEV + "  tke-llm:imageRegistry:\n")
    assert raw["imageRegistry"] == ""
    with pytest.raises(ConfigError, match="tke-llm:imageRegistry: no value:"):
        checked(raw)


@pytest.mark.parametrize("bom, encoding", [(b"\xef\xbb\xbf", "utf-8"), (b"", "utf-16")])
def test_a_byte_order_mark_is_read_as_the_cli_reads_it(tmp_path, bom, encoding):
    (tmp_path / "Pulumi.t.yaml").write_bytes(bom + DEV.encode(encoding))
    assert read("t", tmp_path)[0]["namespace"] == "llm"
