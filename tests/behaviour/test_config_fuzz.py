"""A config fuzzer over the shipped stacks: one value replaced, a key removed or one added, anywhere in
the stack file. Every outcome must be one a user can act on: exit 2 with messages that name a key, or
a plan whose objects pass the Kubernetes schemas (strict) and the CRD schemas with no clashing names.
Never a traceback.

Deterministic (`derandomize`): CI sees the same cases every run. `FUZZ_EXAMPLES=500 FUZZ_RANDOM=1` explores more
locally; a failure prints the mutation to add to tests/config/test_formats.py as a named case.
"""

from __future__ import annotations

import copy
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checks import checked

from config import ConfigError
from preview import render
from preview.stackfile import read, shipped_stacks
from program.uniqueness import DuplicateObjects, collisions, plan_objects

from tests.validators import validate_builtin, validate_custom

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))

ODD_VALUES: list[Any] = [
    None, "", " ", "x" * 300, "Bad Name!", "../etc", "ünïcode", "1e999", "-1", "0", "1.5", "16Gi", "2 cores",
    "vpc-1", "ap-guangzhou-3", "default", "monitoring", "llm-gateway", "--port=1", "main",
    0, -1, 1, 2**31, 2**63, -(2**63), 10**30, 0.5, -0.5, float("nan"), float("inf"), True, False,
    [], ["x"], {}, {"kind": "none"}, {"unknown": 1},
]


def _paths(node: Any, path: tuple = ()) -> list[tuple]:
    out = [path] if path else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*path, i))
    return out


def _mutate(raw: dict, path: tuple, op: str, value: Any) -> dict:
    raw = copy.deepcopy(raw)
    parent = raw
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if op == "delete":
        if isinstance(parent, list):
            parent.pop(last)
        else:
            del parent[last]
    elif op == "add" and isinstance(parent, dict):
        parent[f"{last}X"] = value
    else:
        parent[last] = value
    return raw


def outcome(stack: str, raw: dict, secrets: set[str]) -> str:
    try:
        cfg = checked(raw, secrets)
    except ConfigError as err:
        assert err.issues, "a refusal lists what to fix"
        for issue in err.issues:
            assert issue.key.startswith(("tke-llm:", "tencentcloud:")), f"unkeyed: {issue}"
            assert issue.key != "tke-llm:", f"keyed to the whole stack: {issue}"
            assert issue.message.strip(), f"no message: {issue}"
        return "refused"
    try:
        plan = render(cfg, stack, raw, secrets)
    except DuplicateObjects as err:
        assert all(i.key.startswith("tke-llm:") for i in err.issues), err
        return "refused"
    assert not collisions(cfg, plan_objects(plan)), "the program let two objects share a name"
    docs = [r.manifest for r in plan.k8s_objects if r.manifest.get("kind")]
    errors = validate_builtin(docs, cfg.cluster.kubernetes_version) + validate_custom(docs)
    assert not errors, "a plan the API server would reject:\n" + "\n".join(errors)
    return "rendered"


@pytest.mark.parametrize("stack", shipped_stacks())
@settings(max_examples=EXAMPLES, deadline=None, derandomize="FUZZ_RANDOM" not in os.environ,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_stacks_are_refused_with_a_key_or_render_valid_objects(stack, data):
    raw, secrets = read(stack)
    path = data.draw(st.sampled_from(_paths(raw)), label="path")
    op = data.draw(st.sampled_from(["replace", "replace", "delete", "add"]), label="op")
    value = data.draw(st.one_of(st.sampled_from(ODD_VALUES), st.integers(-(2**70), 2**70),
                                st.text(max_size=12)), label="value")
    outcome(stack, _mutate(raw, path, op, value), secrets)


@pytest.mark.parametrize("path, value", [
    (("models", 0, "memory"), "1GB"),
    (("models", 0, "cpu"), "-2"),
    (("storage", "sizeGi"), 2**62),
    (("nodePools", 0, "labels"), {"bad key!": "x"}),
    (("namespace",), "default"),
    (("cluster", "region"), "ap-guangzhou"),
])
def test_known_classes_are_refused_on_the_dev_stack(path, value):
    raw, secrets = read("dev")
    assert outcome("dev", _mutate(raw, path, "replace", value), secrets) == "refused"
