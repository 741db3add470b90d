"""Registering rendered Kubernetes manifests as Pulumi resources.

Renderers (`render/`) return plain manifest dicts so they can be tested without Pulumi and written
verbatim into the offline plan. This maps a manifest onto the pulumi-kubernetes class for its kind, so
the typed SDK's behaviour (secret outputs on Secrets, aliases, provider version) is kept; kinds the SDK
does not know (LeaderWorkerSet, HTTPRoute, ...) become CustomResources.
"""

from __future__ import annotations

import importlib
from typing import Any

import pulumi
from pulumi_kubernetes.apiextensions import CustomResource

from components.object_ledger import record

# API group -> pulumi_kubernetes module. Only groups the project renders; extend when a kind is added.
_GROUP_MODULES = {
    "": "core",
    "apps": "apps",
    "batch": "batch",
    "policy": "policy",
    "autoscaling": "autoscaling",
    "networking.k8s.io": "networking",
    "storage.k8s.io": "storage",
    "rbac.authorization.k8s.io": "rbac",
    "scheduling.k8s.io": "scheduling",
}


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def _typed_class(api_version: str, kind: str) -> type | None:
    group, _, version = api_version.rpartition("/")
    module = _GROUP_MODULES.get(group)
    if module is None:
        return None
    return getattr(importlib.import_module(f"pulumi_kubernetes.{module}.{version}"), kind)


def apply(name: str, manifest: dict[str, Any], opts: pulumi.ResourceOptions | None = None) -> pulumi.CustomResource:
    """Register one manifest. `name` is the Pulumi resource name (unique in the stack); the object's
    own name is `metadata.name`, always set by the renderers so nothing is auto-named."""
    api_version, kind = manifest["apiVersion"], manifest["kind"]
    meta = manifest["metadata"]
    record(kind, meta.get("namespace") or "", meta["name"])
    fields = {k: v for k, v in manifest.items() if k not in ("apiVersion", "kind")}
    cls = _typed_class(api_version, kind)
    if cls is None:
        extra = set(fields) - {"metadata", "spec"}
        if extra:
            raise ValueError(f"{kind} {name}: custom resources carry only metadata and spec, not {sorted(extra)}")
        return CustomResource(name, api_version=api_version, kind=kind, opts=opts, **fields)
    return cls(name, opts=opts, **{_snake(k): v for k, v in fields.items()})
