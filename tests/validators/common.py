"""Small helpers shared by the validators: locating inputs and wording errors the same way.

Every validator reports plain strings so a test can `assert not errors, "\\n".join(errors)` and a
failing run reads like a compiler log: `<Kind>/<name>: <json path>: <problem>`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from jsonschema import ValidationError

# tests/validators/common.py -> parents[2] is the repository root (the parent of tests/).
REPO_ROOT = Path(__file__).resolve().parents[2]

_MAX_MESSAGE = 300
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def shared_dir() -> Path:
    """The shared data directory; `TKE_LLM_SHARED` wins so CI can mount it anywhere."""
    env = os.environ.get("TKE_LLM_SHARED")
    return Path(env) if env else REPO_ROOT.parent / "shared"


def default_crd_dir() -> Path:
    return shared_dir() / "crds"


def split_api_version(api_version: str) -> tuple[str, str]:
    """`apps/v1` -> (`apps`, `v1`); the core group is the empty string, as in the API server."""
    group, _, version = api_version.rpartition("/")
    return group, version


def doc_id(doc: Mapping[str, Any]) -> str:
    """`Kind/name`, tolerant of broken documents because it is used to report them."""
    kind = doc.get("kind") if isinstance(doc.get("kind"), str) else "<no kind>"
    meta = doc.get("metadata")
    name = meta.get("name") if isinstance(meta, Mapping) else None
    return f"{kind}/{name if isinstance(name, str) and name else '<no name>'}"


def format_path(parts: Iterable[str | int]) -> str:
    """JSON path in the form kubectl prints: `spec.rules[0].matches`, `labels["app.kubernetes.io/name"]`."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.match(part):
            out += f".{part}" if out else part
        else:
            out += f'["{part}"]'
    return out or "<root>"


def shorten(text: str, limit: int = _MAX_MESSAGE) -> str:
    """jsonschema and CEL put whole sub-documents into messages; keep one error on one screen."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def schema_error_lines(prefix: str, error: ValidationError) -> list[str]:
    """Word a jsonschema error; unknown fields get their own full path, as strict decoding does.

    jsonschema reports `additionalProperties` at the parent object, which hides which field is
    wrong in a large pod spec, so the unexpected keys are spelled out one per line.
    """
    path = list(error.absolute_path)
    closed_object = error.validator == "additionalProperties" and error.validator_value is False
    if closed_object and isinstance(error.instance, dict):
        known = set(error.schema.get("properties", {}))
        patterns = list(error.schema.get("patternProperties", {}))
        extra = [k for k in error.instance if k not in known and not any(re.search(p, k) for p in patterns)]
        if extra:
            return [f"{prefix}: {format_path([*path, k])}: unknown field" for k in sorted(extra)]
    return [f"{prefix}: {format_path(path)}: {shorten(error.message)}"]
