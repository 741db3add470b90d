"""The offline plan: the real program under Pulumi's mock runtime, written out for review and tests.

`python -m stacks.plan <stack> [--out DIR]`.
"""

from .runner import Plan, PlannedResource, render

__all__ = ["Plan", "PlannedResource", "render"]
