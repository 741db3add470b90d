"""Cross-field checks and preflight: what is known before `pulumi up`, each finding keyed to the stack file.

`validate` returns every finding once; the program and the offline plan call `load` (parse, then
validate) once each and print the warnings it returns."""

from __future__ import annotations

import re
from typing import Any

from checks.cross import cross_check
from checks.pools import pool_issues
from checks.preflight import Finding, Preflight, preflight
from checks.secrets import secret_issues
from config import PROJECT, ConfigError, ConfigIssue, StackConfig
from config.load import parse_sections, unknown_keys

__all__ = ["Finding", "Preflight", "checked", "load", "validate"]

_MODEL_KEY = re.compile(rf"^{re.escape(PROJECT)}:models\[(\d+)\]")
_MODEL_INDEX = re.compile(r"\bmodels\[(\d+)\]")


def validate(cfg: StackConfig, raw: dict[str, Any] | None = None, secrets: set[str] | None = None) -> Preflight:
    """Every finding of a parsed config in one run, where that is safe. Secret references, the pools
    against the cluster and the rules across sections read parsed values only: all run. The preflight
    reads each model's pool and GPU, and the cluster's zones: it is skipped when a pool rule fails
    (pools, zones or the system pool in doubt), and otherwise runs on every model no error names
    (`models[i]...`): a model whose pool is missing, GPU-less or too small would fail there again,
    or on figures that mean nothing. Its findings keep the models' own indexes."""
    issues = secret_issues(cfg, raw, secrets) if raw is not None else []
    structural = pool_issues(cfg)
    issues += structural + cross_check(cfg)
    errors = [Finding("error", i.key, i.message) for i in issues]
    if structural:
        return Preflight(findings=errors)
    report = _preflight_except(cfg, {int(m.group(1)) for i in issues if (m := _MODEL_KEY.match(i.key))})
    report.findings[:0] = errors
    return report


def _preflight_except(cfg: StackConfig, flagged: set[int]) -> Preflight:
    """The preflight of the stack without the flagged models, keyed and worded with the full list's indexes."""
    if not flagged:
        return preflight(cfg)
    kept = [i for i in range(len(cfg.models)) if i not in flagged]
    report = preflight(cfg.model_copy(update={"models": [cfg.models[i] for i in kept]}))

    def renumber(text: str) -> str:
        return _MODEL_INDEX.sub(lambda m: f"models[{kept[int(m.group(1))]}]", text)

    report.findings = [Finding(f.severity, renumber(f.key), renumber(f.message)) for f in report.findings]
    return report


def load(raw: dict[str, Any], secrets: set[str] | None = None) -> tuple[StackConfig, Preflight]:
    """Parse and validate once: the config and its findings; ConfigError listing every error. Schema
    errors (and unknown top-level keys) stop before the checks: without a parsed config no rule can run."""
    cfg = parse_sections(raw)
    report = validate(cfg, raw, secrets)
    issues = unknown_keys(raw, cfg) + [ConfigIssue(f.key, f.message) for f in report.errors]
    if issues:
        raise ConfigError(issues)
    return cfg, report


def checked(raw: dict[str, Any], secrets: set[str] | None = None) -> StackConfig:
    """The config of `load`, for callers that print no warnings (tests, the local cluster's shaping)."""
    return load(raw, secrets)[0]
