"""The Pulumi program: read the typed config, check it once, build the graph, export the outputs.

`__main__.py` runs it under the CLI's language host; the real-engine harness (e2e/engine.py) runs the same
function as an Automation API inline program."""

import pulumi

from checks import load
from config import ConfigError, read_from_pulumi
from program.compose import build


def program() -> None:
    try:
        config, report = load(*read_from_pulumi())
    except ConfigError as err:
        raise pulumi.RunError(f"invalid stack config:\n{err}") from None

    for warning in report.warnings:
        pulumi.log.warn(f"preflight: {warning}")

    for key, value in build(config, pulumi.get_stack()).items():
        pulumi.export(key, value)
