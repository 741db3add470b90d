"""LoRA adapters across the stack: each adapter name is a model name at the gateway, so it may clash
with no served name and no other adapter; SGLang's adapters need the gateway (it maps the name to
SGLang's `<base>:<adapter>`). Each refusal keyed to the adapter to rename."""

from __future__ import annotations

from config.errors import PROJECT, ConfigIssue
from config.stack import StackConfig


def served_names(cfg: StackConfig) -> list[str]:
    """Every model name the stack serves: the models' served names, then their adapters'."""
    return [m.served_name for m in cfg.models] + [a.name for m in cfg.models for a in m.adapters]


def adapter_issues(cfg: StackConfig) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    owners: dict[str, str] = {m.served_name: f"the servedName of models[{i}]" for i, m in enumerate(cfg.models)}
    for i, m in enumerate(cfg.models):
        for j, a in enumerate(m.adapters):
            key = f"{PROJECT}:models[{i}].adapters[{j}]"
            if a.name in owners:
                issues.append(ConfigIssue(f"{key}.name", f"{a.name!r} is already {owners[a.name]}: every adapter is a "
                                          "model name at the gateway; rename it"))
            else:
                owners[a.name] = f"adapters[{j}] of models[{i}]"
        if m.adapters and m.engine == "sglang" and not cfg.gateway.enabled:
            issues.append(ConfigIssue(f"{PROJECT}:models[{i}].adapters", "SGLang serves an adapter as "
                                      f"`{m.served_name}:<adapter>`, which the gateway maps from the adapter's own name; "
                                      "keep `gateway: litellm`, or remove adapters"))
    return issues
