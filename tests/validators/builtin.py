"""Built-in kinds, checked strictly against the API of the Kubernetes version the stack targets.

Version choice: kubernetes-validate bundles one schema set per minor (1.25 ... 1.37 in 1.37.0).
The requested minor is used when bundled; otherwise the newest bundled minor *older* than the
request, so a field added in a later release is never accepted for an older cluster. Only when the
request predates every bundled minor is the oldest bundled one used. Any fallback emits a
`UserWarning` naming both versions. (The library's own fallback compares versions as strings and
refuses versions newer than it knows, so the choice is made here and passed in explicitly.)

Strict mode is the point: it rejects unknown fields (a misspelt `enableServiceLinks` would
otherwise be dropped silently by `kubectl apply`). kubernetes-validate stops at the first schema
error of an object, so an object reports one schema error per run.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import kubernetes_validate
from kubernetes_validate.utils import all_versions

from .common import doc_id, schema_error_lines, split_api_version
from .meta import object_meta_errors

_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?$")


def _minor(version: str) -> tuple[int, int]:
    match = _VERSION.match(version.strip())
    if not match:
        raise ValueError(f"not a Kubernetes version: {version!r} (expected e.g. '1.30' or '1.30.0')")
    return int(match[1]), int(match[2])


def resolve_version(k8s_version: str) -> str:
    """The bundled schema version (e.g. '1.30.0') used to validate for `k8s_version`."""
    wanted = _minor(k8s_version)
    bundled = sorted(all_versions(), key=_minor)
    older = [v for v in bundled if _minor(v) <= wanted]
    chosen = older[-1] if older else bundled[0]
    if _minor(chosen) != wanted:
        warnings.warn(f"kubernetes-validate {kubernetes_validate.__version__} has no schemas for Kubernetes "
                      f"{k8s_version}; validating against {chosen}", UserWarning, stacklevel=2)
    return chosen


@cache
def _served_kinds(schema_version: str) -> frozenset[tuple[str, str, str]]:
    """(group, version, kind) triples the bundled OpenAPI document of that release declares."""
    path = (resources.files("kubernetes_validate") / "kubernetes-json-schema"
            / f"v{schema_version}-local-strict" / "_definitions.json")
    definitions = json.loads(path.read_text())["$defs"]
    return frozenset(
        (gvk["group"], gvk["version"], gvk["kind"])
        for definition in definitions.values()
        for gvk in definition.get("x-kubernetes-group-version-kind", [])
    )


@cache
def _builtin_groups() -> frozenset[str]:
    """API groups owned by Kubernetes itself, over every bundled release.

    Decided by exact group, not by the `.k8s.io` suffix: `gateway.networking.k8s.io` is a CRD
    group, and a custom `apps.example.com` must not be mistaken for `apps`.
    """
    return frozenset(group for version in all_versions() for group, _, _ in _served_kinds(version))


def is_builtin(doc: Mapping[str, Any]) -> bool:
    """True if the object's API group belongs to Kubernetes itself (core, apps, batch, ...)."""
    api_version = doc.get("apiVersion")
    if not isinstance(api_version, str) or not isinstance(doc.get("kind"), str):
        return False
    return split_api_version(api_version)[0] in _builtin_groups()


def _validate_one(doc: Mapping[str, Any], schema_version: str, k8s_version: str) -> list[str]:
    who = doc_id(doc)
    group, version, kind = (*split_api_version(doc["apiVersion"]), doc["kind"])
    if (group, version, kind) not in _served_kinds(schema_version):
        return [f"{who}: apiVersion {doc['apiVersion']} kind {kind} is not served by Kubernetes {k8s_version} "
                f"(schemas {schema_version}): removed, not yet added, or misspelt"]
    errors = object_meta_errors(doc, custom=False)
    try:
        kubernetes_validate.validate(dict(doc), schema_version, strict=True)
    except kubernetes_validate.ValidationError as exc:
        errors += schema_error_lines(who, exc)
    except kubernetes_validate.SchemaNotFoundError as exc:
        errors.append(f"{who}: {exc.message}")
    return errors


def validate_builtin(docs: list[dict[str, Any]], k8s_version: str) -> list[str]:
    """Errors for the built-in objects in `docs`; custom kinds are left to `validate_custom`."""
    schema_version = resolve_version(k8s_version)
    errors: list[str] = []
    for doc in docs:
        if is_builtin(doc):
            errors += _validate_one(doc, schema_version, k8s_version)
    return errors
