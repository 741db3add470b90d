"""Offline validators for rendered Kubernetes manifests.

Each validator returns a list of human-readable errors (empty = valid) so tests read
`assert not errors, "\\n".join(errors)`. They are independent checks of the same objects:
- `validate_builtin`: built-in kinds against the target Kubernetes version's API, strictly.
- `validate_custom`: custom resources against the upstream CRDs (schema, defaults, CEL rules).
- `run_checkov`: checkov's security policies, minus the reviewed skip list.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .builtin import is_builtin, resolve_version, validate_builtin
from .checkov_runner import SkipListError, load_skips, run_checkov
from .crds import validate_custom

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load_file(path: Path) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for index, doc in enumerate(yaml.load_all(path.read_text(), Loader=_LOADER)):
        if doc is None:
            continue
        if not isinstance(doc, dict):
            raise ValueError(f"{path}: document {index} is a {type(doc).__name__}, not a Kubernetes object")
        if doc.get("kind") == "List" and isinstance(doc.get("items"), list):
            docs += doc["items"]  # kubectl's List wrapper holds the real objects
        else:
            docs.append(doc)
    return docs


def load_manifests(path: str | Path) -> list[dict[str, Any]]:
    """Every object in a multi-document YAML file, or in all *.yaml/*.yml under a directory.

    Directories are accepted because Pulumi's `renderYamlToDirectory` writes one file per object.
    Empty documents are skipped; anything else that is not a mapping is an error, not a skip.
    """
    path = Path(path)
    files = sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml")) if path.is_dir() else [path]
    return [doc for file in files for doc in _load_file(file)]


__all__ = [
    "SkipListError",
    "is_builtin",
    "load_manifests",
    "load_skips",
    "resolve_version",
    "run_checkov",
    "validate_builtin",
    "validate_custom",
]
