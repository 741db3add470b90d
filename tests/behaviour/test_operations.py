"""Operations as a user relies on them: autoscaling per signal within what the GPU pool can hold, the
rollout strategy decided from the pool size, disruption budgets, ServiceMonitors that can actually
select their Service, the alert set and dashboard, and the add-on charts pinned."""

from __future__ import annotations

import copy
import json

import pytest
import yaml

from render.autoscaling import adapter_metric_name, adapter_rules
from checks import checked
from config import ConfigError
from preview.stackfile import read

from tests.conftest import GPU_POOL, SYSTEM_POOL, existing_config, render_raw, tke_config
from tests.validators import validate_builtin, validate_custom

VLLM = {
    "name": "qwen3-8b", "servedName": "Qwen3-8B", "engine": "vllm", "pool": "gpu",
    "source": {"kind": "huggingface", "repo": "Qwen/Qwen3-8B", "revision": "b968826d9c46dd6066d109eabc6255188de91218"},
    "settings": {"maxModelLen": 8192},
}
H20_POOL = {"kind": "attached", "name": "h20", "instanceIds": ["ins-0000000a", "ins-0000000b", "ins-0000000c", "ins-0000000d"], "keyId": "skey-00000001",
            "gpu": {"type": "H20", "count": 8, "rdma": True}}
R1 = {"name": "deepseek-r1", "servedName": "DeepSeek-R1", "engine": "sglang", "pool": "h20", "gpusPerNode": 8,
      "nodes": 2, "source": {"kind": "modelscope", "model": "deepseek-ai/DeepSeek-R1", "revision": "v1.0.0"},
      "settings": {"maxModelLen": 32768}}
L20_POOL = {"kind": "normal", "name": "l20", "instanceType": "PNV5b.8XLARGE96", "minSize": 1, "maxSize": 4,
            "systemDiskGb": 300, "gpu": {"type": "L20", "count": 1}}
IN_CLUSTER = {"prometheus": {"kind": "in-cluster"}}
EXISTING_PROM = {"prometheus": {"kind": "existing", "url": "http://prometheus-operated.monitoring.svc:9090",
                                "namespace": "monitoring", "selectorLabels": {"release": "kps"}}}


def model(base=VLLM, **autoscaling):
    m = copy.deepcopy(base)
    if autoscaling:
        m["autoscaling"] = autoscaling
    return m


def objects(plan, kind):
    return [r for r in plan.k8s_objects if r.manifest["kind"] == kind]


def one(plan, kind):
    (r,) = objects(plan, kind)
    return r


def workload(plan, kind, name):
    (r,) = [r for r in objects(plan, kind) if r.manifest["metadata"]["name"] == name]
    return r


def issues(raw) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        checked(raw)
    return [str(i) for i in exc.value.issues]


def assert_valid(plan) -> None:
    docs = [r.manifest for r in plan.k8s_objects]
    errors = validate_builtin(docs, plan.config.cluster.kubernetes_version) + validate_custom(docs)
    assert not errors, "\n".join(errors)


# ---------------------------------------------------------------------------------- signals


def test_queue_through_keda_scales_a_deployment_on_the_engine_queue():
    plan = render_raw(tke_config(models=[model(metric="queue", maxReplicas=2)], monitoring=IN_CLUSTER,
                                 autoscalers={"installKeda": True}))
    so = one(plan, "ScaledObject")
    spec = so.manifest["spec"]
    assert spec["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "qwen3-8b"}
    assert (spec["minReplicaCount"], spec["maxReplicaCount"]) == (1, 2)
    (trigger,) = spec["triggers"]
    assert trigger["type"] == "prometheus" and trigger["metricType"] == "AverageValue"
    meta = trigger["metadata"]
    assert meta["query"] == 'sum(vllm:num_requests_waiting{namespace="llm",service="qwen3-8b-api"})'
    assert meta["threshold"] == "5"
    assert meta["serverAddress"] == "http://kube-prometheus-stack-prometheus.monitoring.svc:9090"
    up = spec["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]["scaleUp"]
    assert up["policies"] == [{"type": "Pods", "value": 1, "periodSeconds": 300}], "one GPU replica per step"
    deploy = workload(plan, "Deployment", "qwen3-8b")
    keda = plan.one("kubernetes:helm.sh/v4:Chart", "keda")
    assert deploy.urn in so.depends_on and keda.urn in so.depends_on
    assert deploy.options["ignoreChanges"] == ["spec.replicas"], "the autoscaler owns replicas"
    assert_valid(plan)


def test_queue_through_keda_scales_a_leaderworkerset_through_its_scale_subresource():
    plan = render_raw(tke_config(nodePools=[SYSTEM_POOL, H20_POOL], storage={"kind": "cfs-turbo", "capacityGib": 20480,
                                                                             "sizeGi": 1000},
                                 models=[model(R1, maxReplicas=2)], monitoring=IN_CLUSTER))
    spec = one(plan, "ScaledObject").manifest["spec"]
    assert spec["scaleTargetRef"] == {"apiVersion": "leaderworkerset.x-k8s.io/v1", "kind": "LeaderWorkerSet",
                                      "name": "deepseek-r1"}
    assert "sglang:num_queue_reqs" in spec["triggers"][0]["metadata"]["query"]
    lws = workload(plan, "LeaderWorkerSet", "deepseek-r1")
    assert lws.options["ignoreChanges"] == ["spec.replicas"]
    assert_valid(plan)


def test_queue_through_the_prometheus_adapter_renders_the_rule_and_asks_for_the_translated_name():
    plan = render_raw(tke_config(models=[model(metric="queue", scaler="hpa", maxReplicas=2, target=8)],
                                 monitoring=EXISTING_PROM, autoscalers={"installPrometheusAdapter": True}))
    manifest = one(plan, "HorizontalPodAutoscaler").manifest
    # KEDA's webhook may admit a ScaledObject on this model while this HPA is still there (a switch to KEDA).
    assert manifest["metadata"]["annotations"] == {"validations.keda.sh/hpa-ownership": "false"}
    hpa = manifest["spec"]
    (metric,) = hpa["metrics"]
    assert metric["pods"]["metric"]["name"] == "vllm_num_requests_waiting" == adapter_metric_name("vllm")
    assert metric["pods"]["target"] == {"type": "AverageValue", "averageValue": "8"}
    cm = plan.manifest("ConfigMap", "prometheus-adapter-rules")
    config = yaml.safe_load(cm["data"]["config.yaml"])
    (rule,) = config["rules"]
    assert rule["seriesQuery"] == 'vllm:num_requests_waiting{namespace="llm",pod!=""}'
    assert rule["name"] == {"matches": "^vllm:(.*)$", "as": "vllm_${1}"}
    assert rule["resources"]["overrides"]["pod"] == {"resource": "pod"}
    chart = plan.one("kubernetes:helm.sh/v4:Chart", "prometheus-adapter")
    values = chart.inputs["values"]
    assert values["rules"] == {"default": False, "custom": config["rules"]}, "one rule, two consumers"
    assert values["prometheus"] == {"url": "http://prometheus-operated.monitoring.svc", "port": 9090, "path": ""}
    assert chart.inputs["version"] and chart.inputs["namespace"] == "custom-metrics"
    assert_valid(plan)


def test_tke_gpu_metric_through_an_hpa_with_scale_down_disabled():
    pools = [SYSTEM_POOL, L20_POOL]
    m = model(metric="gpu", minReplicas=2, maxReplicas=4, scaleDown={"enabled": False})
    plan = render_raw(tke_config(nodePools=pools, models=[{**m, "pool": "l20", "replicas": 2}]))
    hpa = one(plan, "HorizontalPodAutoscaler").manifest["spec"]
    assert hpa["metrics"][0]["pods"]["metric"]["name"] == "k8s_pod_rate_gpu_used_request"
    assert hpa["metrics"][0]["pods"]["target"]["averageValue"] == "80"
    assert hpa["behavior"]["scaleDown"] == {"selectPolicy": "Disabled"}
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (2, 4)
    assert not objects(plan, "ScaledObject") and not plan.by_type("kubernetes:helm.sh/v4:Chart")
    assert_valid(plan)


def test_scale_to_zero_wakes_on_the_gateway_and_states_the_cold_start():
    pytest.importorskip("render.litellm")
    from preview.summary import summary

    m = model(metric="queue", minReplicas=0, maxReplicas=2, idleMinutes=45)
    plan = render_raw(tke_config(models=[m], monitoring=IN_CLUSTER, gateway="litellm"))
    spec = one(plan, "ScaledObject").manifest["spec"]
    assert spec["minReplicaCount"] == 0 and spec["cooldownPeriod"] == 45 * 60
    wake = next(t for t in spec["triggers"] if t["name"] == "gateway-requests")
    assert 'requested_model="Qwen3-8B"' in wake["metadata"]["query"]
    assert wake["metadata"]["activationThreshold"] == "0"
    svc = plan.manifest("Service", "qwen3-8b-api")
    assert svc["metadata"]["annotations"]["pulumi.com/skipAwait"] == "true", "no endpoints at zero replicas"
    text = summary(plan)
    assert "Cold start of `qwen3-8b` from zero: about" in text and "when a GPU node must be bought" in text
    assert_valid(plan)


def test_fixed_replicas_get_no_autoscaler_and_keep_their_replicas_field():
    plan = render_raw(tke_config(models=[VLLM]))
    assert not objects(plan, "HorizontalPodAutoscaler") and not objects(plan, "ScaledObject")
    assert workload(plan, "Deployment", "qwen3-8b").options["ignoreChanges"] == []


# ------------------------------------------------------------------------------------ bounds


@pytest.mark.parametrize("raw, key, message", [
    (tke_config(models=[model(maxReplicas=3)], monitoring=IN_CLUSTER),
     "models[0].autoscaling.maxReplicas", "3 replica(s) x 1 GPU(s) need 3 node(s) of pool 'gpu' (1 GPU(s) each), "
                                          "whose maximum is 2"),
    (tke_config(nodePools=[SYSTEM_POOL, H20_POOL], models=[model(R1, maxReplicas=3)], monitoring=IN_CLUSTER),
     "models[0].autoscaling.maxReplicas", "3 replica(s) x 16 GPU(s) need 6 node(s) of pool 'h20'"),
    (tke_config(models=[model(maxReplicas=2), {**VLLM, "name": "other", "servedName": "Other"}], monitoring=IN_CLUSTER),
     "models[0].autoscaling.maxReplicas", "at their maxima the models of pool 'gpu'"),
    (tke_config(nodePools=[SYSTEM_POOL, {**GPU_POOL, "autoscaling": False, "desiredSize": 2}],
                models=[model(maxReplicas=2)], monitoring=IN_CLUSTER),
     "nodePools[1].autoscaling", "the pool must autoscale too"),
    (tke_config(models=[{**model(maxReplicas=2), "replicas": 3}], monitoring=IN_CLUSTER),
     "models[0].replicas", "within autoscaling.minReplicas..maxReplicas (1..2)"),
    (tke_config(models=[model(maxReplicas=2)]), "monitoring.prometheus.url",
     "reads from Prometheus: give its query URL (the monitoring section is missing)"),
    (tke_config(models=[model(maxReplicas=2)], monitoring={"prometheus": {"kind": "tke-managed",
                                                                         "instanceId": "prom-abc1"}}),
     "monitoring.prometheus.url", "give its query URL"),
    (tke_config(models=[model(minReplicas=0, maxReplicas=2)], monitoring=IN_CLUSTER, gateway="none"),
     "models[0].autoscaling.minReplicas", "only the gateway sees those requests"),
    (tke_config(models=[model(minReplicas=3, maxReplicas=2)]), "models[0].autoscaling.minReplicas",
     "must be <= maxReplicas"),
    (tke_config(models=[model(metric="gpu", scaler="keda", maxReplicas=2)]), "models[0].autoscaling.scaler",
     "use `scaler: hpa`"),
    (tke_config(models=[model(metric="gpu", minReplicas=0, maxReplicas=2)]), "models[0].autoscaling.minReplicas",
     "only KEDA scales to zero"),
    (tke_config(models=[model(minReplicas=0, maxReplicas=2, scaleDown={"enabled": False})]),
     "models[0].autoscaling.scaleDown.enabled", "minReplicas 0 scales down to zero"),
    (tke_config(nodePools=[SYSTEM_POOL, L20_POOL],
                models=[{**model(metric="gpu", maxReplicas=2), "pool": "l20"},
                        {**model(metric="queue", scaler="hpa", maxReplicas=2), "name": "b", "servedName": "B",
                         "pool": "l20"}], monitoring=IN_CLUSTER),
     "models[1].autoscaling.scaler", "one provider per cluster"),
    (tke_config(models=[model(metric="gpu", maxReplicas=2)], autoscalers={"installPrometheusAdapter": True},
                monitoring=IN_CLUSTER),
     "autoscalers.installPrometheusAdapter", "custom metrics API"),
    (tke_config(monitoring={"prometheus": {"kind": "tke-managed", "instanceId": "not-an-id"}}),
     "monitoring.prometheus.instanceId", "not a TKE Prometheus instance id"),
    (tke_config(monitoring={"prometheus": {"kind": "in-cluster"}, "alerts": {"disabled": ["NoSuchAlert"]}}),
     "monitoring.alerts.disabled[0]", "Input should be"),
])
def test_operations_config_errors_name_their_key(raw, key, message):
    found = issues(raw)
    assert any(i.startswith(f"tke-llm:{key}:") and message in i for i in found), found


@pytest.mark.parametrize("raw, key, message", [
    (existing_config(models=[{**model(metric="gpu", maxReplicas=1), "pool": "gpu"}]),
     "models[0].autoscaling.metric", "served by TKE's own metrics API"),
    (existing_config(models=[{"name": "r1-7b", "servedName": "deepseek-r1:7b", "engine": "ollama", "pool": "gpu",
                              "source": {"kind": "ollama", "tag": "deepseek-r1:7b"},
                              "autoscaling": {"metric": "queue", "maxReplicas": 1}}],
                     monitoring=EXISTING_PROM),
     "models[0].autoscaling.metric", "Ollama exports no Prometheus metrics"),
    (existing_config(monitoring={"prometheus": {"kind": "tke-managed", "instanceId": "prom-abc1"}}),
     "monitoring.prometheus.kind", "needs a TKE cluster"),
])
def test_existing_cluster_errors(raw, key, message):
    found = issues(raw)
    assert any(i.startswith(f"tke-llm:{key}:") and message in i for i in found), found


def test_keda_is_not_installed_where_no_pinned_release_is_tested():
    raw = tke_config(autoscalers={"installKeda": True})
    raw["cluster"]["kubernetesVersion"] = "1.26.1"
    assert any(i.startswith("tke-llm:autoscalers.installKeda:") for i in issues(raw))


def test_max_replicas_exactly_at_the_pool_maximum_is_accepted():
    checked(tke_config(models=[model(maxReplicas=2)], monitoring=IN_CLUSTER))
    checked(tke_config(nodePools=[SYSTEM_POOL, H20_POOL], storage={"kind": "cfs-turbo", "capacityGib": 20480,
                                                                 "sizeGi": 1000},
                     models=[model(R1, maxReplicas=2)], monitoring=IN_CLUSTER))


# ------------------------------------------------------------------------------------- rollouts


def strategy_of(plan, name="qwen3-8b"):
    return plan.manifest("Deployment", name)["spec"]["strategy"]


def test_surge_when_the_pool_has_a_spare_gpu_slot():
    plan = render_raw(tke_config(models=[VLLM]))  # 1 replica, pool of 2 single-GPU nodes
    assert strategy_of(plan) == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}


def test_one_at_a_time_when_the_model_at_its_maximum_fills_the_pool():
    """Autoscaled 1..2 on a pool of two GPUs: at two replicas no surge pod fits, and `Recreate` would
    stop both on every change; one at a time keeps one serving (and at one replica is no worse)."""
    plan = render_raw(tke_config(models=[model(maxReplicas=2)], monitoring=IN_CLUSTER))
    assert strategy_of(plan) == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}
    from preview.summary import summary

    assert "| qwen3-8b | 1..2 on" in summary(plan) and "one pod at a time without surge" in summary(plan)


def test_recreate_only_when_one_replica_fills_the_pool():
    pools = [SYSTEM_POOL, {**GPU_POOL, "maxSize": 1}]
    plan = render_raw(tke_config(nodePools=pools, models=[VLLM]))
    assert strategy_of(plan) == {"type": "Recreate"}


def test_one_at_a_time_when_the_pool_is_full_but_two_replicas_always_serve():
    plan = render_raw(tke_config(models=[{**model(minReplicas=2, maxReplicas=2), "replicas": 2}],
                                 monitoring=IN_CLUSTER))
    assert strategy_of(plan) == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}


def test_multi_gpu_replica_surges_when_the_pool_has_a_whole_spare_node():
    pools = [SYSTEM_POOL, {**GPU_POOL, "name": "big", "instanceType": "PNV5b.96XLARGE1536", "maxSize": 3,
                           "gpu": {"type": "L20", "count": 8}}]
    m = {**VLLM, "pool": "big", "gpusPerNode": 8, "replicas": 2}
    assert strategy_of(render_raw(tke_config(nodePools=pools, models=[m])))["rollingUpdate"]["maxSurge"] == 1
    pools[1]["maxSize"] = 2
    assert strategy_of(render_raw(tke_config(nodePools=pools, models=[m])))["rollingUpdate"] == {
        "maxSurge": 0, "maxUnavailable": 1}


def test_super_nodes_always_have_room_for_a_surge_pod():
    pools = [SYSTEM_POOL, {"kind": "super", "name": "super", "gpu": {"type": "A10", "count": 1}}]
    plan = render_raw(tke_config(nodePools=pools, models=[{**VLLM, "pool": "super"}]))
    assert strategy_of(plan)["type"] == "RollingUpdate"


# ------------------------------------------------------------------------------ disruption budgets


def test_budget_only_where_a_second_replica_can_serve():
    single = render_raw(tke_config(models=[VLLM]))
    assert not [r for r in objects(single, "PodDisruptionBudget") if r.manifest["metadata"]["name"] == "qwen3-8b"]
    scaled = render_raw(tke_config(models=[model(maxReplicas=2)], monitoring=IN_CLUSTER))
    pdb = scaled.manifest("PodDisruptionBudget", "qwen3-8b")["spec"]
    assert pdb["maxUnavailable"] == 1, "minAvailable would block every drain at one replica"
    assert pdb["selector"]["matchLabels"] == {"app.kubernetes.io/name": "qwen3-8b",
                                              "app.kubernetes.io/component": "model-server"}
    assert pdb["unhealthyPodEvictionPolicy"] == "AlwaysAllow"
    assert_valid(scaled)


def test_leaderworkerset_budget_covers_leaders_and_workers():
    raw = tke_config(nodePools=[SYSTEM_POOL, H20_POOL], storage={"kind": "cfs-turbo", "capacityGib": 20480,
                                                                 "sizeGi": 1000},
                     models=[{**R1, "replicas": 2}])
    pdb = render_raw(raw).manifest("PodDisruptionBudget", "deepseek-r1")["spec"]
    assert pdb["selector"]["matchLabels"] == {"leaderworkerset.sigs.k8s.io/name": "deepseek-r1"}


def test_old_clusters_get_no_unhealthy_eviction_policy():
    raw = tke_config(models=[{**VLLM, "replicas": 2}])
    raw["cluster"]["kubernetesVersion"] = "1.26.1"
    pdb = render_raw(raw).manifest("PodDisruptionBudget", "qwen3-8b")["spec"]
    assert "unhealthyPodEvictionPolicy" not in pdb


def test_pods_drain_requests_within_their_grace_period():
    deploy = render_raw(tke_config(models=[VLLM])).manifest("Deployment", "qwen3-8b")["spec"]["template"]["spec"]
    (c,) = deploy["containers"]
    sleep = int(c["lifecycle"]["preStop"]["exec"]["command"][-1])
    assert deploy["terminationGracePeriodSeconds"] > sleep + 60, "time to finish in-flight requests after preStop"


# ------------------------------------------------------------------------------------ monitoring


@pytest.fixture(scope="module")
def monitored():
    return render_raw(tke_config(
        nodePools=[SYSTEM_POOL, GPU_POOL, H20_POOL],
        storage={"kind": "cfs-turbo", "capacityGib": 20480, "sizeGi": 1000},
        models=[VLLM, R1],
        monitoring={**EXISTING_PROM, "dcgmExporter": True,
                    "alerts": {"waitingRequests": 12, "disabled": ["LLMPreemptions"]}},
    ))


def test_service_monitor_selects_the_service_by_its_labels_on_a_named_port(monitored):
    for name in ("qwen3-8b", "deepseek-r1"):
        sm = monitored.manifest("ServiceMonitor", name)
        svc = monitored.manifest("Service", f"{name}-api")
        selector = sm["spec"]["selector"]["matchLabels"]
        assert selector.items() <= svc["metadata"]["labels"].items(), "the Service carries the selected labels"
        (endpoint,) = sm["spec"]["endpoints"]
        assert endpoint["port"] in {p["name"] for p in svc["spec"]["ports"]}, "a named Service port"
        assert endpoint["path"] == "/metrics"
        assert sm["spec"]["namespaceSelector"] == {"matchNames": ["llm"]}
        assert sm["metadata"]["labels"]["release"] == "kps", "the Prometheus' serviceMonitorSelector"


def test_prometheus_may_scrape_through_the_default_deny(monitored):
    policy = monitored.manifest("NetworkPolicy", "deepseek-r1-scrape")["spec"]
    assert policy["podSelector"]["matchLabels"] == {"leaderworkerset.sigs.k8s.io/name": "deepseek-r1",
                                                    "role": "leader"}
    (rule,) = policy["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 30000}]
    expr = rule["from"][0]["namespaceSelector"]["matchExpressions"][0]
    assert expr == {"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["monitoring"]}


def test_alerts_are_tied_to_what_was_deployed(monitored):
    rule = monitored.manifest("PrometheusRule", "tke-llm-alerts")
    groups = {g["name"]: g["rules"] for g in rule["spec"]["groups"]}
    assert {"tke-llm.qwen3-8b", "tke-llm.deepseek-r1", "tke-llm.gpu"} <= set(groups)
    vllm = {r["alert"]: r for r in groups["tke-llm.qwen3-8b"]}
    assert "LLMPreemptions" not in vllm, "disabled in config"
    assert vllm["LLMWaitingQueueHigh"]["expr"].endswith("> 12")
    assert "vllm:kv_cache_usage_perc" in vllm["LLMKVCacheUsageHigh"]["expr"]
    assert "histogram_quantile(0.95" in vllm["LLMTimeToFirstTokenHigh"]["expr"]
    assert "rate(vllm:time_to_first_token_seconds_bucket" in vllm["LLMTimeToFirstTokenHigh"]["expr"]
    sglang = {r["alert"]: r for r in groups["tke-llm.deepseek-r1"]}
    assert "kube_statefulset_status_replicas_ready" in sglang["LLMModelNoReadyReplicas"]["expr"]
    assert "sglang:num_queue_reqs" in sglang["LLMWaitingQueueHigh"]["expr"]
    job = next(r.manifest["metadata"]["name"] for r in objects(monitored, "Job")
               if "deepseek-r1" in r.manifest["metadata"]["name"])
    assert f'job_name="{job}"' in sglang["LLMModelDownloadFailed"]["expr"]
    pools = [r["labels"]["pool"] for r in groups["tke-llm.gpu"] if r["alert"] == "LLMGpuPoolAtMaximum"]
    assert pools == ["gpu"], "attached pools cannot grow: no pool-at-maximum alert for h20"


def test_ollama_is_watched_through_kubernetes_only():
    m = {"name": "r1-7b", "servedName": "deepseek-r1:7b", "engine": "ollama", "pool": "gpu",
         "source": {"kind": "ollama", "tag": "deepseek-r1:7b"}}
    plan = render_raw(existing_config(models=[m], monitoring=EXISTING_PROM))
    assert not [r for r in objects(plan, "ServiceMonitor") if r.manifest["metadata"]["name"] == "r1-7b"]
    groups = plan.manifest("PrometheusRule", "tke-llm-alerts")["spec"]["groups"]
    alerts = {r["alert"] for g in groups if g["name"] == "tke-llm.r1-7b" for r in g["rules"]}
    assert alerts == {"LLMModelNoReadyReplicas", "LLMModelDownloadFailed"}


def test_dashboard_is_a_sidecar_config_map_for_the_deployed_engines(monitored):
    cm = monitored.manifest("ConfigMap", "tke-llm-dashboard")
    assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"
    board = json.loads(cm["data"]["tke-llm.json"])
    exprs = " ".join(t["expr"] for p in board["panels"] for t in p["targets"])
    assert "vllm:num_requests_waiting" in exprs and "sglang:num_queue_reqs" in exprs
    assert "DCGM_FI_DEV_GPU_UTIL" in exprs
    assert len({p["id"] for p in board["panels"]}) == len(board["panels"])
    only_vllm = render_raw(tke_config(models=[VLLM], monitoring=IN_CLUSTER)).manifest("ConfigMap", "tke-llm-dashboard")
    assert "sglang:" not in only_vllm["data"]["tke-llm.json"]


def test_dcgm_exporter_runs_on_every_gpu_pool(monitored):
    chart = monitored.one("kubernetes:helm.sh/v4:Chart", "dcgm-exporter")
    values = chart.inputs["values"]
    assert {"key": "nvidia.com/gpu", "effect": "NoSchedule", "operator": "Equal", "value": "present"} in values["tolerations"]
    terms = values["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert {t["matchExpressions"][0]["values"][0] for t in terms} == {"A10", "H20"}
    assert chart.inputs["namespace"] == "dcgm-exporter", "not the existing Prometheus' namespace"
    assert values["serviceMonitor"]["enabled"] is True
    assert_valid(monitored)


def test_in_cluster_prometheus_is_pinned_and_owns_no_default_password():
    plan = render_raw(tke_config(models=[VLLM], monitoring=IN_CLUSTER, imageRegistry="ccr.ccs.tencentyun.com/m"))
    chart = plan.one("kubernetes:helm.sh/v4:Chart", "kube-prometheus-stack")
    assert chart.inputs["version"] == "88.0.0" and chart.inputs["namespace"] == "monitoring"
    values = chart.raw_inputs["values"]
    spec = values["prometheus"]["prometheusSpec"]
    assert spec["serviceMonitorSelectorNilUsesHelmValues"] is False and spec["ruleSelectorNilUsesHelmValues"] is False
    assert values["global"]["imageRegistry"] == "ccr.ccs.tencentyun.com/m"
    assert values["grafana"]["sidecar"]["dashboards"]["searchNamespace"] == "ALL"
    assert "nodes=[tke-llm.io/pool]" in values["kube-state-metrics"]["metricLabelsAllowlist"]
    assert "grafanaAdminPassword" in plan.secret_outputs
    for kind in ("ServiceMonitor", "PrometheusRule"):
        for r in objects(plan, kind):
            assert chart.urn in r.depends_on, f"{kind} waits for the operator's CRDs"
    ns = plan.manifest("Namespace", "monitoring")
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged", "node-exporter"


def test_the_grafana_password_is_in_a_secret_the_chart_reads_and_its_values_stay_clear():
    """grafana chart 12.10.0 (the subchart kube-prometheus-stack 88.0.0 pins): `admin.existingSecret`,
    `admin.userKey`, `admin.passwordKey` name the Secret its Grafana and sidecar containers read."""
    plan = render_raw(tke_config(models=[VLLM], monitoring=IN_CLUSTER))
    chart = plan.one("kubernetes:helm.sh/v4:Chart", "kube-prometheus-stack")
    values = chart.inputs["values"]
    assert "[secret]" not in json.dumps(values) and values == chart.raw_inputs["values"], "reviewable in previews"
    assert "adminPassword" not in values["grafana"]
    assert values["grafana"]["admin"] == {"existingSecret": "kube-prometheus-stack-grafana-admin",
                                          "userKey": "admin-user", "passwordKey": "admin-password"}
    (secret,) = [r for r in objects(plan, "Secret")
                 if r.manifest["metadata"]["name"] == "kube-prometheus-stack-grafana-admin"]
    assert secret.manifest["metadata"]["namespace"] == "monitoring"
    assert secret.manifest["stringData"] == {"admin-user": "[secret]", "admin-password": "[secret]"}
    data = secret.raw_inputs["stringData"]
    assert data["admin-user"] == "admin" and data["admin-password"] not in ("", "prom-operator")
    assert secret.urn in chart.depends_on, "Grafana starts once its admin Secret exists"
    (generated,) = [r for r in plan.resources if r.name == "kube-prometheus-stack-admin"]
    assert generated.parent == chart.parent, "the password's resource keeps its URN: existing stacks keep it"
    assert "grafanaAdminPassword" in plan.secret_outputs


@pytest.mark.parametrize("version, chart", [("1.28.3", "2.15.1"), ("1.30.0", "2.17.2"), ("1.33.1", "2.20.2")])
def test_keda_release_matches_the_cluster(version, chart):
    raw = tke_config(autoscalers={"installKeda": True}, imageRegistry="ccr.ccs.tencentyun.com/m")
    raw["cluster"]["kubernetesVersion"] = version
    c = render_raw(raw).one("kubernetes:helm.sh/v4:Chart", "keda")
    assert c.inputs["version"] == chart
    assert c.inputs["values"]["image"]["keda"] == {"registry": "ccr.ccs.tencentyun.com/m", "repository": "kedacore/keda"}


def test_adapter_rules_cover_each_engine_once():
    rules = adapter_rules("llm", ["vllm", "sglang", "vllm"])["rules"]
    assert [r["name"]["as"] for r in rules] == ["sglang_${1}", "vllm_${1}"]


def test_gateway_is_scraped_with_its_master_key_when_present():
    pytest.importorskip("render.litellm")
    plan = render_raw(tke_config(models=[VLLM], monitoring=IN_CLUSTER, gateway="litellm"))
    sm = plan.manifest("ServiceMonitor", "llm-gateway")
    (endpoint,) = sm["spec"]["endpoints"]
    assert endpoint["authorization"]["credentials"]["name"] == "llm-gateway-master-key"
    svc = plan.manifest("Service", "llm-gateway")
    assert sm["spec"]["selector"]["matchLabels"].items() <= svc["metadata"]["labels"].items()
    groups = plan.manifest("PrometheusRule", "tke-llm-alerts")["spec"]["groups"]
    assert any(r["alert"] == "LLMGateway5xxRate" for g in groups for r in g["rules"])
    assert_valid(plan)


# ------------------------------------------------------------------------------- shipped stacks


def shipped(stack):
    raw, secrets = read(stack)
    return render_raw(raw, stack=stack, secrets=secrets)


def test_prod_ships_autoscaling_with_scale_down_disabled_budgets_and_monitors():
    plan = shipped("prod")
    hpa = plan.manifest("HorizontalPodAutoscaler", "qwen3-14b")["spec"]
    assert hpa["behavior"]["scaleDown"] == {"selectPolicy": "Disabled"}
    assert hpa["scaleTargetRef"]["name"] == "qwen3-14b"
    assert plan.manifest("PodDisruptionBudget", "qwen3-14b")
    assert {r.manifest["metadata"]["name"] for r in objects(plan, "ServiceMonitor")} >= {"qwen3-14b", "deepseek-r1"}
    assert plan.manifest("PrometheusRule", "tke-llm-alerts") and plan.manifest("ConfigMap", "tke-llm-dashboard")
    assert strategy_of(plan, "qwen3-14b") == {"type": "RollingUpdate",
                                              "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}


def test_dev_ships_queue_autoscaling_through_keda():
    plan = shipped("dev")
    so = plan.manifest("ScaledObject", "r1-distill-7b")
    assert so["spec"]["triggers"][0]["metadata"]["query"].startswith("sum(vllm:num_requests_waiting")
    assert plan.one("kubernetes:helm.sh/v4:Chart", "keda").inputs["version"] == "2.17.2"


def test_plan_summary_states_how_each_model_scales_and_rolls_out():
    from preview.summary import summary

    text = summary(shipped("prod"))
    assert "## Operations" in text
    assert "2..4 on TKE GPU utilisation (HPA), target 80, scale-down disabled" in text
    assert "LLMGpuPoolAtMaximum" in text
