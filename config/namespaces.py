"""Which config keys belong to the program, which to the providers, and which are mistakes.

The Pulumi CLI hands the program every key of the stack file, namespaced (an unqualified key is the
project's). A key under any other namespace would be ignored without a word, so only the providers'
namespaces are accepted beside the project's own. Sources: docs/configuration.md, "Namespaces of keys".
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from config.errors import PROJECT, ConfigIssue

PROVIDER_NAMESPACES = ("kubernetes", "pulumi", "tencentcloud")
"""Providers (and the engine's own `pulumi:` settings) whose config keys may sit beside the project's."""

RETIRED_NAMESPACES = {
    "random": "the program no longer uses the pulumi-random provider (it generates its keys and passwords "
              "itself, components/generated_secret.py)",
}
"""Providers the program used to use: their keys are refused with the reason, not only as unknown."""


def qualify(key: str) -> tuple[str, str] | None:
    """(namespace, name) as the CLI reads the key, or None where the CLI refuses it."""
    if ":" not in key:
        return PROJECT, key
    parts = key.split(":")
    if len(parts) == 2 and parts[0] and parts[1]:
        return parts[0], parts[1]
    if len(parts) == 3 and parts[1] == "config" and parts[0] and parts[2]:
        return parts[0], parts[2]
    return None


@dataclass
class Split:
    project: dict[str, Any] = field(default_factory=dict)
    """The project's keys, namespace stripped."""
    spelled: dict[str, str] = field(default_factory=dict)
    """How each project key was written in the file."""
    providers: dict[str, Any] = field(default_factory=dict)
    """Provider keys as `<namespace>:<name>`, e.g. `tencentcloud:region`."""
    issues: list[ConfigIssue] = field(default_factory=list)


def split(config: dict[Any, Any], *, qualified: bool = False) -> Split:
    """Split a stack file's `config` mapping into the project's keys, the providers' keys and the
    issues: non-string keys, malformed keys, unknown namespaces, and the same key written twice in
    two spellings (`webui` and `tke-llm:webui`).

    `qualified`: the keys come from the engine (already namespaced), not from a file."""
    out = Split()
    raw, spelled, issues = out.project, out.spelled, out.issues
    for key, value in config.items():
        if not isinstance(key, str):
            issues.append(ConfigIssue(f"config[{key!r}]", f"config keys are strings such as `{PROJECT}:namespace`; "
                                      f"{key!r} is a {type(key).__name__}: quote it or fix the indentation"))
            continue
        parsed = qualify(key) if not qualified or ":" in key else None
        if parsed is None:
            issues.append(ConfigIssue(key, "not a config key: write `<namespace>:<name>`, e.g. "
                                      f"`{PROJECT}:{key.rsplit(':', 1)[-1] or 'namespace'}`"))
            continue
        namespace, name = parsed
        if namespace == PROJECT:
            if name in raw:
                issues.append(ConfigIssue(f"{PROJECT}:{name}", f"written twice, as `{spelled[name]}` and `{key}`; "
                                          "keep one"))
                continue
            raw[name] = value
            spelled[name] = key
        elif namespace in PROVIDER_NAMESPACES:
            out.providers[f"{namespace}:{name}"] = value
        elif namespace in RETIRED_NAMESPACES:
            issues.append(ConfigIssue(key, f"{RETIRED_NAMESPACES[namespace]}: a `{namespace}:` key would be "
                                      "ignored; remove it"))
        else:
            near = difflib.get_close_matches(namespace, [PROJECT, *PROVIDER_NAMESPACES], n=1, cutoff=0.6)
            hint = f"did you mean `{near[0]}:{name}`? " if near else ""
            issues.append(ConfigIssue(key, f"unknown namespace `{namespace}`: the program reads `{PROJECT}:` keys and "
                                      f"the providers {', '.join(f'`{p}:`' for p in PROVIDER_NAMESPACES)}; {hint}"
                                      "a key anywhere else would be ignored"))
    return out


def provider_issues(project: dict[str, Any], providers: dict[str, Any]) -> list[ConfigIssue]:
    """Provider settings that contradict the program's: the Tencent Cloud provider creates every
    cloud resource in `tencentcloud:region`, the cluster's subnets and zones are in `cluster.region`.
    A TKE stack must set it: unset, the provider takes TENCENTCLOUD_REGION from the environment of
    whoever runs `pulumi up`, or its own default; a different region builds there, or is refused."""
    cluster = project.get("cluster")
    if not isinstance(cluster, dict) or cluster.get("kind") != "tke":
        return []
    region = providers.get("tencentcloud:region")
    wanted = cluster.get("region") if isinstance(cluster.get("region"), str) else None
    if region is None:
        value = wanted or "<the cluster's region>"
        return [ConfigIssue("tencentcloud:region", f"not set: the Tencent Cloud provider would create the cluster "
                            "in the region of its environment (TENCENTCLOUD_REGION) or its own default; add "
                            f"`tencentcloud:region: {value}` beside {PROJECT}:cluster "
                            f"(`pulumi config set tencentcloud:region {value}`)")]
    if wanted is not None and region != wanted:
        return [ConfigIssue("tencentcloud:region", f"{region!r} differs from {PROJECT}:cluster.region "
                            f"{wanted!r}: the provider would create the cluster's resources in {region}; "
                            "set both to the same region")]
    return []
