"""The base every config model shares (the reasoning is in docs/configuration.md).

Stack files are camelCase YAML, Python is snake_case: an alias generator bridges the two. `extra="forbid"`
turns a typo into an error naming the key; `frozen` keeps the parsed config a shareable value. Integers
are bounded to int32 (the Kubernetes fields they reach); infinities and NaN are refused for floats.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic.alias_generators import to_camel

from config.formats import INT32_MAX


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
    def _int32(cls, v: Any) -> Any:
        for item in (v if isinstance(v, (list, tuple)) else (v,)):
            if isinstance(item, int) and not isinstance(item, bool) and abs(item) > INT32_MAX:
                raise ValueError(f"{item} is out of range: the Kubernetes API takes at most {INT32_MAX} here (int32)")
        return v
