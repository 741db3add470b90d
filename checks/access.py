"""Rules between the access sections (gateway, UI, exposure) and the models, each with the exact key
(a rate limit naming a model the stack does not serve, exposing a UI that is off)."""

from __future__ import annotations

from typing import Any

from checks.adapters import served_names
from checks.exposure import exposure_issues
from config import StackConfig
from config.access import HttpRouteExposure, IngressExposure, LoadBalancerExposure
from config.errors import PROJECT, ConfigIssue


def _hosts(e: Any) -> list[str]:
    if isinstance(e, IngressExposure):
        return [e.host]
    if isinstance(e, HttpRouteExposure):
        return list(e.hostnames)
    return []


def access_issues(cfg: StackConfig) -> list[ConfigIssue]:
    """Rules between the access sections and the models, each with the key to fix."""
    issues: list[ConfigIssue] = []
    gw, ui, ex = cfg.gateway, cfg.webui, cfg.exposure
    served = served_names(cfg)
    known = ", ".join(served) or "none"
    for i, r in enumerate(gw.rate_limits):
        if r.model not in served:
            issues.append(ConfigIssue(f"{PROJECT}:gateway.rateLimits[{i}].model",
                                      f"{r.model!r} is not a served model of this stack ({known})"))
    for i, f in enumerate(gw.fallbacks):
        if f.model not in served:
            issues.append(ConfigIssue(f"{PROJECT}:gateway.fallbacks[{i}].model",
                                      f"{f.model!r} is not a served model of this stack ({known})"))
        for j, t in enumerate(f.to):
            if t not in served or t == f.model:
                why = "falls back to itself" if t == f.model else f"is not a served model of this stack ({known})"
                issues.append(ConfigIssue(f"{PROJECT}:gateway.fallbacks[{i}].to[{j}]", f"{t!r} {why}"))
    if not gw.enabled and len(cfg.models) > 1:
        issues.append(ConfigIssue(f"{PROJECT}:gateway.kind",
                                  f"`none` puts one engine behind the API, but this stack serves {len(cfg.models)} models "
                                  "and apps need one base URL and one key; keep `litellm` or serve one model"))
    if not gw.enabled and ex.api.kind != "none" and any(m.engine == "ollama" for m in cfg.models):
        issues.append(ConfigIssue(f"{PROJECT}:exposure.api",
                                  "Ollama has no API key: exposed without the gateway, anyone who reaches it can use "
                                  "it; keep `gateway: litellm` to expose it"))
    # A stack without models renders no gateway and no UI, so their exposures are simply not created
    # (a stack between models keeps its exposure settings); exposing a UI that is off is a mistake.
    if ex.webui.kind != "none" and not ui.enabled:
        issues.append(ConfigIssue(f"{PROJECT}:exposure.webui",
                                  "OpenWebUI is off (webui.enabled: false); there is nothing to expose"))
    shared = set(_hosts(ex.api)) & set(_hosts(ex.webui))
    if shared:
        issues.append(ConfigIssue(f"{PROJECT}:exposure.webui",
                                  f"host {', '.join(sorted(shared))} is also the API's; both claim its `/` path, "
                                  "give the UI its own host"))
    for where, e in (("api", ex.api), ("webui", ex.webui)):
        if isinstance(e, LoadBalancerExposure) and e.internal_subnet_id and not cfg.on_tke:
            issues.append(ConfigIssue(f"{PROJECT}:exposure.{where}.internalSubnetId",
                                      "the internal-CLB annotation is TKE's: on an existing TKE cluster set "
                                      f"`{PROJECT}:cluster.provider: tke`; on another cluster set its own "
                                      "annotation in `annotations` instead"))
    for i, name in enumerate(cfg.smoke.completion):
        if name not in served:
            issues.append(ConfigIssue(f"{PROJECT}:smoke.completion[{i}]",
                                      f"{name!r} is not a served model of this stack ({known}); list served names"))
    return issues + exposure_issues(cfg)
