"""Config errors that name the exact stack-file key and say what to write instead.

pydantic reports locations as tuples of Python names and list indexes; users edit camelCase YAML
under the `tke-llm:` namespace, so every location is translated back to that spelling.
"""

from __future__ import annotations

import difflib
import types
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
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


def did_you_mean(word: str, known: list[str]) -> str | None:
    """The known key `word` most likely misspells: the same but for case first (`webUI` -> `webui`),
    else the closest by difflib (`gpusPerNod` -> `gpusPerNode`); None when none is close."""
    by_lower = {k.lower(): k for k in known}
    if word.lower() in by_lower:
        return by_lower[word.lower()]
    near = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.6)
    return by_lower[near[0]] if near else None


def _members(tp: Any) -> list[Any]:
    """The alternatives of a type: Annotated and unions unwrapped, None dropped."""
    origin = get_origin(tp)
    if origin is Annotated:
        return _members(get_args(tp)[0])
    if origin in (Union, types.UnionType):
        return [m for a in get_args(tp) for m in _members(a)]
    return [] if tp is type(None) else [tp]


def _tags(model: type[BaseModel]) -> tuple[Any, ...]:
    kind = model.model_fields.get("kind")
    return get_args(kind.annotation) if kind is not None and get_origin(kind.annotation) is Literal else ()


def _step(state: list[Any], part: str | int) -> list[Any]:
    """The types at one more part of a pydantic location: a list item, a union's tagged member, a field."""
    found: list[Any] = []
    for tp in (m for t in state for m in _members(t)):
        origin = get_origin(tp)
        if isinstance(part, int):
            found += [get_args(tp)[0]] if origin in (list, tuple) else []
        elif isinstance(tp, type) and issubclass(tp, BaseModel):
            if part in _tags(tp) or part == tp.__name__:
                found.append(tp)
            found += [f.annotation for n, f in tp.model_fields.items() if part in (f.alias, n, to_camel(n))]
        elif origin is dict:
            found.append(get_args(tp)[1])
    return found


def keys_at(root: type[BaseModel], loc: tuple[str | int, ...]) -> list[str]:
    """The keys (as written) of the model at a pydantic location under `root`; [] when unknown."""
    state: list[Any] = [root]
    for part in loc:
        if isinstance(part, str) and part.startswith("function-"):
            continue
        state = _step(state, part)
    models = [m for t in state for m in _members(t) if isinstance(m, type) and issubclass(m, BaseModel)]
    return list(dict.fromkeys(f.alias or to_camel(n) for m in models for n, f in m.model_fields.items()))


def from_validation_error(err: ValidationError, prefix: tuple[str | int, ...] = (),
                          root: type[BaseModel] | None = None) -> list[ConfigIssue]:
    """Keyed issues of a pydantic error; `root`, the validated model, lets an unknown key name the key
    it most likely misspells."""
    issues = []
    for e in err.errors(include_url=False):
        msg = e["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        if e["type"] == "extra_forbidden":
            loc = tuple(e["loc"])
            meant = did_you_mean(str(loc[-1]), keys_at(root, loc[:-1])) if root is not None and loc else None
            msg = (f"unknown key; did you mean `{meant}`?" if meant
                   else "unknown key; check its spelling against the README's config reference")
        elif e["type"] == "missing":
            msg = "required key is missing"
        raised = (e.get("ctx") or {}).get("error")
        inner = raised.loc if isinstance(raised, AtKey) else ()
        issues.append(ConfigIssue(key_path(prefix + tuple(e["loc"]) + inner), msg))
    return issues
