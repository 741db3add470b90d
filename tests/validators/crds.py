"""Custom resources, checked against the upstream CRDs the cluster will actually have installed.

Schema checks come first; CEL rules and list-type checks only run on objects whose schema checks
passed, because a rule reading a wrongly typed field fails with an evaluation error that buries the
real (type) problem. Fix the schema errors and the rule errors, if any, show up on the next run.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema.protocols import Validator

from .builtin import is_builtin
from .cel_rules import rule_errors
from .common import default_crd_dir, doc_id, schema_error_lines, split_api_version
from .crd_schema import Schema, list_type_errors, make_validator, prepare, to_json_schema, walk
from .meta import object_meta_errors

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the LWS CRD is 1.3 MB


@dataclass(frozen=True)
class ServedVersion:
    """One served version of a CRD: the raw structural schema and its JSON Schema validator."""

    api_version: str
    kind: str
    openapi: Schema
    validator: Validator


def _served_versions(crd: dict[str, Any]) -> dict[str, ServedVersion]:
    spec = crd["spec"]
    out: dict[str, ServedVersion] = {}
    for version in spec.get("versions", []):
        if not version.get("served"):
            continue
        openapi: Schema = version["schema"]["openAPIV3Schema"]
        schema = to_json_schema(openapi)
        # metadata is `type: object` in every CRD; the API server checks it as ObjectMeta instead.
        schema.setdefault("properties", {})["metadata"] = {"type": "object"}
        api_version = f"{spec['group']}/{version['name']}"
        out[version["name"]] = ServedVersion(api_version, spec["names"]["kind"], openapi, make_validator(schema))
    return out


@lru_cache(maxsize=8)
def load_crds(crd_dir: Path) -> dict[tuple[str, str], dict[str, ServedVersion]]:
    """(group, kind) -> served version name -> schema, for every CRD in `crd_dir`."""
    if not crd_dir.is_dir():
        raise FileNotFoundError(f"CRD directory {crd_dir} does not exist (set TKE_LLM_SHARED to the shared dir)")
    index: dict[tuple[str, str], dict[str, ServedVersion]] = {}
    for path in sorted([*crd_dir.glob("*.yaml"), *crd_dir.glob("*.yml")]):
        for doc in yaml.load_all(path.read_text(), Loader=_LOADER):
            if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
                index[(doc["spec"]["group"], doc["spec"]["names"]["kind"])] = _served_versions(doc)
    return index


def _validate_one(doc: dict[str, Any], crds: dict[tuple[str, str], dict[str, ServedVersion]]) -> list[str]:
    who = doc_id(doc)
    api_version, kind = doc.get("apiVersion"), doc.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return [f"{who}: apiVersion and kind are required strings"]
    group, version = split_api_version(api_version)
    served = crds.get((group, kind), {}).get(version)
    if served is None:
        known = sorted(crds.get((group, kind), {}))
        hint = f" (served versions: {', '.join(known)})" if known else ""
        return [f"{who}: no CRD schema for {api_version} {kind}{hint}"]
    errors = object_meta_errors(doc, custom=True)
    prepared = prepare(doc, served.openapi)
    schema_errors = sorted(served.validator.iter_errors(prepared), key=lambda e: list(map(str, e.absolute_path)))
    for error in schema_errors:
        errors += schema_error_lines(who, error)
    if schema_errors:
        return errors
    for value, node, path in walk(prepared, served.openapi, []):
        if path[:1] == ["metadata"]:
            continue  # ObjectMeta is checked above, not by the CRD's (empty) metadata node
        errors += [f"{who}: {line}" for line in list_type_errors(value, node, path)]
        errors += [f"{who}: {line}" for line in rule_errors(value, node, path)]
    return errors


def validate_custom(docs: list[dict[str, Any]], crd_dir: Path | None = None) -> list[str]:
    """Errors for every non-built-in object in `docs`; a kind without a CRD schema is an error."""
    crds = load_crds((crd_dir or default_crd_dir()).resolve())
    errors: list[str] = []
    for doc in docs:
        if not is_builtin(doc):
            errors += _validate_one(doc, crds)
    return errors

