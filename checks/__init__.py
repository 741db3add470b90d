"""Cross-field checks and preflight: what is known before `pulumi up`, each finding keyed to the stack file.

`validate` returns every finding once; the program and the offline plan call `load` (parse, then
validate) once each and print the warnings it returns."""

from __future__ import annotations

from typing import Any

from checks.cross import cross_check
from checks.pools import pool_issues
from checks.preflight import Finding, Preflight, preflight
from checks.secrets import secret_issues
from config import ConfigError, ConfigIssue, StackConfig
from config.load import parse_sections, unknown_keys

__all__ = ["Finding", "Preflight", "checked", "load", "validate"]


def validate(cfg: StackConfig, raw: dict[str, Any] | None = None, secrets: set[str] | None = None) -> Preflight:
    """Every finding of a parsed config: the secret references, the pools against the cluster and the
    rules across sections first; the preflight (fit, images, egress, ...) only when those hold, since it
    reads the model's pool."""
    issues = secret_issues(cfg, raw, secrets) if raw is not None else []
    issues += pool_issues(cfg) + cross_check(cfg)
    if issues:
        return Preflight(findings=[Finding("error", i.key, i.message) for i in issues])
    return preflight(cfg)


def load(raw: dict[str, Any], secrets: set[str] | None = None) -> tuple[StackConfig, Preflight]:
    """Parse and validate once: the config and its findings; ConfigError listing every error."""
    cfg = parse_sections(raw)
    report = validate(cfg, raw, secrets)
    issues = unknown_keys(raw, cfg) + [ConfigIssue(f.key, f.message) for f in report.errors]
    if issues:
        raise ConfigError(issues)
    return cfg, report


def checked(raw: dict[str, Any], secrets: set[str] | None = None) -> StackConfig:
    """The config of `load`, for callers that print no warnings (tests, the local cluster's shaping)."""
    return load(raw, secrets)[0]
