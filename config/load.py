"""Reading the stack config, from Pulumi's runtime or from a plain dict (the offline plan and tests).

Every top-level key under `tke-llm:` is either a section of `StackConfig` or the name of a secret that
a section refers to (e.g. `kubeconfigSecret: kubeconfig`); anything else is a typo and an error.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError
from pydantic.alias_generators import to_camel

from config.errors import PROJECT, ConfigError, ConfigIssue, from_validation_error
from checks.cross import cross_check
from config.namespaces import provider_issues, split
from config.stack import StackConfig

SECTIONS = {f.alias or to_camel(n) for n, f in StackConfig.model_fields.items()}


def referenced_secrets(cfg: StackConfig) -> set[str]:
    """Names of secret config keys the sections point at; they live beside the sections."""
    names = set()
    if cfg.existing_cluster and cfg.existing_cluster.kubeconfig_secret:
        names.add(cfg.existing_cluster.kubeconfig_secret)
    names.update(m.source.token_secret for m in cfg.models if getattr(m.source, "token_secret", None))
    return names


def secret_references(cfg: StackConfig) -> list[tuple[str, str]]:
    """(key that names a secret, the secret's name) for every reference in the config."""
    refs = []
    if cfg.existing_cluster and cfg.existing_cluster.kubeconfig_secret:
        refs.append((f"{PROJECT}:cluster.kubeconfigSecret", cfg.existing_cluster.kubeconfig_secret))
    for i, m in enumerate(cfg.models):
        if getattr(m.source, "token_secret", None):
            refs.append((f"{PROJECT}:models[{i}].source.tokenSecret", m.source.token_secret))
    return refs


def secret_issues(cfg: StackConfig, raw: dict[str, Any], secrets: set[str] | None) -> list[ConfigIssue]:
    """A named secret must exist beside the sections (the program reads it with require_secret, which
    would otherwise stop `pulumi up` with a traceback), be a string, not be a section, and, where the
    caller knows which keys are encrypted, be one of them."""
    issues = []
    for key, name in secret_references(cfg):
        setting = f"pulumi config set --secret {name} <value>"
        if name in SECTIONS:
            issues.append(ConfigIssue(key, f"{name!r} is a config section, not a secret; name a key of its own, "
                                      f"e.g. hfToken, and run `pulumi config set --secret hfToken <value>`"))
        elif name not in raw:
            issues.append(ConfigIssue(key, f"no config key {PROJECT}:{name}; set it with `{setting}`"))
        elif not isinstance(raw[name], str) or not raw[name]:
            issues.append(ConfigIssue(key, f"{PROJECT}:{name} must hold the secret as a non-empty string; set it "
                                      f"with `{setting}`"))
        elif secrets is not None and name not in secrets:
            issues.append(ConfigIssue(key, f"{PROJECT}:{name} is stored in plain text; store it encrypted with "
                                      f"`{setting}`"))
    return issues


def parse(raw: dict[str, Any], secrets: set[str] | None = None) -> StackConfig:
    """Validate the top-level keys (without the `tke-llm:` prefix); raise ConfigError with every issue.

    `secrets`: the names of the keys stored encrypted, where known (the stack file, the engine)."""
    sections = {k: v for k, v in raw.items() if k in SECTIONS}
    try:
        cfg = StackConfig.model_validate(sections)
    except ValidationError as err:
        issues = from_validation_error(err)
        # Report unknown top-level keys too, so one run lists everything to fix.
        issues += [ConfigIssue(f"{PROJECT}:{k}", "unknown key") for k in raw if k not in SECTIONS and not _plausible_secret(k)]
        raise ConfigError(issues) from None
    unknown = [k for k in raw if k not in SECTIONS and k not in referenced_secrets(cfg)]
    issues = [ConfigIssue(f"{PROJECT}:{k}", f"unknown key; sections are {', '.join(sorted(SECTIONS))}") for k in unknown]
    issues += secret_issues(cfg, raw, secrets)
    issues += cross_check(cfg)
    if not issues:
        from checks.preflight import preflight

        issues += [ConfigIssue(f.key, f.message) for f in preflight(cfg).errors]
    if issues:
        raise ConfigError(issues)
    return cfg


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


def load_from_pulumi() -> StackConfig:
    """Collect every `tke-llm:*` key the engine passed in and parse them."""
    from pulumi.runtime import config as rc

    keys = set(rc.CONFIG.get()) | set(rc.get_config_env())
    found = split({full: _decode(rc.get_config(full)) for full in sorted(keys)}, qualified=True)
    issues = found.issues + provider_issues(found.project, found.providers)
    if issues:
        raise ConfigError(issues)
    prefix = f"{PROJECT}:"
    encrypted = {k for k in keys if rc.is_config_secret(k)} | set(rc.get_config_secret_keys_env())
    secret_keys = {k[len(prefix):] for k in encrypted if k.startswith(prefix)}
    return parse(found.project, secret_keys)
