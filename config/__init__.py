"""Typed stack config: one pydantic model per section, parsed from `Pulumi.<stack>.yaml`."""

from config.errors import PROJECT, ConfigError, ConfigIssue
from config.load import load_from_pulumi, parse
from config.stack import StackConfig

__all__ = ["PROJECT", "ConfigError", "ConfigIssue", "StackConfig", "load_from_pulumi", "parse"]
