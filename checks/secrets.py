"""Secret references: a key that names a secret (`kubeconfigSecret`, `tokenSecret`) must point at an
encrypted config key of its own, or `pulumi up` stops at `require_secret` with a traceback."""

from __future__ import annotations

from typing import Any

from config import PROJECT, ConfigIssue, StackConfig
from config.load import SECTIONS


def secret_references(cfg: StackConfig) -> list[tuple[str, str]]:
    """(key that names a secret, the secret's name) for every reference in the config."""
    refs = []
    if cfg.existing_cluster and cfg.existing_cluster.kubeconfig_secret:
        refs.append((f"{PROJECT}:cluster.kubeconfigSecret", cfg.existing_cluster.kubeconfig_secret))
    for i, m in enumerate(cfg.models):
        if m.source.token_secret:
            refs.append((f"{PROJECT}:models[{i}].source.tokenSecret", m.source.token_secret))
    mirror = cfg.model_cache.mirror
    if mirror is not None:
        refs.append((f"{PROJECT}:modelCache.mirror.secretIdSecret", mirror.secret_id_secret))
        refs.append((f"{PROJECT}:modelCache.mirror.secretKeySecret", mirror.secret_key_secret))
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
