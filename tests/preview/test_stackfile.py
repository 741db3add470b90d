"""The offline plan reads a stack file's values as the Pulumi CLI does (gopkg.in/yaml.v3, then strings for
top-level scalars): every expected value below is what the built CLI's `pulumi config --json` returned
for the same text (tests/e2e/test_cli_config.py checks the reader against it, form by form)."""

from __future__ import annotations

import json

import pytest

from checks import checked
from config import ConfigError
from preview.stackfile import StackFileError, engine_values, read

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
    """`probe` is no section: the program gets it as the engine passes it, a mapping as its JSON."""
    raw = read_text(tmp_path, f"config:\n  tke-llm:probe: {written}\n  tke-llm:probeMap: {{v: {written}}}\n")
    assert raw["probe"] == top
    assert json.loads(raw["probeMap"]) == {"v": nested}
    assert type(json.loads(raw["probeMap"])["v"]) is type(nested)


def test_a_section_reads_what_its_json_says(tmp_path):
    raw = read_text(tmp_path, DEV.replace("      maxSize: 2\n", "      maxSize: 0x2\n"))
    assert raw["nodePools"][1]["maxSize"] == 2


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


STRUCTURES = """config:
  tke-llm:keys: {1: a, true: b, 1.5: c, 1e6: d, ~: e, -0.0: f, 2001-01-01: g, 0x10: h, .nan: i}
  tke-llm:text: {s: "<a&b>", c: "\\x01\\t\\u2028", u: "é漢字", q: 'it''s', n: [], m: {}}
  tke-llm:base: &base {x: 1, y: [1, {z: 3}]}
  tke-llm:merged: {<<: *base, y: 9}
  tke-llm:merges: {<<: [{a: 1, b: 1}, {b: 2, c: 2}], c: 3}
  tke-llm:block: |
    block
     text
  tke-llm:folded: >-
    folded
    text
  tke-llm:tags: [!!str 1, !!int "0x10", !!float "2", ! 12, !custom {a: 1}]
"""
"""Keys of every type, escapes, anchors and merges, block scalars, tags; the CLI's strings for each."""
STRUCTURE_VALUES = {
    "keys": '{"0":"f","1":"a","1.5":"c","16":"h","1e+06":"d","2001-01-01 00:00:00 +0000 UTC":"g",'
            '"\\u003cnil\\u003e":"e","NaN":null,"true":"b"}',
    "text": '{"c":"\\u0001\\t\\u2028","m":{},"n":[],"q":"it\'s","s":"\\u003ca\\u0026b\\u003e","u":"é漢字"}',
    "base": '{"x":1,"y":[1,{"z":3}]}', "merged": '{"x":1,"y":9}', "merges": '{"a":1,"b":1,"c":3}',
    "block": "block\n text\n", "folded": "folded text", "tags": '["1",16,2,12,{"a":1}]',
}


def test_structures_read_as_the_cli_passes_them(tmp_path):
    (tmp_path / "Pulumi.t.yaml").write_text(STRUCTURES)
    assert engine_values("t", tmp_path)[0] == STRUCTURE_VALUES


@pytest.mark.parametrize("text, message", [
    ("  tke-llm:a: {1: x, 1.0: y}\n", "line 2: mapping key '1.0' is already defined as '1'"),
    ("  tke-llm:a: &a [1, *a]\n", "line 2: an alias refers to the anchor it is inside of"),
    ("  tke-llm:a: {<<: 1}\n", "line 2: a merge (<<) takes a mapping or a list of mappings"),
    ("  tke-llm:a: !!bool yes\n", "line 2: cannot decode !!str `yes` as a !!bool"),
    ("  tke-llm:a: {? [x]: 1}\n", "line 2: a mapping key must be a scalar"),
])
def test_what_the_cli_refuses_is_refused(tmp_path, text, message):
    (tmp_path / "Pulumi.t.yaml").write_text("config:\n" + text)
    with pytest.raises(StackFileError) as err:
        read("t", tmp_path)
    assert str(err.value) == f"Pulumi.t.yaml: {message}"
