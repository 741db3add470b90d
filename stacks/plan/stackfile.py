"""Reading `Pulumi.<stack>.yaml` without the Pulumi CLI.

Secret values in a stack file are ciphertext (`secure: v1:...`) that only the CLI can decrypt; the
offline plan replaces them with a masked placeholder and keeps them secret, which is all the program
needs to render.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from stacks.config import PROJECT

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = "offline-plan-placeholder"


class StackFileError(Exception):
    pass


def stack_path(stack: str, root: Path = ROOT) -> Path:
    return root / f"Pulumi.{stack}.yaml"


def shipped_stacks(root: Path = ROOT) -> list[str]:
    return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in root.glob("Pulumi.*.yaml"))


def read(stack: str, root: Path = ROOT) -> tuple[dict[str, Any], set[str]]:
    """Return the `tke-llm:` keys (prefix stripped) and the names of the secret ones."""
    path = stack_path(stack, root)
    if not path.exists():
        known = ", ".join(shipped_stacks(root)) or "none"
        raise StackFileError(f"{path.name} not found (stacks here: {known})")
    doc = yaml.safe_load(path.read_text()) or {}
    config = doc.get("config") or {}
    if not isinstance(config, dict):
        raise StackFileError(f"{path.name}: `config` must be a mapping")
    raw: dict[str, Any] = {}
    secrets: set[str] = set()
    prefix = f"{PROJECT}:"
    for key, value in config.items():
        if not key.startswith(prefix):
            continue  # provider settings such as tencentcloud:region
        name = key[len(prefix):]
        if isinstance(value, dict) and set(value) == {"secure"}:
            secrets.add(name)
            value = PLACEHOLDER
        raw[name] = value
    return raw, secrets
