"""Pulumi entry point: load the typed config, build the graph, export the outputs. Nothing else."""

import pulumi

from stacks.config import ConfigError, load_from_pulumi
from stacks.compose import build

try:
    _config = load_from_pulumi()
except ConfigError as err:
    raise pulumi.RunError(f"invalid stack config:\n{err}") from None

for _key, _value in build(_config, pulumi.get_stack()).items():
    pulumi.export(_key, _value)
