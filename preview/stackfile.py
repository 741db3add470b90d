"""Reading `Pulumi.<stack>.yaml` without the Pulumi CLI.

Secret values (`secure: v1:...`) only the CLI can decrypt become a masked placeholder, kept secret.
Keys are read as the CLI reads them (config/namespaces.py), values as it passes them to the program
(preview/cliyaml.py), decoded as the program decodes them (config.load.decode_sections); a key written
twice in one mapping is refused. See docs/configuration.md, "How the config is read".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from config import PROJECT, ConfigError, ConfigIssue
from config.load import decode_sections
from config.namespaces import provider_issues, split
from preview import cliyaml
from preview.cliyaml import CliYamlError

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = "offline-plan-placeholder"


class StackFileError(Exception):
    pass


def stack_path(stack: str, root: Path = ROOT) -> Path:
    return root / f"Pulumi.{stack}.yaml"


def shipped_stacks(root: Path = ROOT) -> list[str]:
    return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in root.glob("Pulumi.*.yaml"))


def read(stack: str, root: Path = ROOT) -> tuple[dict[str, Any], set[str]]:
    """Return the `tke-llm:` keys (prefix stripped) read as the program reads them, and the names of the
    secret ones."""
    raw, secrets = engine_values(stack, root)
    return decode_sections(raw)[0], secrets


def engine_values(stack: str, root: Path = ROOT) -> tuple[dict[str, str], set[str]]:
    """The `tke-llm:` keys (prefix stripped) with the strings the engine would pass the program, and the
    names of the secret ones (their value the placeholder)."""
    path = stack_path(stack, root)
    if not path.exists():
        known = ", ".join(shipped_stacks(root)) or "none"
        raise StackFileError(f"{path.name} not found (stacks here: {known})")
    try:
        node = cliyaml.compose(text(path))
        doc = (cliyaml.construct(node) if node is not None else None) or {}  # first: refuses alias loops
        issues = duplicate_keys(node) if node is not None else []
    except yaml.YAMLError as err:
        raise StackFileError(f"{path.name} is not valid YAML: {err}") from None
    except CliYamlError as err:
        raise StackFileError(f"{path.name}: {err}") from None
    if not isinstance(doc, dict):
        raise StackFileError(f"{path.name}: the file must be a mapping with a `config:` key, not a {type(doc).__name__}")
    config = doc.get("config") or {}
    if not isinstance(config, dict):
        raise StackFileError(f"{path.name}: `config` must be a mapping of `<namespace>:<name>` keys to values")
    found = split({k.value if isinstance(k, cliyaml.GoKey) else k: v for k, v in config.items()})
    issues += found.issues + provider_issues(found.project, found.providers)
    raw: dict[str, str] = {}
    secrets: set[str] = set()
    for name, value in sorted(found.project.items()):  # in the engine's order, so errors list alike
        if isinstance(value, dict) and set(value) == {"secure"} and isinstance(value["secure"], str):
            secrets.add(name)
            value = PLACEHOLDER
        try:
            raw[name] = cliyaml.engine_value(value)
        except CliYamlError as err:
            issues.append(ConfigIssue(f"{PROJECT}:{name}", str(err)))
    if issues:
        raise ConfigError(issues)
    return raw, secrets


def text(path: Path) -> str:
    """The file's text as the CLI reads it: UTF-8 (a byte-order mark is dropped) or UTF-16 with its mark."""
    data = path.read_bytes()
    try:
        return data.decode("utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[:err.start].count(b"\n") + 1
        raise StackFileError(f"{path.name} is not UTF-8 (line {line}, byte 0x{data[err.start]:02x}): the Pulumi CLI "
                             "reads stack files as UTF-8 only; save the file as UTF-8") from None


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
