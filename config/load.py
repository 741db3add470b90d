"""Reading the stack config, from Pulumi's runtime or from a plain dict (the offline plan and tests).

Every top-level key under `tke-llm:` is either a section of `StackConfig` or the name of a secret that
a section refers to (e.g. `kubeconfigSecret: kubeconfig`); anything else is a typo and an error. The
engine passes every top-level value as a string (`webui: false` is "false", a mapping its JSON):
`decode_sections` reads them back by the section's type. docs/configuration.md, "How the CLI passes values".
"""

from __future__ import annotations

import json
import types
import typing
from typing import Any

from pydantic import ValidationError
from pydantic.alias_generators import to_camel

from config.errors import PROJECT, ConfigError, ConfigIssue, did_you_mean, from_validation_error
from config.namespaces import provider_issues, split
from config.stack import StackConfig

SECTIONS = {f.alias or to_camel(n) for n, f in StackConfig.model_fields.items()}
MAX_DEPTH = 64
"""Lists and mappings nested in one config value at most (the schema needs under 10; `rawValues` is free)."""


def _is_text(annotation: Any) -> bool:
    union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
    return all(a in (str, type(None)) for a in (typing.get_args(annotation) if union else (annotation,)))


TEXT_SECTIONS = {f.alias or to_camel(n) for n, f in StackConfig.model_fields.items() if _is_text(f.annotation)}
"""Sections that are plain text (`namespace: "123"` stays a string); the others' strings are read as JSON."""


def referenced_secrets(cfg: StackConfig) -> set[str]:
    """Names of secret config keys the sections point at; they live beside the sections."""
    names = set()
    if cfg.existing_cluster and cfg.existing_cluster.kubeconfig_secret:
        names.add(cfg.existing_cluster.kubeconfig_secret)
    names.update(m.source.token_secret for m in cfg.models if m.source.token_secret)
    if cfg.model_cache.mirror is not None:
        names.update((cfg.model_cache.mirror.secret_id_secret, cfg.model_cache.mirror.secret_key_secret))
    return names


def parse_sections(raw: dict[str, Any]) -> StackConfig:
    """The sections of the top-level keys (without the `tke-llm:` prefix) as the typed config; ConfigError
    with every schema issue (and the keys that cannot be a secret either)."""
    values, unread = decode_sections(raw)
    sections = {k: v for k, v in values.items() if k in SECTIONS and k not in unread}
    try:
        cfg = StackConfig.model_validate(sections)
    except ValidationError as err:
        # A section left out for its reading issue is not also "missing".
        left_out = {issue.key for issue in unread.values()}
        issues = list(unread.values()) + [i for i in from_validation_error(err, root=StackConfig)
                                          if i.key.split(".")[0].split("[")[0] not in left_out]
        # Report unknown top-level keys too, so one run lists everything to fix.
        issues += [_unknown(k) for k in raw if k not in SECTIONS and not _plausible_secret(k)]
        raise ConfigError(issues) from None
    if unread:
        raise ConfigError(list(unread.values()))
    return cfg


def parse(raw: dict[str, Any]) -> StackConfig:
    """The typed config; ConfigError with every schema issue and unknown key. Rules across sections are
    checks/'s (`checks.load` parses and validates)."""
    cfg = parse_sections(raw)
    issues = unknown_keys(raw, cfg)
    if issues:
        raise ConfigError(issues)
    return cfg


def unknown_keys(raw: dict[str, Any], cfg: StackConfig) -> list[ConfigIssue]:
    """Top-level keys that are neither a section nor a secret the sections name."""
    secrets = referenced_secrets(cfg)
    return [_unknown(k, secrets) for k in raw if k not in SECTIONS and k not in secrets]


def _unknown(key: str, secrets: set[str] | None = None) -> ConfigIssue:
    """An unknown top-level key, with the section (or named secret) it most likely misspells."""
    meant = did_you_mean(key, sorted(SECTIONS | (secrets or set())))
    hint = f"did you mean `{meant}`? " if meant else ""
    return ConfigIssue(f"{PROJECT}:{key}", f"unknown key; {hint}sections are {', '.join(sorted(SECTIONS))}")


def _plausible_secret(key: str) -> bool:
    return key in ("kubeconfig", "hfToken", "modelscopeToken", "cosSecretId", "cosSecretKey")


def decode_sections(raw: dict[str, Any]) -> tuple[dict[str, Any], dict[str, ConfigIssue]]:
    """The top-level values as the sections take them, and the sections that cannot be read (by name).

    A string of a section that is not plain text is JSON when it parses ("false", "2", a mapping's JSON),
    else kept ("none", "litellm"); other keys (secrets) stay as they are. Idempotent: the offline reader
    and `read_from_pulumi` decode, `parse_sections` again for callers passing engine strings."""
    values, unread = dict(raw), {}
    for key, value in raw.items():
        if key not in SECTIONS:
            continue
        if value == "":
            unread[key] = ConfigIssue(f"{PROJECT}:{key}", "no value: the Pulumi CLI passes a key written without "
                                      "a value as \"\" (and warns `No value for configuration keys`); remove the "
                                      "key for its default, or write a value")
            continue
        try:
            if isinstance(value, str) and key not in TEXT_SECTIONS:
                values[key] = value = _json(value)
            depth = nesting(value)
        except RecursionError:
            depth = MAX_DEPTH + 1
        if depth > MAX_DEPTH:
            unread[key] = ConfigIssue(f"{PROJECT}:{key}", f"nested deeper than {MAX_DEPTH} levels of lists and "
                                      "mappings; no setting needs that many: flatten the value")
    return values, unread


def _json(text: str) -> Any:
    try:
        decoded = json.loads(text, parse_constant=_refuse)
    except ValueError:
        return text
    return text if isinstance(decoded, str) else decoded


def _refuse(name: str) -> Any:
    raise ValueError(name)


def nesting(value: Any) -> int:
    """How deep lists and mappings nest in `value` (a scalar 0), without recursion; stops past MAX_DEPTH."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            depth += 1
            deepest = max(deepest, depth)
            if depth > MAX_DEPTH:
                break
            stack.extend((v, depth) for v in (node.values() if isinstance(node, dict) else node))
    return deepest


def read_from_pulumi() -> tuple[dict[str, Any], set[str]]:
    """Every `tke-llm:*` key the engine passed in, decoded, and the names of those stored encrypted."""
    # deferred: pulumi (~0.3-0.5 s to import) is needed only under the engine; config/ and checks/ load without it
    from pulumi.runtime import config as rc

    keys = set(rc.CONFIG.get()) | set(rc.get_config_env())
    found = split({full: rc.get_config(full) for full in sorted(keys)}, qualified=True)
    project = decode_sections(found.project)[0]
    issues = found.issues + provider_issues(project, found.providers)
    if issues:
        raise ConfigError(issues)
    prefix = f"{PROJECT}:"
    encrypted = {k for k in keys if rc.is_config_secret(k)} | set(rc.get_config_secret_keys_env())
    secret_keys = {k[len(prefix):] for k in encrypted if k.startswith(prefix)}
    return project, secret_keys
