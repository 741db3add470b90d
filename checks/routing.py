"""Routing choices a stack cannot have, each keyed to `models[i].routing.policy` with the fix: a router
for an engine that has none, a policy the model's router lacks, a router with no gateway in front to
authenticate. docs/routing.md."""

from __future__ import annotations

from config import StackConfig
from config.errors import PROJECT, ConfigIssue
from render.router import POLICY_FLAGS, ROUTER_FOR_ENGINE


def routing_issues(cfg: StackConfig) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    for i, m in enumerate(cfg.models):
        chosen = m.routing.policy
        if chosen is None or chosen == "none":
            continue
        key = f"{PROJECT}:models[{i}].routing.policy"
        router = ROUTER_FOR_ENGINE.get(m.engine)
        if router is None:
            issues.append(ConfigIssue(key, f"{chosen!r}: {m.engine} models have no router (only vLLM and SGLang "
                                      "models do); set `none`, and the gateway balances the replicas"))
            continue
        have = POLICY_FLAGS[router]
        if chosen not in have:
            issues.append(ConfigIssue(key, f"{chosen!r}: the {m.engine} router ({router}) has no such policy; "
                                      f"choose one of {', '.join(have)} or none"))
        if not cfg.gateway.enabled:
            issues.append(ConfigIssue(key, f"{chosen!r} needs the gateway, which checks the app key before any "
                                      "router is reached: use `gateway: litellm` (the default) or set `none`"))
    return issues
