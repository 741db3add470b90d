"""Typed stack config: one pydantic model per section, parsed from `Pulumi.<stack>.yaml`."""

from config.errors import PROJECT, ConfigError, ConfigIssue, UnknownPool
from config.load import parse, read_from_pulumi
from config.stack import StackConfig

__all__ = ["PROJECT", "ConfigError", "ConfigIssue", "StackConfig", "UnknownPool", "parse", "read_from_pulumi"]
