"""Reading the stack config, from Pulumi's runtime or from a plain dict (the offline plan and tests).

Every top-level key under `tke-llm:` is either a section of `StackConfig` or the name of a secret that
a section refers to (e.g. `kubeconfigSecret: kubeconfig`); anything else is a typo and an error.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError
from pydantic.alias_generators import to_camel

from .errors import PROJECT, ConfigError, ConfigIssue, from_validation_error
from .cross import cross_check
from .stack import StackConfig

SECTIONS = {f.alias or to_camel(n) for n, f in StackConfig.model_fields.items()}


def referenced_secrets(cfg: StackConfig) -> set[str]:
    """Names of secret config keys the sections point at; they live beside the sections."""
    names = set()
    if cfg.existing_cluster and cfg.existing_cluster.kubeconfig_secret:
        names.add(cfg.existing_cluster.kubeconfig_secret)
    names.update(m.source.token_secret for m in cfg.models if getattr(m.source, "token_secret", None))
    return names


def parse(raw: dict[str, Any]) -> StackConfig:
    """Validate the top-level keys (without the `tke-llm:` prefix); raise ConfigError with every issue."""
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
    issues += cross_check(cfg)
    if not issues:
        from stacks.preflight import preflight

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
    raw = {}
    prefix = f"{PROJECT}:"
    for full in sorted(keys):
        if full.startswith(prefix):
            raw[full[len(prefix):]] = _decode(rc.get_config(full))
    return parse(raw)
