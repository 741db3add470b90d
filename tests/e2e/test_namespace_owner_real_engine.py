"""Whose namespace it is, under the real Pulumi engine and kubernetes provider on the local control plane
(components/namespace_owner.py): a namespace that exists and the stack did not create is refused at
`pulumi preview` and `up` before any object is sent; `namespaceAdopt: true` adopts it; the stack's own
namespace, kept by `pulumi destroy`, is re-adopted without the opt-in. Tests run in file order."""

from __future__ import annotations

import pytest
from pulumi import automation as auto

from e2e.engine import run
from render.namespace import OWNER_ANNOTATION

from .conftest import PREFIX, Harness, engine_stack, local_cluster_config, set_config

STACK_CONFIG = {
    f"{PREFIX}namespace": "team-a",
    f"{PREFIX}storage": {"kind": "existing", "storageClassName": "standard-rwx", "sizeGi": 10},
    f"{PREFIX}webui": False,
}
STORAGE_CLASSES = ["standard-rwx"]
FOREIGN = "team-a"
KEPT = "team-k"

pytestmark = pytest.mark.real_engine


def _config(local: Harness, **keys: object) -> dict[str, object]:
    config = local_cluster_config(STACK_CONFIG, local.cluster.kubeconfig, "local")
    config.update({f"{PREFIX}{k}": v for k, v in keys.items()})
    return config


@pytest.fixture(scope="module")
def taker(local: Harness):
    """A stack naming a namespace another team made (with a ConfigMap of theirs in it)."""
    local.cluster.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": FOREIGN}})
    local.cluster.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "theirs", "namespace": FOREIGN},
                          "data": {"owner": "team-a"}})
    return engine_stack(local, "taker", _config(local))


def _stack_objects(stack: auto.Stack) -> list[str]:
    return [r["urn"] for r in stack.export_stack().deployment.get("resources", [])
            if r["type"].startswith("kubernetes:") and not r["type"].startswith("pulumi:providers")]


def test_a_foreign_namespace_is_refused_before_anything_is_created(local: Harness, taker) -> None:
    k = local.kube
    for verb in ("preview", "up"):
        with pytest.raises(auto.CommandError) as failed:
            run(taker, verb)
        message = str(failed.value)
        assert f"{PREFIX}namespace: '{FOREIGN}' already exists in the cluster" in message, message[-3000:]
        assert f"`{PREFIX}namespaceAdopt: true`" in message and f"no {OWNER_ANNOTATION} annotation" in message
    ns = k.get("v1", "Namespace", FOREIGN)
    assert OWNER_ANNOTATION not in (ns["metadata"].get("annotations") or {})
    assert "pod-security.kubernetes.io/enforce" not in (ns["metadata"].get("labels") or {})
    assert not k.list("networking.k8s.io/v1", "NetworkPolicy", FOREIGN)
    assert k.get("v1", "PersistentVolumeClaim", "models", FOREIGN) is None
    assert _stack_objects(taker) == []


def test_the_opt_in_adopts_it(local: Harness, taker) -> None:
    k = local.kube
    set_config(local, "taker", taker, _config(local, namespaceAdopt=True))
    result, steps = run(taker, "up")
    assert result.summary.result == "succeeded", steps.diagnostics
    ns = k.get("v1", "Namespace", FOREIGN)
    assert ns["metadata"]["annotations"][OWNER_ANNOTATION] == "tke-llm/taker"
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "baseline"
    assert k.get("networking.k8s.io/v1", "NetworkPolicy", "default-deny-ingress", FOREIGN) is not None
    assert k.get("v1", "ConfigMap", "theirs", FOREIGN)["data"] == {"owner": "team-a"}
    _, again = run(taker, "preview", expect_no_changes=True)
    assert set(again.count()) <= {"same"}, again.changed()


def test_another_stack_is_refused_the_adopted_namespace(local: Harness) -> None:
    other = engine_stack(local, "other", _config(local))
    with pytest.raises(auto.CommandError) as failed:
        run(other, "preview")
    assert f"it belongs to the stack 'tke-llm/taker' ({OWNER_ANNOTATION})" in str(failed.value), \
        str(failed.value)[-3000:]


def test_the_stacks_own_kept_namespace_is_readopted_without_the_opt_in(local: Harness) -> None:
    k = local.kube
    keeper = engine_stack(local, "keeper", _config(local, namespace=KEPT))
    result, steps = run(keeper, "up")
    assert result.summary.result == "succeeded", steps.diagnostics
    assert k.get("v1", "Namespace", KEPT)["metadata"]["annotations"][OWNER_ANNOTATION] == "tke-llm/keeper"
    claim = k.get("v1", "PersistentVolumeClaim", "models", KEPT)["metadata"]["uid"]
    # `pulumi state unprotect`, then `pulumi destroy` (docs/delivery.md): nothing of the stack stays in its
    # state, the namespace and the claim stay in the cluster (retained on delete).
    state = keeper.export_stack()
    for r in state.deployment["resources"]:
        r.pop("protect", None)
    keeper.import_stack(state)
    result, steps = run(keeper, "destroy")
    assert result.summary.result == "succeeded", steps.diagnostics
    assert _stack_objects(keeper) == []
    assert k.get("v1", "Namespace", KEPT)["metadata"]["annotations"][OWNER_ANNOTATION] == "tke-llm/keeper"
    result, steps = run(keeper, "up")
    assert result.summary.result == "succeeded", steps.diagnostics
    (created,) = [op for name, op in steps.by_name().items() if name.endswith("kubernetes:core/v1:Namespace::namespace-ns")]
    assert created == "create"  # adopted: the state held nothing of it
    assert k.get("v1", "PersistentVolumeClaim", "models", KEPT)["metadata"]["uid"] == claim
    assert k.get("networking.k8s.io/v1", "NetworkPolicy", "default-deny-ingress", KEPT) is not None
