"""The base every config model shares.

Stack files are camelCase YAML, Python is snake_case: the alias generator bridges the two so a
field is written once. `extra="forbid"` turns a typo into an error that names the key instead of a
silently ignored setting; `frozen` keeps the parsed config a value that components can share.

Every integer is bounded to int32: the Kubernetes fields they reach (replicas, ports, sizes scaled
to Gi, timeouts) are int32 or quantities that overflow int64 beyond it, and no setting of this
program needs more. Infinities and NaN are refused for floats: they would crash the estimates.
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
