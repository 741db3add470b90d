"""Typed stack config: one pydantic model per section, parsed from `Pulumi.<stack>.yaml`."""

from .errors import PROJECT, ConfigError, ConfigIssue
from .load import load_from_pulumi, parse
from .stack import StackConfig

__all__ = ["PROJECT", "ConfigError", "ConfigIssue", "StackConfig", "load_from_pulumi", "parse"]
