"""Rules of `models[].coldStart` that span sections, each with the key to fix: the hold is the
gateway's, so it needs a gateway, and a client's request must still be answered within the gateway's
request timeout (the route in front of it waits that long); a model with a fallback is not held.
Why: docs/gateway.md."""

from __future__ import annotations

from config import StackConfig
from config.errors import PROJECT, ConfigIssue


def cold_start_issues(cfg: StackConfig) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    timeout = cfg.gateway.request_timeout_seconds
    for i, m in enumerate(cfg.models):
        c = m.cold_start
        key = f"{PROJECT}:models[{i}].coldStart"
        if c.model_fields_set and not cfg.gateway.enabled:
            field = "holdSeconds" if "hold_seconds" in c.model_fields_set else "retryAfterSeconds"
            issues.append(ConfigIssue(f"{key}.{field}", "the gateway holds requests through a cold start, and "
                                      "`gateway.kind` is none: remove coldStart, or deploy the gateway"))
        elif c.hold_seconds and any(f.model == m.served_name for f in cfg.gateway.fallbacks):
            issues.append(ConfigIssue(f"{key}.holdSeconds", "a held request never reaches the model's fallback "
                                      "(`gateway.fallbacks`; the hold runs before LiteLLM's router), and past the "
                                      "bound gets 503: remove holdSeconds (a model with a fallback is not held) "
                                      "or the fallback"))
        elif c.hold_seconds is not None and c.hold_seconds > timeout:
            issues.append(ConfigIssue(f"{key}.holdSeconds", f"{c.hold_seconds} is longer than the gateway's request "
                                      f"timeout ({timeout} s, `gateway.requestTimeoutSeconds`): hold at most that "
                                      "long, or raise the timeout"))
    return issues
