"""ObjectMeta rules the API server applies to every object, whatever its schema says.

CRD schemas declare `metadata` as a bare `type: object` and kubernetes-validate's JSON schemas only
check field types, yet the API server rejects a missing name, a malformed namespace or a label value
with a `/` in it. Those are typical rendering bugs (names built from config strings), so both
validators run these checks rather than letting them surface at `pulumi up`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from .common import doc_id

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_TOTAL_ANNOTATION_BYTES = 256 * 1024

# ObjectMeta's fields (meta/v1); custom resources are decoded strictly against this list too.
OBJECT_META_FIELDS = frozenset({
    "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
    "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations",
    "ownerReferences", "finalizers", "managedFields",
})


def is_dns_subdomain(value: str) -> bool:
    return len(value) <= 253 and bool(_DNS_SUBDOMAIN.match(value))


def is_dns_label(value: str) -> bool:
    return len(value) <= 63 and bool(_DNS_LABEL.match(value))


def _is_dns_1035_label(value: str) -> bool:
    return len(value) <= 63 and bool(_DNS_1035_LABEL.match(value))


NameRule = tuple[Callable[[str], bool], str]
_SUBDOMAIN: NameRule = (is_dns_subdomain,
                        "a DNS-1123 subdomain (<= 253 chars of lowercase alphanumerics, '-' and '.')")
_NAME_RULE_BY_KIND: dict[str, NameRule] = {
    **{kind: ((lambda _: True), "a path segment")
       for kind in ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")},
    "Service": (_is_dns_1035_label,
                "a DNS-1035 label (<= 63 chars of lowercase alphanumerics and '-', starting with a letter)"),
    "Namespace": (is_dns_label, "a DNS-1123 label (<= 63 chars of lowercase alphanumerics and '-')"),
}


def _name_problem(name: str, kind: str | None, custom: bool) -> str | None:
    """The API server's name rule for the kind: most kinds (and every CR) use DNS-1123 subdomains.

    RBAC objects only need a path segment (`system:aggregate-to-view` is valid), Services need a
    DNS-1035 label (the name becomes a DNS label and an env var prefix), Namespaces a DNS-1123 label.
    """
    if name in (".", "..") or "/" in name or "%" in name:
        return "may not be '.', '..' or contain '/' or '%'"
    check, rule = _SUBDOMAIN if custom else _NAME_RULE_BY_KIND.get(kind or "", _SUBDOMAIN)
    return None if check(name) else f"is not {rule}"


def _qualified_name_problem(key: str) -> str | None:
    """Label and annotation keys: optional DNS-subdomain prefix, `/`, then a 63-char name."""
    prefix, slash, name = key.rpartition("/")
    if slash and not is_dns_subdomain(prefix):
        return f"prefix {prefix!r} must be a DNS-1123 subdomain"
    if len(name) > 63 or not _QUALIFIED_NAME.match(name):
        return "name part must be <= 63 chars of [A-Za-z0-9-_.], starting and ending alphanumeric"
    return None


def _string_map_errors(where: str, value: Any, *, label_values: bool) -> list[str]:
    if not isinstance(value, Mapping):
        return [f"{where}: must be a map of string to string, got {type(value).__name__}"]
    errors: list[str] = []
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, str):
            errors.append(f'{where}["{key}"]: keys and values must be strings, got {type(item).__name__}')
            continue
        if problem := _qualified_name_problem(key):
            errors.append(f'{where}["{key}"]: invalid key: {problem}')
        if label_values and (len(item) > 63 or not _LABEL_VALUE.match(item)):
            errors.append(f'{where}["{key}"]: invalid label value {item!r}: <= 63 chars of [A-Za-z0-9-_.], '
                          "starting and ending alphanumeric")
    return errors


def object_meta_errors(doc: Mapping[str, Any], *, custom: bool) -> list[str]:
    """Problems with `doc.metadata`.

    For custom resources unknown metadata fields are rejected here; for built-in kinds the field
    set and types are left to kubernetes-validate's strict schema, which already covers ObjectMeta.
    """
    who = doc_id(doc)
    meta = doc.get("metadata")
    if not isinstance(meta, Mapping):
        return [f"{who}: metadata: required object is missing"]
    errors: list[str] = []
    if custom:
        errors += [f"{who}: metadata.{k}: unknown field" for k in sorted(set(meta) - OBJECT_META_FIELDS)]
    name = meta.get("name")
    kind = doc.get("kind") if isinstance(doc.get("kind"), str) else None
    if not isinstance(name, str) or not name:
        errors.append(f"{who}: metadata.name: required (a rendered manifest cannot rely on generateName)")
    elif problem := _name_problem(name, kind, custom):
        errors.append(f"{who}: metadata.name: {name!r} {problem}")
    namespace = meta.get("namespace")
    if namespace is not None and not (isinstance(namespace, str) and is_dns_label(namespace)):
        errors.append(f"{who}: metadata.namespace: {namespace!r} is not a DNS-1123 label")
    if "labels" in meta:
        errors += _string_map_errors(f"{who}: metadata.labels", meta["labels"], label_values=True)
    if "annotations" in meta:
        annotations = meta["annotations"]
        errors += _string_map_errors(f"{who}: metadata.annotations", annotations, label_values=False)
        if isinstance(annotations, Mapping):
            size = sum(len(str(k)) + len(str(v)) for k, v in annotations.items())
            if size > _TOTAL_ANNOTATION_BYTES:
                errors.append(f"{who}: metadata.annotations: total size {size} exceeds 256 KiB")
    return errors
