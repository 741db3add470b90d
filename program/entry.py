"""The Pulumi program: load the typed config, check it, build the graph, export the outputs.

`__main__.py` runs it under the CLI's language host; the real-engine harness (e2e/engine.py) runs the same
function as an Automation API inline program."""

import pulumi

from program.compose import build
from config import ConfigError, load_from_pulumi
from checks.preflight import preflight


def program() -> None:
    try:
        config = load_from_pulumi()
    except ConfigError as err:
        raise pulumi.RunError(f"invalid stack config:\n{err}") from None

    for warning in preflight(config).warnings:
        pulumi.log.warn(f"preflight: {warning}")

    for key, value in build(config, pulumi.get_stack()).items():
        pulumi.export(key, value)
