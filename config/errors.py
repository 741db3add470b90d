"""Config errors that name the exact stack-file key and say what to write instead.

pydantic reports locations as tuples of Python names and list indexes; users edit camelCase YAML
under the `tke-llm:` namespace, so every location is translated back to that spelling.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError
from pydantic.alias_generators import to_camel

PROJECT = "tke-llm"


@dataclass(frozen=True)
class ConfigIssue:
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


class ConfigError(Exception):
    """Raised before any resource is registered; carries every problem found, not just the first."""

    def __init__(self, issues: list[ConfigIssue]):
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


class UnknownPool(ConfigError, LookupError):
    """`StackConfig.pool` of a name no node pool has; carries the keyed issue."""

    def __init__(self, issue: ConfigIssue):
        super().__init__([issue])


class AtKey(ValueError):
    """A model validator's error about keys inside the model: `loc` (names as written or snake_case,
    list indexes) is appended to the model's own location, so a rule that spans several keys lands
    on the one to change (`nodePools[2].name`), not on the section, and its message names the others."""

    def __init__(self, loc: str | tuple[str | int, ...], message: str):
        super().__init__(message)
        self.loc = (loc,) if isinstance(loc, str) else tuple(loc)


def unknown_pool(name: str, pools: list[str]) -> str:
    """The message of a model naming a pool the stack does not have."""
    return f"no node pool named {name!r} (pools: {', '.join(pools) or 'none'})"


def key_path(loc: tuple[str | int, ...]) -> str:
    """`("node_pools", 1, "max_size")` -> `tke-llm:nodePools[1].maxSize`.

    Discriminated-union tags that pydantic inserts into locations (e.g. `tke`, `cfs-turbo`) are not
    keys the user wrote, so they are dropped.
    """
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        if part in _UNION_TAGS or part.startswith("function-"):
            continue
        name = part if part[:1].islower() and "_" not in part else to_camel(part)
        out += f".{name}" if out else name
    return f"{PROJECT}:{out}"


# Tags of the discriminated unions in the config; keep in sync with the `kind` literals.
_UNION_TAGS = {"tke", "existing", "cfs", "cfs-turbo", "local", "normal", "native", "super", "attached",
               "huggingface", "modelscope", "ollama", "tke-managed", "in-cluster",
               "none", "loadBalancer", "ingress", "httpRoute"}


def from_validation_error(err: ValidationError, prefix: tuple[str | int, ...] = ()) -> list[ConfigIssue]:
    issues = []
    for e in err.errors(include_url=False):
        msg = e["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        if e["type"] == "extra_forbidden":
            msg = "unknown key; check its spelling against the README's config reference"
        elif e["type"] == "missing":
            msg = "required key is missing"
        raised = (e.get("ctx") or {}).get("error")
        inner = raised.loc if isinstance(raised, AtKey) else ()
        issues.append(ConfigIssue(key_path(prefix + tuple(e["loc"]) + inner), msg))
    return issues
