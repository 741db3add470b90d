"""A CRD's structural OpenAPI v3 schema, made to behave like the API server's validation.

The API server does more than JSON Schema: it prunes non-nullable nulls, applies `default`s, rejects
fields the schema does not declare (strict field validation), evaluates patterns with Go's RE2 and
checks `x-kubernetes-list-type` uniqueness. Each of those changes the verdict on real manifests
(a defaulted `path.type` is what HTTPRoute's CEL rules read), so each is reproduced here.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from datetime import datetime
from functools import lru_cache
from typing import Any

import re2
from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators
from jsonschema.protocols import Validator

from .common import format_path

Schema = dict[str, Any]
JsonPath = list[str | int]

# OpenAPI keywords whose JSON Schema meaning is the same.
_SAME_MEANING = ("format", "pattern", "enum", "minimum", "maximum", "maxLength", "minLength", "maxItems",
                 "minItems", "uniqueItems", "multipleOf", "maxProperties", "minProperties", "required")
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def to_json_schema(node: Schema, *, in_branch: bool = False) -> Schema:
    """Translate one OpenAPI v3 (structural) schema node into JSON Schema 2020-12.

    Objects are closed unless they preserve unknown fields or declare `additionalProperties`: the
    API server would prune anything else, and strict field validation turns pruning into an error.
    Branches of anyOf/allOf/oneOf stay open because structural schemas only put value constraints
    there; the node that owns the branches decides what is known.
    """
    out: Schema = {}
    preserve = node.get("x-kubernetes-preserve-unknown-fields") is True
    types: list[str] = []
    if node.get("x-kubernetes-int-or-string"):
        types = ["integer", "string"]
    elif isinstance(node.get("type"), str):
        types = [node["type"]]
    nullable = node.get("nullable") is True
    if types and nullable:
        types.append("null")
    if types:
        out["type"] = types if len(types) > 1 else types[0]
    for key in _SAME_MEANING:
        if key in node:
            out[key] = copy.deepcopy(node[key])
    if nullable and "enum" in out and None not in out["enum"]:
        out["enum"].append(None)
    for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        if node.get(exclusive) is True and bound in out:  # OpenAPI 3.0's boolean form
            out[exclusive] = out.pop(bound)
    properties = dict(node.get("properties", {}))
    if node.get("x-kubernetes-embedded-resource"):
        for implied in ("apiVersion", "kind", "metadata"):
            properties.setdefault(implied, {"type": "object"} if implied == "metadata" else {"type": "string"})
    if properties:
        out["properties"] = {name: to_json_schema(sub) for name, sub in properties.items()}
    additional = node.get("additionalProperties")
    if isinstance(additional, dict):
        out["additionalProperties"] = to_json_schema(additional)
    elif isinstance(additional, bool):
        out["additionalProperties"] = additional
    elif not preserve and not in_branch and (node.get("type") == "object" or properties):
        out["additionalProperties"] = False
    if isinstance(node.get("items"), dict):
        out["items"] = to_json_schema(node["items"])
    for combinator in ("anyOf", "oneOf", "allOf"):
        if combinator in node:
            out[combinator] = [to_json_schema(branch, in_branch=True) for branch in node[combinator]]
    if isinstance(node.get("not"), dict):
        out["not"] = to_json_schema(node["not"], in_branch=True)
    return out


@lru_cache(maxsize=512)
def compile_re2(pattern: str) -> Any:
    return re2.compile(pattern)


def _re2_pattern(validator: Validator, pattern: str, instance: Any, schema: Schema) -> Iterator[ValidationError]:
    """`pattern` with RE2 semantics, as Go's regexp in the API server (Python's `re` differs)."""
    if not validator.is_type(instance, "string"):
        return
    try:
        regex = compile_re2(pattern)
    except re2.error as exc:
        yield ValidationError(f"schema pattern {pattern!r} is not valid RE2: {exc}")
        return
    if not regex.search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


_FORMATS = FormatChecker(formats=())


@_FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    """RFC 3339, as kube-openapi checks it; other formats (int32, int64, ...) are not asserted."""
    if not isinstance(value, str):
        return True
    if not _RFC3339.match(value):
        return False
    datetime.fromisoformat(value.replace("z", "Z"))
    return True


_CrdValidator = validators.extend(Draft202012Validator, {"pattern": _re2_pattern})


def make_validator(schema: Schema) -> Validator:
    return _CrdValidator(schema, format_checker=_FORMATS)


def prepare(value: Any, node: Schema) -> Any:
    """A copy of `value` after the API server's null pruning and defaulting.

    Non-nullable nulls are dropped (or replaced by the default); missing fields with a `default`
    get it, and defaults are defaulted in turn, exactly in the order the server does it, because
    validation and CEL rules see the defaulted object.
    """
    if isinstance(value, dict):
        props: dict[str, Schema] = node.get("properties", {})
        additional = node.get("additionalProperties")
        out: dict[str, Any] = {}
        for key, item in value.items():
            sub = props.get(key, additional if isinstance(additional, dict) else None)
            if item is None and sub is not None and not sub.get("nullable"):
                if "default" in sub:
                    out[key] = prepare(copy.deepcopy(sub["default"]), sub)
                continue
            out[key] = prepare(item, sub) if sub is not None else copy.deepcopy(item)
        for key, sub in props.items():
            if key not in out and "default" in sub:
                out[key] = prepare(copy.deepcopy(sub["default"]), sub)
        return out
    if isinstance(value, list):
        items = node.get("items")
        return [prepare(item, items) if isinstance(items, dict) else copy.deepcopy(item) for item in value]
    return value


def walk(value: Any, node: Schema, path: JsonPath) -> Iterator[tuple[Any, Schema, JsonPath]]:
    """Every present value with the schema node that governs it, parents first."""
    yield value, node, path
    if isinstance(value, dict):
        props: dict[str, Schema] = node.get("properties", {})
        additional = node.get("additionalProperties")
        for key, item in value.items():
            sub = props.get(key, additional if isinstance(additional, dict) else None)
            if sub is not None and item is not None:
                yield from walk(item, sub, [*path, key])
    elif isinstance(value, list) and isinstance(node.get("items"), dict):
        for index, item in enumerate(value):
            if item is not None:
                yield from walk(item, node["items"], [*path, index])


def list_type_errors(value: Any, node: Schema, path: JsonPath) -> list[str]:
    """Duplicates in `x-kubernetes-list-type: set|map` lists, which the API server rejects."""
    list_type = node.get("x-kubernetes-list-type")
    if not isinstance(value, list) or list_type not in ("set", "map"):
        return []
    keys: list[str] = node.get("x-kubernetes-list-map-keys", []) if list_type == "map" else []
    seen: dict[str, int] = {}
    errors: list[str] = []
    for index, item in enumerate(value):
        key_values = tuple(item.get(k) for k in keys) if keys and isinstance(item, dict) else None
        identity = repr(key_values) if key_values is not None else repr(item)
        if identity in seen:
            what = f"key {dict(zip(keys, key_values))}" if key_values is not None else f"value {item!r}"
            errors.append(f"{format_path([*path, index])}: duplicate {what} (also at index {seen[identity]}; "
                          f"x-kubernetes-list-type: {list_type})")
        else:
            seen[identity] = index
    return errors
