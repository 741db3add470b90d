"""The offline plan: the real program under Pulumi's mock runtime, written out for review and tests.

`python -m preview <stack> [--out DIR]`.
"""

from preview.runner import Plan, PlannedResource, render

__all__ = ["Plan", "PlannedResource", "render"]
