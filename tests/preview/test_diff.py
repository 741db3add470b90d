"""The plan diff (`python -m preview <stack> --diff-against DIR`): created, replaced (with the input that
forces it), changed and deleted resources, protected resources first, and the manifests diff."""

from __future__ import annotations

import copy
import subprocess
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any


from preview.diff import (
    FORCE_NEW, SOURCES, PlanDiff, Rule, canonical_manifests, changed_paths, diff_plans, get_path, load_plan,
    render_markdown, render_text, rule_hit,
)
from preview.stackfile import read
from preview.writers import write

from tests.conftest import ROOT, render_raw


@lru_cache(maxsize=None)
def _rendered(key: str) -> tuple[list[dict[str, Any]], str]:
    raw, secrets = _VARIANTS[key]()
    import tempfile

    out = Path(tempfile.mkdtemp(prefix="plan-diff-"))
    write(render_raw(raw, stack="s", secrets=secrets), out)
    found = load_plan(out, "s")
    assert found is not None
    return found


def _stack(name: str):
    def build() -> tuple[dict[str, Any], set[str]]:
        raw, secrets = read(name)
        return copy.deepcopy(raw), secrets
    return build


def _variant(name: str, *changes):
    def build() -> tuple[dict[str, Any], set[str]]:
        raw, secrets = read(name)
        raw = copy.deepcopy(raw)
        for change in changes:
            change(raw)
        return raw, secrets
    return build


def _set(path: str, value: Any):
    def change(raw: dict[str, Any]) -> None:
        node = raw
        keys = path.split(".")
        for k in keys[:-1]:
            node = node[int(k)] if isinstance(node, list) else node[k]
        node[keys[-1]] = value
    return change


def _drop_second_model(raw: dict[str, Any]) -> None:
    raw["models"] = raw["models"][:1]
    if isinstance(raw.get("gateway"), dict):
        raw["gateway"].pop("fallbacks", None)  # they name the dropped model


_VARIANTS = {
    "dev": _stack("dev"),
    "prod": _stack("prod"),
    "prod-bigger-pvc": _variant("prod", _set("storage.sizeGi", 3000)),
    "prod-namespace": _variant("prod", _set("namespace", "llm-prod")),
    "prod-turbo-capacity": _variant("prod", _set("storage.capacityGib", 30720)),
    "prod-service-cidr": _variant("prod", _set("cluster.serviceCidr", "172.30.0.0/22")),
    "dev-instance-type": _variant("dev", _set("nodePools.1.instanceType", "PNV4.14XLARGE232"),
                                  _set("nodePools.1.gpu.count", 2)),
    "dev-desired": _variant("dev", _set("nodePools.1.desiredSize", 2)),
    "dev-revision": _variant("dev", _set("models.0.source.revision", "v1.0.1")),
    "dev-tier": _variant("dev", _set("storage.tier", "standard")),
    "prod-one-model": _variant("prod", _drop_second_model),
    "prod-webui-size": _variant("prod", _set("webui.storage.sizeGi", 80)),
    "prod-rotate-app-key": _variant("prod", _set("keys", {"rotate": {"appKey": 1}})),
}


def diff(base: str | None, head: str) -> PlanDiff:
    return diff_plans("s", _rendered(base) if base else None, _rendered(head))


def change(d: PlanDiff, name: str):
    found = [c for c in d.changes if c.name == name]
    assert len(found) == 1, [(c.action, c.name) for c in d.changes]
    return found[0]


# --- pure pieces ---------------------------------------------------------------------------------

def test_changed_paths_are_leaf_paths_with_list_indices():
    old = {"spec": {"a": 1, "list": [{"x": 1}, {"x": 2}], "gone": True, "grow": [1]}}
    new = {"spec": {"a": 2, "list": [{"x": 1}, {"x": 3}], "added": "y", "grow": [1, 2]}}
    assert changed_paths(old, new) == ["spec.a", "spec.added", "spec.gone", "spec.grow", "spec.list[1].x"]
    assert changed_paths({"a": [1]}, {"a": [1]}) == []
    labels = changed_paths({"labels": {"app.kubernetes.io/name": "a"}}, {"labels": {"app.kubernetes.io/name": "b"}})
    assert labels == ['labels["app.kubernetes.io/name"]']
    assert get_path({"labels": {"app.kubernetes.io/name": "b"}}, labels[0]) == "b"


def test_rules_match_under_over_and_through_wildcards():
    rule = Rule("spec.template", "k8s")
    assert rule_hit(rule, "spec.template.spec.containers[0].image")
    assert rule_hit(rule, "spec"), "the whole spec rewritten includes the template"
    assert not rule_hit(rule, "spec.replicas")
    star = Rule("spec.containers[*].image", "k8s")
    assert rule_hit(star, "spec.containers[3].image") and not rule_hit(star, "spec.containers[3].name")
    assert rule_hit(Rule("*", "random"), "length")


def test_every_rule_cites_a_known_source():
    for typ, rules in FORCE_NEW.items():
        assert rules, typ
        for r in rules:
            assert r.source in SOURCES, (typ, r)
            assert r.outcome in ("replace", "refused")


def test_canonical_manifests_ignore_document_order():
    a = "---\nkind: Secret\nmetadata:\n  name: b\n---\nkind: Secret\nmetadata:\n  name: a\n  x: |\n    ---\n"
    b = "---\nkind: Secret\nmetadata:\n  name: a\n  x: |\n    ---\n---\nkind: Secret\nmetadata:\n  name: b\n"
    assert canonical_manifests(a) == canonical_manifests(b)


# --- on rendered plans ---------------------------------------------------------------------------

def test_same_plan_is_no_change():
    d = diff("prod", "prod")
    assert d.changes == [] and d.manifests_diff == "" and d.unchanged > 30
    assert "no change" in render_text(d) and "No change." in render_markdown(d)


def test_bigger_model_volume_is_an_update_of_the_claim():
    """The kubernetes provider updates a claim's size in place (not in its force-new table; the real engine
    agrees: tests/e2e/test_byo_real_engine.py): no protected replacement, nothing to unprotect."""
    d = diff("prod", "prod-bigger-pvc")
    pvc = change(d, "storage-pvc")
    assert pvc.action == "update" and pvc.protected and not pvc.dangerous
    assert "spec.resources.requests.storage" in pvc.paths
    assert not d.protected_hits and "PROTECTED" not in render_text(d)
    assert "-      storage: 2000Gi" in d.manifests_diff and "+      storage: 3000Gi" in d.manifests_diff


def test_moving_the_namespace_replaces_the_protected_pvc_and_says_so_first():
    d = diff("prod", "prod-namespace")
    pvc = change(d, "storage-pvc")
    assert pvc.action == "replace" and pvc.protected and pvc.dangerous
    assert pvc.reasons[0].path == "metadata.namespace"
    assert d.changes[0].dangerous, "protected hits sort first"
    text = render_text(d)
    assert text.splitlines()[2].startswith("!!! ") and "PROTECTED" in text.splitlines()[2]
    md = render_markdown(d)
    assert md.index("[!CAUTION]") < md.index("| | resource |")
    assert "PersistentVolumeClaim/models" in md.split("| | resource |")[0]


def test_turbo_capacity_change_is_refused_by_the_provider_not_replaced():
    d = diff("prod", "prod-turbo-capacity")
    fs = change(d, "storage-turbo")
    assert fs.action == "update" and fs.refused and fs.protected and fs.dangerous
    assert fs.reasons[0].path == "capacity" and fs.reasons[0].source == "tc-cfs-immutable"
    assert "[!CAUTION]" in render_markdown(d)


def test_cluster_replacement_cascades_to_everything_on_it():
    d = diff("prod", "prod-service-cidr")
    cluster = change(d, "tke-cluster")
    assert cluster.action == "replace" and cluster.protected
    assert cluster.reasons[0].path == "serviceCidr" and cluster.reasons[0].source == "tc-cluster"
    pools = [c for c in d.changes if c.type == "tencentcloud:Kubernetes/nodePool:NodePool"]
    assert pools and all(c.action == "replace" and "clusterId" in (c.cascade or "") for c in pools)
    provider = change(d, "tke-k8s")
    assert provider.action == "replace" and "clusterIdentifier" in provider.cascade
    k8s = [c for c in d.changes if c.type.startswith("kubernetes:")]
    assert k8s and all(c.action == "replace" and "provider" in c.cascade for c in k8s)
    hits = {c.name for c in d.protected_hits}
    assert {"tke-cluster", "storage-pvc"} <= hits
    assert "storage-turbo" not in hits, "the file system does not hold the cluster id"


def test_gpu_instance_type_replaces_the_pool_but_desired_size_does_not():
    d = diff("dev", "dev-instance-type")
    pool = change(d, "gpu-pools-gpu-a10")
    assert pool.action == "replace" and pool.reasons[0].path == "autoScalingConfig.instanceType"
    assert pool.reasons[0].source == "tc-nodepool"
    assert all(c.name == "gpu-pools-gpu-a10" or c.action == "update" for c in d.changes), \
        "nothing holds a node pool id: no cascade"
    # The pool autoscales, so `desiredCapacity` is in its ignoreChanges: Pulumi keeps the old value and
    # sends no update for it.
    d = diff("dev", "dev-desired")
    assert "gpu-pools-gpu-a10" not in [c.name for c in d.changes]


def test_new_revision_replaces_the_download_job_by_name():
    d = diff("dev", "dev-revision")
    job = change(d, "r1-distill-7b-cache-job")
    assert job.action == "replace"
    assert job.reasons[0].path == "metadata.name" and job.reasons[0].source == "k8s"
    deployment = change(d, "r1-distill-7b-deployment")
    assert deployment.action == "update", "a new model path rolls the Deployment, it does not replace it"


def test_storage_tier_replaces_the_storage_class_through_its_parameters():
    d = diff("dev", "dev-tier")
    sc = change(d, "storage-class")
    assert sc.action == "replace" and sc.reasons[0].path.startswith("parameters")


def test_removed_model_is_deleted_and_new_stack_is_all_created():
    d = diff("prod", "prod-one-model")
    deleted = {c.name for c in d.of("delete")}
    assert {"qwen3-14b-deployment", "qwen3-14b-service", "qwen3-14b-key", "qwen3-14b-cache-job"} <= deleted
    assert not d.protected_hits
    d = diff(None, "dev")
    assert not d.base_found and d.counts["create"] == len(_rendered("dev")[0]) and not d.of("delete")
    assert "the stack is new" in render_markdown(d)


def _rec(typ: str, name: str, inputs: dict[str, Any], urn: str | None = None, protect: bool = False) -> dict[str, Any]:
    return {"type": typ, "name": name, "urn": urn or f"urn:pulumi:s::p::{typ}::{name}", "parent": None, "dependsOn": [],
            "provider": None, "inputs": inputs, "options": {"protect": protect}}


def test_deployment_selector_and_protected_delete_and_moves():
    dep = "kubernetes:apps/v1:Deployment"
    base = [
        _rec(dep, "web", {"kind": "Deployment", "metadata": {"name": "web"}, "spec": {"selector": {"matchLabels": {"a": "1"}}}}),
        _rec("tencentcloud:Cfs/fileSystem:FileSystem", "fs", {"availabilityZone": "ap-shanghai-5"}, protect=True),
        _rec("kubernetes:core/v1:PersistentVolumeClaim", "ui", {"kind": "PersistentVolumeClaim", "metadata": {"name": "webui"}},
             urn="urn:pulumi:s::p::old$kubernetes:core/v1:PersistentVolumeClaim::ui", protect=True),
    ]
    head = [
        _rec(dep, "web", {"kind": "Deployment", "metadata": {"name": "web"}, "spec": {"selector": {"matchLabels": {"a": "2"}}}}),
        _rec("kubernetes:core/v1:PersistentVolumeClaim", "ui", {"kind": "PersistentVolumeClaim", "metadata": {"name": "webui"}},
             urn="urn:pulumi:s::p::new$kubernetes:core/v1:PersistentVolumeClaim::ui", protect=True),
    ]
    d = diff_plans("s", (base, ""), (head, ""))
    assert change(d, "web").action == "replace" and change(d, "web").reasons[0].path == "spec.selector.matchLabels.a"
    assert change(d, "fs").action == "delete" and change(d, "fs").dangerous
    assert sorted(c.label for c in d.protected_hits) == ["PersistentVolumeClaim/webui", "fs"]
    assert [(a.label, b.label) for a, b in d.moved] == [("PersistentVolumeClaim/webui", "PersistentVolumeClaim/webui")]
    assert "alias" in render_markdown(d)
    # The provider adopts existing objects on create: without an alias the move deletes the object.
    assert "adopts the object on create (upsertExistingObjects), then deletes it" in render_text(d)


def test_protection_removed_is_a_change_of_options():
    base = [_rec("tencentcloud:Cfs/fileSystem:FileSystem", "fs", {"name": "a"}, protect=True)]
    head = [_rec("tencentcloud:Cfs/fileSystem:FileSystem", "fs", {"name": "a"}, protect=False)]
    d = diff_plans("s", (base, ""), (head, ""))
    assert change(d, "fs").action == "update" and change(d, "fs").paths == ["options.protect"]


# --- the CLI -------------------------------------------------------------------------------------

def run_plan(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "preview", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_cli_diff_against_the_same_directory_and_markdown(tmp_path):
    done = run_plan("dev", "--out", str(tmp_path), "--quiet")
    assert done.returncode == 0, done.stderr
    md = tmp_path / "comment" / "dev.md"
    done = run_plan("dev", "--out", str(tmp_path), "--quiet", "--diff-against", str(tmp_path), "--markdown", str(md))
    assert done.returncode == 0, done.stderr
    assert "Plan diff for stack `dev`: +0 to create, ~0 to change, ±0 to replace, -0 to delete" in done.stdout
    assert md.read_text().startswith("### Stack `dev`")


def test_cli_diff_against_a_missing_base_and_the_standalone_module(tmp_path):
    done = run_plan("byo", "--out", str(tmp_path / "head"), "--quiet", "--diff-against", str(tmp_path / "nothing"))
    assert done.returncode == 0, done.stderr
    assert "diffing against an empty plan" in done.stderr and "the stack is new" in done.stdout
    done = subprocess.run([sys.executable, "-m", "preview.diff", str(tmp_path / "head"), str(tmp_path / "head"),
                           "--stack", "byo", "--markdown", str(tmp_path / "byo.md")],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "No change." in (tmp_path / "byo.md").read_text()
    assert run_plan("byo", "--markdown", str(tmp_path / "x.md")).returncode == 2, "--markdown needs --diff-against"


def test_webui_volume_resize_is_an_update():
    d = diff("prod", "prod-webui-size")
    (pvc,) = [c for c in d.changes if c.type == "kubernetes:core/v1:PersistentVolumeClaim"]
    assert pvc.label == "PersistentVolumeClaim/open-webui-data"
    assert pvc.action == "update" and not pvc.dangerous and "spec.resources.requests.storage" in pvc.paths


def test_a_rotated_key_replaces_its_generator_updates_its_secret_and_rolls_its_readers():
    """As the real engine shows it (tests/e2e/test_key_rotation_real_engine.py): the GeneratedSecret is
    replaced, its Secret (masked in the plan) updated in place, the Deployments reading it updated."""
    d = diff("prod", "prod-rotate-app-key")
    actions = {(c.type.rsplit(":", 1)[-1], c.name): c.action for c in d.changes}
    assert actions == {("GeneratedSecret", "gateway-app-key"): "replace", ("Secret", "gateway-app-key"): "update",
                       ("Deployment", "gateway-deployment"): "update", ("Deployment", "webui-deployment"): "update"}
    (gen,) = [c for c in d.changes if c.type.endswith("GeneratedSecret")]
    assert [(r.path, r.old, r.new, r.source) for r in gen.reasons] == [("rotation", None, 1, "random")]
    assert all(c.paths == ['spec.template.metadata.annotations["tke-llm.io/keys-sha256"]']
               for c in d.changes if c.type.endswith("Deployment")), [c.paths for c in d.changes]


def test_a_change_of_custom_timeouts_alone_is_no_step():
    """The engine shows no step for it (tests/e2e/test_byo_real_engine.py, a model size change): the
    Service, whose timeouts follow the model's startup budget, stays unchanged offline too."""
    from preview.diff import diff_plans

    rec = {"urn": "urn:pulumi:s::p::kubernetes:core/v1:Service::svc", "type": "kubernetes:core/v1:Service",
           "name": "svc", "inputs": {"kind": "Service", "spec": {"type": "ClusterIP"}},
           "options": {"customTimeouts": {"create": "100s", "update": "100s"}}}
    longer = {**rec, "options": {"customTimeouts": {"create": "200s", "update": "200s"}}}
    assert diff_plans("s", ([rec], ""), ([longer], "")).changes == []
    edited = {**longer, "inputs": {"kind": "Service", "spec": {"type": "NodePort"}}}
    (change,) = diff_plans("s", ([rec], ""), ([edited], "")).changes
    assert change.action == "update" and "options.customTimeouts.create" in change.paths
