"""A stack file's values as the Pulumi CLI hands them to the program, read without the CLI.

The CLI parses the file with gopkg.in/yaml.v3 (YAML 1.2 scalars: `yes`, `on`, `1:30` are strings; `010`
is octal, `1_000` is 1000; an unquoted date becomes a Go timestamp), then passes a top-level scalar as a
string (`false` is "false", a null "") and a mapping or list as JSON, numbers as Go prints them. Each
rule, with its source and what the built CLI returned: docs/configuration.md, "How the CLI passes values".
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import yaml

MAX_FILE_DEPTH = 128
"""Lists and mappings nested in the file at most (the config's own limit is config.load.MAX_DEPTH)."""
MAX_VALUES = 1_000_000
"""Values an alias may expand to in all (yaml.v3 refuses excessive aliasing too)."""

_PLAIN = "tag:tke-llm,2024:plain"
_MERGE = "tag:yaml.org,2002:merge"
_Y = "tag:yaml.org,2002:"
_RESOLVABLE = {None, "str", "bool", "int", "float", "null", "timestamp"}
_KEYWORDS: dict[str, tuple[Any, str]] = {
    **{s: (True, "bool") for s in ("true", "True", "TRUE")}, **{s: (False, "bool") for s in ("false", "False", "FALSE")},
    **{s: (None, "null") for s in ("", "~", "null", "Null", "NULL")},
    **{s: (math.nan, "float") for s in (".nan", ".NaN", ".NAN")},
    **{s: (math.inf, "float") for s in (".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF")},
    **{s: (-math.inf, "float") for s in ("-.inf", "-.Inf", "-.INF")},
}
"""yaml.v3 resolve.go `resolveMapList`: the only booleans, nulls and special floats."""
_GO_INT = re.compile(r"[+-]?(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+|0[0-7]*|[1-9][0-9]*)")
"""strconv.ParseInt(s, 0, 64) syntax (underscores are removed first); a leading 0 is octal."""
_YAML_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_DOT_FLOAT = re.compile(r"\.[0-9]+(_[0-9]+)*([eE][-+]?[0-9]+(_[0-9]+)*)?")
"""strconv.ParseFloat of a scalar starting with `.` (Go literal syntax: `_` only between digits)."""
_TIMESTAMP = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:(?:([Tt])|( ))([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})"
                        r"(?:[.,]([0-9]+))?(Z|[+-][0-9]{2}:[0-9]{2})?)?")
_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


class CliYamlError(ValueError):
    """The CLI would refuse the file; the message says why (the caller names the file)."""


@dataclass(frozen=True)
class GoTime:
    """A timestamp yaml.v3 resolved, as Go's `time.Time.String()` prints it (the CLI passes that text)."""

    text: str

    def __str__(self) -> str:
        return self.text


class GoKey:
    """A mapping key that is not a string, compared as the CLI compares it: typed (`true` and `1` are two
    keys) after its round trip through YAML (`1.0` is printed `1` and read back as the integer 1)."""

    def __init__(self, value: Any):
        self.value = value
        if isinstance(value, float) and math.isfinite(value) and re.fullmatch(r"-?\d+", _go_g(value)):
            self.identity: tuple = ("int", int(_go_g(value)))
        else:
            self.identity = (type(value).__name__, repr(value) if isinstance(value, float) else value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GoKey) and self.identity == other.identity

    def __hash__(self) -> int:
        return hash(self.identity)

    def __repr__(self) -> str:
        return repr(self.value)


class _Loader(yaml.SafeLoader):
    """PyYAML's parser and composer; every plain scalar keeps its text for yaml.v3's resolution."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode and implicit[0]:
            return _MERGE if value == "<<" else _PLAIN
        return super().resolve(kind, value, implicit)


def check_depth(text: str) -> None:
    """CliYamlError past MAX_FILE_DEPTH, before the (recursive) composer sees the file."""
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            depth += 1
            if depth > MAX_FILE_DEPTH:
                raise CliYamlError(f"line {event.start_mark.line + 1}: nested deeper than {MAX_FILE_DEPTH} levels of "
                                   "lists and mappings; no stack file needs that many: flatten it")
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            depth -= 1


def compose(text: str) -> yaml.Node | None:
    """The file's node tree (nesting checked first); yaml.YAMLError when it is not YAML."""
    check_depth(text)
    return yaml.compose(text, Loader=_Loader)


def construct(node: yaml.Node) -> Any:
    """The node as yaml.v3 decodes it into Go values: bool, int, float, str, None, GoTime, list, dict
    (keys a str or a GoKey)."""
    return _Builder().value(node)


class _Builder:
    def __init__(self) -> None:
        self.count = 0
        self.open: set[int] = set()

    def value(self, node: yaml.Node) -> Any:
        self.count += 1
        if self.count > MAX_VALUES:
            raise CliYamlError(f"aliases expand to more than {MAX_VALUES} values; write the values out")
        if isinstance(node, yaml.ScalarNode):
            return scalar(node)
        if id(node) in self.open:
            raise CliYamlError(f"line {node.start_mark.line + 1}: an alias refers to the anchor it is inside of")
        self.open.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.value(n) for n in node.value]
            return self.mapping(node)
        finally:
            self.open.discard(id(node))

    def mapping(self, node: yaml.Node) -> dict[Any, Any]:
        merged: dict[Any, Any] = {}
        own: dict[Any, Any] = {}
        written: dict[Any, str] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                for source in reversed(sources):  # the first mapping listed wins, as in yaml.v3
                    found = self.value(source)
                    if not isinstance(found, dict):
                        raise CliYamlError(f"line {source.start_mark.line + 1}: a merge (<<) takes a mapping or "
                                           "a list of mappings")
                    merged.update(found)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise CliYamlError(f"line {key_node.start_mark.line + 1}: a mapping key must be a scalar")
            found = scalar(key_node)
            key = found if isinstance(found, str) else GoKey(found)
            # `1` and `1.0` are one key to the CLI, which refuses the file; a key written twice the same
            # way is the caller's to report with its path (stackfile.duplicate_keys)
            if key in own and written[key] != key_node.value:
                raise CliYamlError(f"line {key_node.start_mark.line + 1}: mapping key {key_node.value!r} is "
                                   f"already defined as {written[key]!r}")
            own[key], written[key] = self.value(value_node), key_node.value
        return {**merged, **own}


def scalar(node: yaml.ScalarNode) -> Any:
    """yaml.v3 `resolve`: plain scalars by their text, quoted and block ones strings, explicit tags obeyed."""
    tag = node.tag
    if tag == _PLAIN:
        return resolve(None, node.value)
    short = tag[len(_Y):] if tag.startswith(_Y) else tag
    if short == "binary":
        try:
            return base64.b64decode(node.value.encode(), validate=False).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            raise CliYamlError(f"line {node.start_mark.line + 1}: !!binary {node.value!r} is not base64") from None
    if short == "str" or short not in _RESOLVABLE:
        return node.value
    try:
        return resolve(short, node.value)
    except CliYamlError as err:
        raise CliYamlError(f"line {node.start_mark.line + 1}: {err}") from None


def resolve(tag: str | None, text: str) -> Any:
    """The value of a scalar `text` under the explicit tag (None: untagged and plain), as yaml.v3."""
    value, kind = _implicit(text, timestamps=tag in (None, "timestamp"))
    if tag is None or tag == kind:
        return value
    if tag == "float" and kind == "int":
        return float(value)
    raise CliYamlError(f"cannot decode !!{kind} `{text}` as a !!{tag}")


def _implicit(text: str, timestamps: bool) -> tuple[Any, str]:
    if text in _KEYWORDS:
        return _KEYWORDS[text]
    first = text[:1]
    if first == ".":
        if _DOT_FLOAT.fullmatch(text) and math.isfinite(float(text.replace("_", ""))):
            return float(text.replace("_", "")), "float"
    elif first and first in "+-0123456789":
        if timestamps:
            found = _timestamp(text)
            if found is not None:
                return found, "timestamp"
        plain = text.replace("_", "")
        if _GO_INT.fullmatch(plain):
            value = _go_int(plain)
            if -(2**63) <= value < 2**63 or (plain[0] not in "+-" and value < 2**64):
                return value, "int"
        if _YAML_FLOAT.fullmatch(plain) and math.isfinite(float(plain)):
            return float(plain), "float"
    return text, "str"


def _go_int(plain: str) -> int:
    sign = -1 if plain[0] == "-" else 1
    digits = plain.lstrip("+-")
    if len(digits) > 1 and digits[0] == "0" and digits[1].isdigit():
        return sign * int(digits, 8)
    return sign * int(digits, 0)


def _timestamp(text: str) -> GoTime | None:
    """The layouts yaml.v3 tries (`allowedTimestampFormats`), printed as Go's `time.Time.String()`."""
    m = _TIMESTAMP.fullmatch(text)
    if m is None:
        return None
    year, month, day = int(m[1]), int(m[2]), int(m[3])
    time_part = m[6] is not None
    if time_part and (m[4] is not None) != (m[10] is not None):  # `T` needs a zone; a space takes none
        return None
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    if not 1 <= month <= 12 or not 1 <= day <= _DAYS[month - 1] + (month == 2 and leap):
        return None
    hour, minute, second = (int(m[6]), int(m[7]), int(m[8])) if time_part else (0, 0, 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    frac = (m[9] or "")[:9].ljust(9, "0").rstrip("0")
    zone = m[10] or "Z"
    if zone == "Z" or zone[1:] == "00:00":
        tz = "+0000 UTC"
    else:
        if int(zone[1:3]) > 24 or int(zone[4:]) > 60:
            return None
        offset = zone.replace(":", "")
        tz = f"{offset} {offset}"  # a zone without a name, as Go prints it (the CLI's own zone may name it)
    return GoTime(f"{year:04d}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}:{second:02d}"
                  f"{'.' + frac if frac else ''} {tz}")


def engine_value(value: Any) -> str:
    """A top-level value as the program receives it: a scalar as the CLI's string (a null ""), a list or
    mapping as the CLI's JSON. CliYamlError for what the CLI refuses (.inf, .nan, keys that collide)."""
    if isinstance(value, (dict, list)):
        return _json(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _json_float(_finite(value))
    return str(value)


def _json(value: Any) -> str:
    """encoding/json of the value (keys sorted, HTML characters escaped); beyond int64 a float64."""
    if isinstance(value, dict):
        keys: dict[str, Any] = {}
        for key, item in value.items():
            text = _key(key)
            if text in keys:
                raise CliYamlError(f"mapping key {text!r} is written twice (as {key!r} and {keys[text][0]!r})")
            keys[text] = (key, item)
        items = []
        for text in sorted(keys, key=str.encode):
            key, item = keys[text]
            lost = isinstance(key, GoKey) and text == "NaN"  # Go cannot look a NaN key up: its value is null
            items.append(f"{_string(text)}:{'null' if lost else _json(item)}")
        return "{" + ",".join(items) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_json(v) for v in value) + "]"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and -(2**63) <= value < 2**63:
        return str(value)
    if isinstance(value, (int, float)):
        return _json_float(_finite(float(value)))
    return _string(str(value))


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _string(text: str) -> str:
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch < " " or ch in "<>&\u2028\u2029":
            out.append(f"\\u{ord(ch):04x}")
        elif "\ud800" <= ch <= "\udfff":
            out.append("\\ufffd")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise CliYamlError(".inf, -.inf and .nan are not numbers the Pulumi CLI can pass to the program (it "
                           "stops: `json: unsupported value`); write a number, or quote the text")
    return value


def _key(key: Any) -> str:
    """A mapping key as the CLI names it (Go's `%v` of the value yaml.v3 read, after the round trip)."""
    if isinstance(key, GoKey):
        kind, value = key.identity
        key = value if kind == "int" else key.value
    if isinstance(key, str):
        return key
    if key is None:
        return "<nil>"
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, float):
        if math.isnan(key):
            return "NaN"
        if math.isinf(key):
            return "+Inf" if key > 0 else "-Inf"
        return "0" if key == 0 else _go_g(key)
    return str(key)


def _digits(value: float) -> tuple[str, int]:
    """The shortest digits that read back as `value` (as Go and Python both pick), and the decimal
    exponent of the first digit."""
    _, digits, exponent = Decimal(repr(abs(value))).normalize().as_tuple()
    text = "".join(map(str, digits))
    return text, len(text) + int(exponent) - 1


def _go_g(value: float) -> str:
    """strconv.FormatFloat(value, 'g', -1, 64)."""
    digits, exp = _digits(value)
    sign = "-" if value < 0 else ""
    if exp < -4 or exp >= 6:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    return sign + _fixed(digits, exp)


def _json_float(value: float) -> str:
    """encoding/json's float64: fixed notation from 1e-6 to 1e21, else `1e+21` / `1e-7`; -0 is 0."""
    if value == 0:
        return "0"
    digits, exp = _digits(value)
    sign = "-" if value < 0 else ""
    if abs(value) < 1e-6 or abs(value) >= 1e21:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp) if exp < 0 else f'{exp:02d}'}"
    return sign + _fixed(digits, exp)


def _fixed(digits: str, exp: int) -> str:
    if exp < 0:
        return "0." + "0" * (-exp - 1) + digits
    whole = digits[: exp + 1].ljust(exp + 1, "0")
    rest = digits[exp + 1:]
    return whole + ("." + rest if rest else "")
