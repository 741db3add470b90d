"""Jobs and awaits that recover: what a later `pulumi up` does with a download or migration that
failed, how long Pulumi waits for what it creates, and how objects are replaced without a gap.

The provider behaviour these objects rely on is cited in render/awaits.py (pulumi-kubernetes v4.32.0
source); these tests pin what the program renders so that behaviour applies."""

from __future__ import annotations


import pytest

from render import litellm
from render.awaits import REPLACE_UNREADY, SKIP_AWAIT

from tests.conftest import existing_config, render_raw, tke_config

from .test_access import POOLS, VLLM  # noqa: E402  (one definition of the test stack's pools and model)


def k8s(plan, kind):
    return [r for r in plan.k8s_objects if r.manifest["kind"] == kind]


def seconds(timeout: str) -> int:
    assert timeout.endswith("s"), timeout
    return int(timeout[:-1])


# --- a failed Job is retried by the next `up` ---------------------------------------------------------

def test_a_failed_download_is_replaced_by_the_next_up():
    plan = render_raw(tke_config(nodePools=POOLS, models=[VLLM]))
    (job,) = [r for r in k8s(plan, "Job") if r.manifest["metadata"]["name"].startswith("download-qwen3-8b-")]
    assert job.manifest["metadata"]["annotations"][REPLACE_UNREADY] == "true"
    # The replacement reuses the name, so it must delete first (the provider does so for a fixed name,
    # the option says it for readers and for older providers).
    assert job.options["deleteBeforeReplace"]


def test_a_failed_schema_migration_is_replaced_by_the_next_up():
    plan = render_raw(tke_config(nodePools=POOLS, models=[VLLM], gateway={"virtualKeys": {"enabled": True}}))
    (job,) = [r for r in k8s(plan, "Job") if r.manifest["metadata"]["name"].startswith(f"{litellm.NAME}-migrate-")]
    assert job.manifest["metadata"]["annotations"][REPLACE_UNREADY] == "true"
    assert job.options["deleteBeforeReplace"]


def test_only_jobs_carry_replace_unready():
    """The provider honours it on Jobs only; anywhere else it would be a warning on every preview."""
    plan = render_raw(tke_config(nodePools=POOLS, models=[VLLM], gateway={"virtualKeys": {"enabled": True}},
                                 storage={"kind": "local", "hostPath": "/data/models"}))
    marked = {r.manifest["kind"] for r in plan.k8s_objects
              if REPLACE_UNREADY in (r.manifest["metadata"].get("annotations") or {})}
    assert marked == {"Job"}


# --- await budgets that cover the download --------------------------------------------------------

LOCAL = {"kind": "local", "hostPath": "/data/models"}


def _serving_plan(raw, name="qwen3-8b"):
    from checks import checked
    from derive.naming import derive
    from derive.serving import serving_plan

    cfg = checked(raw)
    m = next(m for m in cfg.models if m.name == name)
    return serving_plan(cfg, derive(cfg, "test"), m, api_key_secret=f"{name}-api-key")


def test_the_local_downloader_is_awaited_for_the_whole_download():
    """Pulumi waits until every GPU node holds the weights (the pods' readiness is the marker file):
    with the default 10 minutes, any real download failed the first `up`."""
    raw = tke_config(nodePools=POOLS, models=[VLLM], storage=LOCAL)
    plan, sp = render_raw(raw), _serving_plan(raw)
    (ds,) = k8s(plan, "DaemonSet")
    assert ds.manifest["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]
    assert seconds(ds.options["customTimeouts"]["create"]) == sp.download_seconds + 300
    assert seconds(ds.options["customTimeouts"]["update"]) == sp.download_seconds + 300
    assert sp.download_seconds > 600


def test_a_server_on_local_disks_is_awaited_through_its_nodes_download():
    """A GPU node that joins for the server (the pool starts at 0) downloads its copy while the server
    pod waits on the hostPath: the server's await and progress deadline cover that download."""
    raw = tke_config(nodePools=POOLS, models=[VLLM], storage=LOCAL)
    plan, sp = render_raw(raw), _serving_plan(raw)
    deploy = next(r for r in k8s(plan, "Deployment") if r.manifest["metadata"]["name"] == "qwen3-8b")
    need = sp.download_seconds + sp.load_seconds
    assert seconds(deploy.options["customTimeouts"]["create"]) >= need
    assert seconds(deploy.options["customTimeouts"]["update"]) >= need
    assert deploy.manifest["spec"]["progressDeadlineSeconds"] >= need
    svc = next(r for r in k8s(plan, "Service") if r.manifest["metadata"]["name"] == "qwen3-8b-api")
    assert seconds(svc.options["customTimeouts"]["create"]) >= need


def test_a_server_on_shared_storage_waits_only_for_its_load():
    """On shared storage the server starts after the Job completed: its budget is the load alone."""
    raw = tke_config(nodePools=POOLS, models=[VLLM])
    plan, sp = render_raw(raw), _serving_plan(raw)
    deploy = next(r for r in k8s(plan, "Deployment") if r.manifest["metadata"]["name"] == "qwen3-8b")
    assert seconds(deploy.options["customTimeouts"]["create"]) == sp.load_seconds + 600


def test_replicas_zero_without_an_autoscaler_deploys_without_waiting_for_endpoints():
    """`replicas: 0` parks a model: the Service has no endpoint to wait for, so it is not awaited
    (otherwise every `up` would time out on it)."""
    plan = render_raw(tke_config(nodePools=POOLS, models=[{**VLLM, "replicas": 0}]))
    deploy = next(r for r in k8s(plan, "Deployment") if r.manifest["metadata"]["name"] == "qwen3-8b")
    assert deploy.manifest["spec"]["replicas"] == 0
    svc = next(r for r in k8s(plan, "Service") if r.manifest["metadata"]["name"] == "qwen3-8b-api")
    assert svc.manifest["metadata"]["annotations"][SKIP_AWAIT] == "true"
    running = render_raw(tke_config(nodePools=POOLS, models=[VLLM]))
    svc = next(r for r in k8s(running, "Service") if r.manifest["metadata"]["name"] == "qwen3-8b-api")
    assert SKIP_AWAIT not in (svc.manifest["metadata"].get("annotations") or {})


H20 = {"kind": "attached", "name": "h20", "instanceIds": ["ins-aaaaaaaa", "ins-bbbbbbbb", "ins-cccccccc", "ins-dddddddd"], "keyId": "skey-11111111",
       "gpu": {"type": "H20", "count": 8, "rdma": True}}
R1 = {"name": "deepseek-r1", "servedName": "DeepSeek-R1", "engine": "sglang", "pool": "h20", "gpusPerNode": 8,
      "nodes": 2, "source": {"kind": "modelscope", "model": "deepseek-ai/DeepSeek-R1", "revision": "v1.0.0"},
      "settings": {"maxModelLen": 32768}}
TURBO = {"kind": "cfs-turbo", "capacityGib": 20480, "sizeGi": 1000}


def test_a_parked_leaderworkerset_is_not_awaited_for_groups_it_does_not_have():
    pools = [POOLS[0], H20]
    parked = render_raw(tke_config(nodePools=pools, storage=TURBO, models=[{**R1, "replicas": 0}]))
    (lws,) = k8s(parked, "LeaderWorkerSet")
    assert "pulumi.com/waitFor" not in (lws.manifest["metadata"].get("annotations") or {})
    running = render_raw(tke_config(nodePools=pools, storage=TURBO, models=[R1]))
    (lws,) = k8s(running, "LeaderWorkerSet")
    assert lws.manifest["metadata"]["annotations"]["pulumi.com/waitFor"] == "condition=Available"


# --- the gateway never runs without its config or keys ----------------------------------------------

def _gateway(raw):
    plan = render_raw(raw)
    (cm,) = [r for r in k8s(plan, "ConfigMap") if r.manifest["metadata"]["name"].startswith(f"{litellm.NAME}-config")]
    deploy = next(r for r in k8s(plan, "Deployment") if r.manifest["metadata"]["name"] == litellm.NAME)
    return plan, cm, deploy


def test_a_gateway_config_change_is_a_new_configmap_created_before_the_old_one_goes():
    _, cm_a, deploy_a = _gateway(tke_config(nodePools=POOLS, models=[VLLM]))
    plan_b, cm_b, deploy_b = _gateway(tke_config(nodePools=POOLS, models=[VLLM], gateway={"numRetries": 5}))
    a, b = cm_a.manifest["metadata"]["name"], cm_b.manifest["metadata"]["name"]
    assert a != b, "same name: the provider would replace it delete-then-create"
    # Same Pulumi resource, new object name: the provider replaces create-before-delete (its
    # DeleteBeforeReplace needs the same name) and the engine deletes the old one after the Deployment
    # that depends on the new one has rolled.
    assert cm_a.name == cm_b.name and not cm_b.options.get("deleteBeforeReplace")
    for cm, deploy in ((cm_a, deploy_a), (cm_b, deploy_b)):
        volumes = deploy.manifest["spec"]["template"]["spec"]["volumes"]
        assert {"name": "config", "configMap": {"name": cm.manifest["metadata"]["name"]}} in volumes
    assert cm_b.urn in plan_b.dependencies(deploy_b)
    # The same config renders the same name: no replacement without a change.
    assert _gateway(tke_config(nodePools=POOLS, models=[VLLM]))[1].manifest["metadata"]["name"] == a


@pytest.mark.parametrize("raw", [tke_config(nodePools=POOLS, models=[VLLM]),
                                 existing_config()])
def test_secrets_are_updated_in_place_and_retained_objects_are_adopted(raw):
    """The provider updates a Secret's data in place (no moment without the key for a starting pod)
    and adopts an object that is already there (the namespace a destroy retained)."""
    plan = render_raw(raw)
    (provider,) = plan.by_type("pulumi:providers:kubernetes")
    assert provider.inputs["enableSecretMutable"] == "true"
    assert provider.inputs["upsertExistingObjects"] == "true"
    assert provider.inputs["enableServerSideApply"] == "true"


# --- data that survives destroy -------------------------------------------------------------------

def test_destroy_keeps_the_namespace_so_the_volumes_and_their_data_survive():
    """Deleting the namespace would make the namespace controller delete the model and UI claims in it,
    whatever their own options say; retained, they stay bound to their data for the next `up`."""
    from render import webui

    plan = render_raw(tke_config(nodePools=POOLS, models=[VLLM]))
    (ns,) = [r for r in k8s(plan, "Namespace") if r.manifest["metadata"]["name"] == plan.config.namespace]
    assert ns.options["retainOnDelete"] is True
    claims = {r.manifest["metadata"]["name"]: r for r in k8s(plan, "PersistentVolumeClaim")}
    assert {webui.PVC} < set(claims) and len(claims) == 2
    for claim in claims.values():
        assert claim.manifest["metadata"]["namespace"] == plan.config.namespace
        assert claim.options["protect"] and claim.options["retainOnDelete"]


# --- Helm charts whose pods depend on no hook --------------------------------------------------------

CHART = "kubernetes:helm.sh/v4:Chart"
PROM = {"prometheus": {"kind": "in-cluster"}, "dcgmExporter": True}


def _all_addons():
    """A stack that installs every add-on chart the program knows (LWS for the multi-node model)."""
    pools = [POOLS[0], POOLS[1], H20]
    r1 = {**R1, "autoscaling": {"maxReplicas": 2, "metric": "queue", "scaler": "keda"}}
    qwen = {**VLLM, "autoscaling": {"maxReplicas": 2, "metric": "queue", "scaler": "hpa"}}
    return render_raw(tke_config(nodePools=pools, storage=TURBO, models=[qwen, r1], monitoring=PROM,
                                 autoscalers={"installKeda": True, "installPrometheusAdapter": True}))


def test_kube_prometheus_stack_needs_no_admission_hook():
    """kube-prometheus-stack 88.0.0: the operator mounts `<fullname>-admission` (made only by the
    admission-create hook Job) when `prometheusOperator.tls.enabled`, and the webhook configurations
    need the CA that the admission-patch hook writes: both off, and the CRD upgrade hook off."""
    plan = _all_addons()
    values = plan.one(CHART, "kube-prometheus-stack").raw_inputs["values"]
    operator = values["prometheusOperator"]
    assert operator["tls"]["enabled"] is False
    assert operator["admissionWebhooks"]["enabled"] is False
    assert operator["admissionWebhooks"]["patch"]["enabled"] is False
    assert values["crds"]["upgradeJob"]["enabled"] is False
    assert values["grafana"]["testFramework"]["enabled"] is False
    # The stack's own values are kept beside them.
    assert operator["nodeSelector"] and values["grafana"]["sidecar"]["dashboards"]["enabled"] is True


def test_every_installed_chart_was_reviewed_for_hooks_at_its_pinned_version():
    from derive.charts import REVIEWED_VERSIONS, chart_key

    plan = _all_addons()
    charts = {chart_key(r.inputs["chart"]): r.inputs["version"] for r in plan.by_type(CHART)}
    assert set(charts) == {"kube-prometheus-stack", "dcgm-exporter", "keda", "prometheus-adapter", "lws"}
    for chart, version in charts.items():
        assert version in REVIEWED_VERSIONS[chart], chart


def test_every_pinned_chart_version_was_reviewed():
    """Bumping a pin in catalog/images.py without reviewing the new templates fails here."""
    from catalog import images
    from derive.charts import REVIEWED_VERSIONS

    pins = {("kube-prometheus-stack", images.KUBE_PROMETHEUS_STACK_CHART_VERSION),
            ("prometheus-adapter", images.PROMETHEUS_ADAPTER_CHART_VERSION),
            ("dcgm-exporter", images.DCGM_EXPORTER_CHART_VERSION), ("lws", images.LWS_CHART_VERSION)}
    pins |= {("keda", v) for v in images.KEDA_CHART_BY_MINOR.values()}
    for chart, version in sorted(pins):
        assert version in REVIEWED_VERSIONS[chart], f"{chart} {version}"


def test_an_unreviewed_chart_is_refused_with_the_place_to_review_it():
    from derive.charts import hook_free

    with pytest.raises(ValueError, match=r"kube-prometheus-stack 99\.0\.0 was not reviewed for hooks \(derive/charts.py\)"):
        hook_free("kube-prometheus-stack", "99.0.0", {})
    with pytest.raises(ValueError, match="cert-manager"):
        hook_free("cert-manager", "1.0.0", {})
    # A values key the stack sets is merged with, not replaced by, the hook settings.
    merged = hook_free("kube-prometheus-stack", "88.0.0", {"prometheusOperator": {"nodeSelector": {"a": "b"}}})
    assert merged["prometheusOperator"] == {"nodeSelector": {"a": "b"}, "tls": {"enabled": False},
                                            "admissionWebhooks": {"enabled": False, "patch": {"enabled": False}}}


# --- old revisions are removed --------------------------------------------------------------------

def _revision_box(tmp_path):
    """The real download script against stub tools, in the per-revision layout the stack uses."""
    import os
    import subprocess

    from render.model_cache import download_id, download_script, marker_name, ModelSource

    root = tmp_path / "volume"
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool, body in (("python", "exit 0\n"),
                       ("hf", 'id="$2"; while [ $# -gt 0 ]; do [ "$1" = --local-dir ] && dir="$2"; shift; done\n'
                              'mkdir -p "$dir"; echo "$id" > "$dir/model.safetensors"\n')):
        (bindir / tool).write_text("#!/bin/bash\n" + body)
        (bindir / tool).chmod(0o755)

    def download(revision: str, keep: list[str] | None) -> subprocess.CompletedProcess[str]:
        source = ModelSource("huggingface", "Qwen/Qwen3-14B", revision)
        env = {"PATH": f"{bindir}:{os.environ['PATH']}", "MODEL_ROOT": str(root),
               "MODEL_DIR": f"huggingface/Qwen/Qwen3-14B/{revision}", "MODEL_ID": source.model_id,
               "MODEL_REVISION": revision, "MARKER": marker_name(source), "DOWNLOAD_ID": download_id(source), "DOWNLOAD_WORKERS": "8"}
        if keep is not None:
            env["KEEP_REVISIONS"] = "\n".join(keep)
        return subprocess.run(["bash", "-c", download_script(source)], env=env, capture_output=True, text=True,
                              timeout=30)

    return root / "huggingface/Qwen/Qwen3-14B", download


def _age(model_root, revision, seconds_ago):
    import os
    import time

    marker = model_root / revision / f".tke-llm-complete-{revision}"
    t = time.time() - seconds_ago
    os.utime(marker, (t, t))


def test_a_new_revision_removes_all_but_the_serving_one_and_the_configured_ones(tmp_path):
    model, download = _revision_box(tmp_path)
    for rev, age in (("aaa", 300), ("bbb", 200), ("ccc", 100)):
        assert download(rev, ["aaa", "bbb", "ccc"]).returncode == 0
        _age(model, rev, age)
    (model / "copied-by-hand").mkdir()                 # no marker of ours: never touched
    (model / "ddd.partial-1234").mkdir()               # another download in progress: never touched
    out = download("ddd", ["ddd", "aaa"])              # another model of the stack still serves aaa
    assert out.returncode == 0, out.stderr
    left = sorted(p.name for p in model.iterdir())
    # ccc: the newest previous revision, which the servers run until their rollout ends.
    assert left == ["aaa", "ccc", "copied-by-hand", "ddd", "ddd.partial-1234"]
    assert "removing old revision bbb of Qwen/Qwen3-14B" in out.stdout
    # The next revision, with nobody configured on aaa any more, leaves two revisions on disk.
    _age(model, "ddd", 50)
    assert download("eee", ["eee"]).returncode == 0
    assert sorted(p.name for p in model.iterdir() if (p / f".tke-llm-complete-{p.name}").exists()) == ["ddd", "eee"]


def test_without_the_per_revision_layout_nothing_is_removed(tmp_path):
    model, download = _revision_box(tmp_path)
    for rev, age in (("aaa", 300), ("bbb", 200)):
        assert download(rev, None).returncode == 0
        _age(model, rev, age)
    assert download("ccc", None).returncode == 0
    assert sorted(p.name for p in model.iterdir()) == ["aaa", "bbb", "ccc"]


def test_the_rendered_download_keeps_every_revision_the_stack_serves():
    other = {**VLLM, "name": "qwen3-8b-long", "servedName": "Qwen3-8B-long",
             "source": {**VLLM["source"], "revision": "0123456789abcdef0123456789abcdef01234567"}}
    plan = render_raw(tke_config(nodePools=[POOLS[0], {**POOLS[1], "maxSize": 3}], models=[VLLM, other]))
    jobs = [r.manifest for r in k8s(plan, "Job") if r.manifest["metadata"]["name"].startswith("download-")]
    assert len(jobs) == 2
    for job in jobs:
        env = {e["name"]: e.get("value") for e in job["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert env["KEEP_REVISIONS"].splitlines() == sorted([VLLM["source"]["revision"], other["source"]["revision"]])
        assert env["MODEL_DIR"].endswith("/" + env["MODEL_REVISION"])


def test_the_plan_diff_calls_a_secret_data_change_an_update_and_a_config_change_a_new_configmap():
    """The plan diff follows the provider settings: Secrets are mutable (only `type` replaces one), and
    the gateway's ConfigMap is replaced through its name, i.e. created before the old one goes."""
    from preview.diff import rules_for

    assert {r.path for r in rules_for("kubernetes:core/v1:Secret")} == {"metadata.name", "metadata.namespace", "type"}
    assert {"data", "metadata.name"} <= {r.path for r in rules_for("kubernetes:core/v1:ConfigMap")}


def test_the_plan_summary_says_the_namespace_outlives_destroy():
    from preview.summary import summary

    text = summary(render_raw(tke_config(nodePools=POOLS, models=[VLLM])))
    section = text[text.index("## Data safety"):]
    assert "- Namespace `llm`: kept by `pulumi destroy` (retainOnDelete), so the volumes in it keep their data" in section
