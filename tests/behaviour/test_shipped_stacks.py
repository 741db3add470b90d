"""Every shipped stack renders and its manifests pass the independent checks: the Kubernetes schemas
(strict), the upstream CRD schemas, and checkov's security posture with only the justified skips."""

from __future__ import annotations

from pathlib import Path

import pytest

from checks import checked
from preview import render
from preview.stackfile import read, shipped_stacks
from preview.writers import write

from tests.validators import load_manifests, run_checkov, validate_builtin, validate_custom

STACKS = shipped_stacks()


def test_the_required_stacks_are_shipped():
    assert {"dev", "byo"} <= set(STACKS)


@pytest.fixture(scope="module", params=STACKS)
def rendered(request, tmp_path_factory) -> tuple[object, Path]:
    raw, secrets = read(request.param)
    plan = render(checked(raw), request.param, raw, secrets)
    target = write(plan, tmp_path_factory.mktemp("plan"))
    return plan, target / "manifests.yaml"


def test_builtin_kinds_pass_strict_schema(rendered):
    plan, manifests = rendered
    docs = load_manifests(manifests)
    assert docs, "a stack with no Kubernetes objects checks nothing"
    errors = validate_builtin(docs, plan.config.cluster.kubernetes_version)
    assert not errors, "\n".join(errors)


def test_custom_resources_pass_their_crd_schema(rendered):
    _, manifests = rendered
    errors = validate_custom(load_manifests(manifests))
    assert not errors, "\n".join(errors)


def test_checkov_finds_nothing_outside_the_skip_list(rendered):
    _, manifests = rendered
    errors = run_checkov(manifests)
    assert not errors, "\n".join(errors)


def test_every_object_is_namespaced_in_the_stack_namespace(rendered):
    plan, manifests = rendered
    cluster_scoped = {"Namespace", "StorageClass", "ClusterRole", "ClusterRoleBinding", "PriorityClass"}
    # A Secret a chart reads by name (Grafana's admin password) sits in that chart's namespace.
    charts = {r.inputs["namespace"] for r in plan.resources if r.type.startswith("kubernetes:helm.sh")}
    for doc in load_manifests(manifests):
        if doc["kind"] not in cluster_scoped:
            where = doc["metadata"].get("namespace")
            assert where == plan.config.namespace or (doc["kind"] == "Secret" and where in charts), \
                doc["metadata"]["name"]
