"""The base every config model shares.

Stack files are camelCase YAML, Python is snake_case: the alias generator bridges the two so a
field is written once. `extra="forbid"` turns a typo into an error that names the key instead of a
silently ignored setting; `frozen` keeps the parsed config a value that components can share.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class ConfigModel(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
        validate_default=True,
        use_attribute_docstrings=True,
    )
