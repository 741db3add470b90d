"""Reading `Pulumi.<stack>.yaml` without the Pulumi CLI.

Secret values (`secure: v1:...`) only the CLI can decrypt become a masked placeholder, kept secret.
Keys are read as the CLI reads them (config/namespaces.py), and a key written twice in one mapping is
refused. See docs/configuration.md, "How the config is read".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from config import ConfigError, ConfigIssue
from config.namespaces import provider_issues, split

ROOT = Path(__file__).resolve().parents[1]
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
    try:
        node = yaml.compose(path.read_text(), Loader=yaml.SafeLoader)
        issues = duplicate_keys(node) if node is not None else []
        doc = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        raise StackFileError(f"{path.name} is not valid YAML: {err}") from None
    if not isinstance(doc, dict):
        raise StackFileError(f"{path.name}: the file must be a mapping with a `config:` key, not a {type(doc).__name__}")
    config = doc.get("config") or {}
    if not isinstance(config, dict):
        raise StackFileError(f"{path.name}: `config` must be a mapping of `<namespace>:<name>` keys to values")
    found = split(config)
    issues += found.issues + provider_issues(found.project, found.providers)
    if issues:
        raise ConfigError(issues)
    raw: dict[str, Any] = {}
    secrets: set[str] = set()
    for name, value in found.project.items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            secrets.add(name)
            value = PLACEHOLDER
        raw[name] = value
    return raw, secrets


def duplicate_keys(node: yaml.Node, path: str = "") -> list[ConfigIssue]:
    """Keys written twice in one mapping, named by their config path (YAML loaders keep the last)."""
    issues: list[ConfigIssue] = []
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            here = _join(path, key)
            if key is not None and key != "<<":
                if key in seen:
                    issues.append(ConfigIssue(here, f"written twice (lines {seen[key] + 1} and "
                                              f"{key_node.start_mark.line + 1}); YAML would keep the last without a word. "
                                              "Keep one"))
                else:
                    seen[key] = key_node.start_mark.line
            issues += duplicate_keys(value_node, here)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            issues += duplicate_keys(item, f"{path}[{i}]")
    return issues


def _join(path: str, key: Any) -> str:
    """Config paths as users read them: `config` is dropped, `tke-llm:models[0].name`."""
    return str(key) if path in ("", "config") else f"{path}.{key}"
