"""The base every config model shares (the reasoning is in docs/configuration.md).

Stack files are camelCase YAML, Python is snake_case: an alias generator bridges the two. `extra="forbid"`
turns a typo into an error naming the key; `frozen` keeps the parsed config a shareable value. Integers
are bounded to int32 (the Kubernetes fields they reach); infinities and NaN are refused for floats; text
fields refuse control, zero-width and line-break characters (a value is one visible line).
"""

from __future__ import annotations

import unicodedata
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic.alias_generators import to_camel

from config.formats import INT32_MAX

HIDDEN = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
"""Unicode categories no text field takes: control, format (zero-width), surrogate, private, unassigned,
line and paragraph separators."""


class ConfigModel(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
        validate_default=True,
        use_attribute_docstrings=True,
        allow_inf_nan=False,
    )

    @field_validator("*", mode="after")
    @classmethod
    def _bounded(cls, v: Any) -> Any:
        for item in (v if isinstance(v, (list, tuple)) else (v,)):
            if isinstance(item, int) and not isinstance(item, bool) and abs(item) > INT32_MAX:
                raise ValueError(f"{item} is out of range: the Kubernetes API takes at most {INT32_MAX} here (int32)")
            hidden = sorted({f"U+{ord(c):04X}" for c in item if unicodedata.category(c) in HIDDEN}) \
                if isinstance(item, str) else []
            if hidden:
                shown = repr(item) if len(item) <= 60 else f"{item[:40]!r}..."
                raise ValueError(f"{shown} contains invisible or control characters ({', '.join(hidden[:3])}): write "
                                 "it on one line, in visible characters")
        return v
