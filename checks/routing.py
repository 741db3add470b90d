"""Routing choices a stack cannot have, each keyed to `models[i].routing.policy` with the fix: a router
for an engine that has none, a policy the model's router lacks, a router with no gateway in front to
authenticate; an InferencePool (`routing.via`) without a Gateway API exposure, a gateway URL, a
vLLM / SGLang engine, or with a policy its endpoint picker lacks. docs/routing.md."""

from __future__ import annotations

from config import StackConfig
from config.access import HttpRouteExposure
from config.errors import PROJECT, ConfigIssue
from config.models import ModelConfig
from render.router import POLICY_FLAGS, ROUTER_FOR_ENGINE


def routing_issues(cfg: StackConfig) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    for i, m in enumerate(cfg.models):
        if m.routing.via == "inferencePool":
            issues += _pool_issues(cfg, i, m)
            continue
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


POOL_POLICIES = (None, "round-robin")
"""What the endpoint picker does: upstream's lwepp v1.6.2 picks round-robin only
(pkg/lwepp/handlers/server.go `RoundRobinPicker`; pkg/lwepp/README.md "Simple Load Balancing")."""


def _pool_issues(cfg: StackConfig, i: int, m: ModelConfig) -> list[ConfigIssue]:
    via = f"{PROJECT}:models[{i}].routing.via"
    out: list[ConfigIssue] = []
    if not isinstance(cfg.exposure.api, HttpRouteExposure):
        out.append(ConfigIssue(via, "'inferencePool' needs the stack's Gateway: set exposure.api to kind httpRoute "
                               "(a Gateway that implements the Gateway API Inference Extension), or use `router`"))
    if m.engine not in ROUTER_FOR_ENGINE:
        out.append(ConfigIssue(via, f"'inferencePool': {m.engine} models are not pooled (only vLLM and SGLang "
                               "models are); use `router`"))
    if not cfg.gateway.enabled:
        out.append(ConfigIssue(via, "'inferencePool' sits behind the gateway, which checks the app key: use "
                               "`gateway: litellm` (the default)"))
    if m.routing.gateway_url is None:
        out.append(ConfigIssue(f"{PROJECT}:models[{i}].routing.gatewayUrl",
                               "required with `via: inferencePool`: the Gateway listener's in-cluster URL the "
                               "LiteLLM gateway calls, e.g. http://envoy-gw.envoy-gateway-system.svc.cluster.local"))
    if m.routing.policy not in POOL_POLICIES:
        out.append(ConfigIssue(f"{PROJECT}:models[{i}].routing.policy",
                               f"{m.routing.policy!r}: the InferencePool's endpoint picker (lwepp v1.6.2) picks "
                               "round-robin only; set `round-robin` or leave it unset, or use `via: router` for "
                               f"{m.routing.policy!r}"))
    return out
