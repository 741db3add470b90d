"""`x-kubernetes-validations` (CEL) rules, evaluated with cel-python as the API server would.

Semantics reproduced from the API server:
- `self` is the value at the node carrying the rule; rules on `items` / `additionalProperties`
  nodes run once per element, and rules on absent or null values do not run.
- Object fields declared in `properties` are visible under their escaped names (`namespace` is
  `__namespace__`, `-` is `__dash__`, ...); map keys (additionalProperties) are not escaped.
- Strings with `format: date-time` / `duration` / `byte` are timestamps / durations / bytes.
- Transition rules (those mentioning `oldSelf`) are skipped: a rendered manifest has no previous
  version, and the API server itself only runs them on update.

A rule that fails to compile or evaluate is an error, never a pass: a silently skipped rule would
let the invalid manifest through to `pulumi up`. The only way out is `ALLOWED_UNEVALUABLE_RULES`,
keyed by the exact rule text with the reason cel-python cannot run it. It is empty: every rule in
the shared CRDs (49 distinct rules, HTTPRoute v1.6.1 and ScaledObject v2.20.2) compiles and runs
with cel-python 0.5.0, whose `matches()` already uses RE2. Add an entry only for a rule that uses a
Kubernetes CEL extension cel-python lacks (`isSorted`, `quantity`, `ip`, `cidr`, `url`, `format`...),
with the reason, and re-check it on every cel-python upgrade.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import celpy
from celpy import celtypes

from .common import format_path, shorten
from .crd_schema import JsonPath, Schema

ALLOWED_UNEVALUABLE_RULES: Mapping[str, str] = {}

# apiserver/pkg/cel/escaping.go
_RESERVED = frozenset({"true", "false", "null", "in", "as", "break", "const", "continue", "else", "for",
                       "function", "if", "import", "let", "loop", "package", "namespace", "return", "var",
                       "void", "while"})
_ESCAPES = {"__": "__underscores__", ".": "__dot__", "-": "__dash__", "/": "__slash__"}
_EXPAND = re.compile(r"__|[-./]")
_OLD_SELF = re.compile(r"\boldSelf\b")

_ENV = celpy.Environment()


def escape_field(name: str) -> str:
    """A property name as CEL sees it; names CEL cannot address are left as they are."""
    if not name or name[0].isdigit():
        return name
    if name in _RESERVED:
        return f"__{name}__"
    if re.search(r"[^a-zA-Z0-9_./-]", name):
        return name
    return _EXPAND.sub(lambda m: _ESCAPES[m.group(0)], name)


def to_cel(value: Any, node: Schema) -> Any:
    """Convert JSON data to CEL values, guided by the schema as the API server's type mapping is."""
    if value is None:
        return None
    if isinstance(value, bool):
        return celtypes.BoolType(value)
    if isinstance(value, int):
        return celtypes.DoubleType(value) if node.get("type") == "number" else celtypes.IntType(value)
    if isinstance(value, float):
        return celtypes.DoubleType(value)
    if isinstance(value, str):
        converters = {"date-time": celtypes.TimestampType, "date": celtypes.TimestampType,
                      "duration": celtypes.DurationType,
                      "byte": lambda s: celtypes.BytesType(base64.b64decode(s))}
        convert = converters.get(node.get("format", ""))
        if convert is not None:
            try:
                return convert(value)
            except Exception:  # malformed: the schema's format check reports it
                pass
        return celtypes.StringType(value)
    if isinstance(value, list):
        items = node.get("items") if isinstance(node.get("items"), dict) else {}
        return celtypes.ListType([to_cel(item, items) for item in value])
    if isinstance(value, dict):
        props: dict[str, Schema] = node.get("properties", {})
        additional = node.get("additionalProperties")
        out = celtypes.MapType()
        for key, item in value.items():
            if key in props:
                out[celtypes.StringType(escape_field(key))] = to_cel(item, props[key])
            else:
                out[celtypes.StringType(key)] = to_cel(item, additional if isinstance(additional, dict) else {})
        return out
    raise TypeError(f"unsupported value type {type(value).__name__}")


@lru_cache(maxsize=1024)
def _program(rule: str) -> Any:
    return _ENV.program(_ENV.compile(rule))


def _evaluate(text: str, cel_self: Any) -> Any:
    result = _program(text).evaluate({"self": cel_self})
    if isinstance(result, celpy.CELEvalError):
        raise result
    return result


def rule_errors(value: Any, node: Schema, path: JsonPath) -> list[str]:
    """Violations of the CEL rules declared on `node` for `value` (not its descendants)."""
    errors: list[str] = []
    cel_self: Any = None
    for entry in node.get("x-kubernetes-validations", []):
        rule: str = entry.get("rule", "")
        if _OLD_SELF.search(rule):
            continue
        where = format_path(path)
        if isinstance(entry.get("fieldPath"), str):
            where += entry["fieldPath"]
        if cel_self is None:
            cel_self = to_cel(value, node)
        try:
            result = _evaluate(rule, cel_self)
        except Exception as exc:  # parse errors, missing functions, no-such-key, type errors
            if rule not in ALLOWED_UNEVALUABLE_RULES:
                errors.append(f"{where}: CEL rule could not be evaluated ({_describe(exc)}); "
                              f"rule: {shorten(rule, 160)}")
            continue
        if not isinstance(result, celtypes.BoolType):
            errors.append(f"{where}: CEL rule returned {type(result).__name__}, not bool; rule: {shorten(rule, 160)}")
        elif not result:
            errors.append(f"{where}: {_message(entry, cel_self)} (CEL rule: {shorten(rule, 160)})")
    return errors


def _describe(exc: Exception) -> str:
    """cel-python's errors embed the whole activation; keep the part a human needs."""
    if isinstance(exc, celpy.CELEvalError) and exc.args:
        return shorten(str(exc.args[0]).split(" (in activation", 1)[0], 200)
    if isinstance(exc, celpy.CELParseError):
        return shorten(f"syntax error: {exc}", 200)
    return shorten(f"{type(exc).__name__}: {exc}", 200)


def _message(entry: Mapping[str, Any], cel_self: Any) -> str:
    """`messageExpression` when it evaluates to a string, else `message`, else the API default."""
    expression = entry.get("messageExpression")
    if isinstance(expression, str):
        try:
            message = _evaluate(expression, cel_self)
            if isinstance(message, str) and message:
                return str(message)
        except Exception:
            pass
    return str(entry.get("message") or f"failed rule: {entry.get('rule', '')}")
