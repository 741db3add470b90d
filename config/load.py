"""Reading the stack config, from Pulumi's runtime or from a plain dict (the offline plan and tests).

Every top-level key under `tke-llm:` is either a section of `StackConfig` or the name of a secret that
a section refers to (e.g. `kubeconfigSecret: kubeconfig`); anything else is a typo and an error.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError
from pydantic.alias_generators import to_camel

from config.errors import PROJECT, ConfigError, ConfigIssue, did_you_mean, from_validation_error
from config.namespaces import provider_issues, split
from config.stack import StackConfig

SECTIONS = {f.alias or to_camel(n) for n, f in StackConfig.model_fields.items()}


def referenced_secrets(cfg: StackConfig) -> set[str]:
    """Names of secret config keys the sections point at; they live beside the sections."""
    names = set()
    if cfg.existing_cluster and cfg.existing_cluster.kubeconfig_secret:
        names.add(cfg.existing_cluster.kubeconfig_secret)
    names.update(m.source.token_secret for m in cfg.models if m.source.token_secret)
    return names


def parse_sections(raw: dict[str, Any]) -> StackConfig:
    """The sections of the top-level keys (without the `tke-llm:` prefix) as the typed config; ConfigError
    with every schema issue (and the keys that cannot be a secret either)."""
    sections = {k: v for k, v in raw.items() if k in SECTIONS}
    try:
        cfg = StackConfig.model_validate(sections)
    except ValidationError as err:
        issues = from_validation_error(err, root=StackConfig)
        # Report unknown top-level keys too, so one run lists everything to fix.
        issues += [_unknown(k) for k in raw if k not in SECTIONS and not _plausible_secret(k)]
        raise ConfigError(issues) from None
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
    return key in ("kubeconfig", "hfToken", "modelscopeToken")


def _decode(value: Any) -> Any:
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except ValueError:
            return value
        return decoded if isinstance(decoded, (dict, list)) else value
    return value


def read_from_pulumi() -> tuple[dict[str, Any], set[str]]:
    """Every `tke-llm:*` key the engine passed in, decoded, and the names of those stored encrypted."""
    # deferred: pulumi (~0.3-0.5 s to import) is needed only under the engine; config/ and checks/ load without it
    from pulumi.runtime import config as rc

    keys = set(rc.CONFIG.get()) | set(rc.get_config_env())
    found = split({full: _decode(rc.get_config(full)) for full in sorted(keys)}, qualified=True)
    issues = found.issues + provider_issues(found.project, found.providers)
    if issues:
        raise ConfigError(issues)
    prefix = f"{PROJECT}:"
    encrypted = {k for k in keys if rc.is_config_secret(k)} | set(rc.get_config_secret_keys_env())
    secret_keys = {k[len(prefix):] for k in encrypted if k.startswith(prefix)}
    return found.project, secret_keys
