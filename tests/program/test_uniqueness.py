"""(kind, namespace, name) is unique over everything a stack renders; a clash is refused with its key."""

from __future__ import annotations

import pytest

from checks import checked

from config import ConfigError
from preview import render
from preview.stackfile import read, shipped_stacks
from program.uniqueness import plan_objects

from tests.conftest import ROOT, plan_errors, tke_config

DEV = (ROOT / "Pulumi.dev.yaml").read_text()
PROD = (ROOT / "Pulumi.prod.yaml").read_text()




@pytest.mark.parametrize("model, kind", [("llm-gateway", "Deployment"), ("open-webui", "Deployment")])
def test_a_model_named_like_a_stack_object_is_refused(tmp_path, capsys, model, kind):
    found = plan_errors(tmp_path, capsys, DEV.replace("name: r1-distill-7b", f"name: {model}"))
    assert f"tke-llm:models[0].name: the stack would render 2 {kind} objects named '{model}' in namespace llm: " \
           "each apply would overwrite the other; rename the model (its name prefixes its objects)" in found, found


@pytest.mark.parametrize("text, namespace", [
    (DEV, "monitoring"),   # dev installs kube-prometheus-stack there
    (DEV, "keda"),         # and KEDA
    (PROD, "lws-system"),  # prod's multi-node model installs the LeaderWorkerSet controller
])
def test_a_namespace_equal_to_an_add_ons_is_refused(tmp_path, capsys, text, namespace):
    found = plan_errors(tmp_path, capsys, text.replace("tke-llm:namespace: llm", f"tke-llm:namespace: {namespace}"))
    assert f"tke-llm:namespace: the stack would render 2 Namespace objects named '{namespace}' in the cluster: " \
           "each apply would overwrite the other; choose a namespace no add-on of the stack uses" in found, found


def test_the_default_namespace_is_refused():
    with pytest.raises(ConfigError) as exc:
        checked(tke_config(namespace="default"))
    assert any(str(i).startswith("tke-llm:namespace: 'default' is not a usable namespace") for i in exc.value.issues)


@pytest.mark.parametrize("stack", shipped_stacks())
def test_the_program_checks_every_object_it_registers(stack, monkeypatch):
    """The check runs over what `components.k8s.apply` recorded while building; that record must be
    exactly the set of Kubernetes objects that reach the engine, or a clash could slip past it."""
    import program.uniqueness

    seen: list[list] = []
    real = program.uniqueness.collisions

    def spy(cfg, objects):
        seen.append(sorted(objects))
        return real(cfg, objects)

    monkeypatch.setattr(program.uniqueness, "collisions", spy)
    raw, secrets = read(stack)
    plan = render(checked(raw, secrets), stack, raw, secrets)
    assert seen == [sorted(plan_objects(plan))]
    assert len(seen[0]) == len(plan.k8s_objects) > 10
