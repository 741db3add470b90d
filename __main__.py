"""Pulumi entry point: load the typed config, build the graph, export the outputs. Nothing else."""

import pulumi

from stacks.compose import build
from stacks.config import ConfigError, load_from_pulumi
from stacks.preflight import preflight

try:
    _config = load_from_pulumi()
except ConfigError as err:
    raise pulumi.RunError(f"invalid stack config:\n{err}") from None

for _warning in preflight(_config).warnings:
    pulumi.log.warn(f"preflight: {_warning}")

for _key, _value in build(_config, pulumi.get_stack()).items():
    pulumi.export(_key, _value)
