"""The generated alert rules, checked by Prometheus' own tool: `promtool check rules` on the
`spec.groups` of each rendered PrometheusRule, then `promtool test rules` with test files generated
here that give, for every alert rule, synthetic series that make it fire (with the exact labels and
annotations expected) and series that keep it quiet.

The fixtures below are an independent statement of what each alert means: the metric names the
engines, kube-state-metrics, DCGM and LiteLLM export, and values on either side of the configured
threshold. A rule with a wrong metric name, selector, aggregation or threshold fails its firing case;
one that is too eager fails its quiet case. An alert with no fixture fails the run.

promtool comes from the Debian package `prometheus` (`make promtool`, run by `make test`). Without it
the tests fail under CI=true and are skipped elsewhere.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from render.monitoring import GatewayTarget, ModelTarget, PoolTarget, Thresholds, alert_groups, gateway_requests_query
from config.operations import AlertName
from derive.naming import derive
from derive.operations import operations_plan
from preview.stackfile import read
from derive.serving import serving_plan

from tests.conftest import render_raw

ALL_ALERTS = set(AlertName.__args__)  # type: ignore[attr-defined]
INTERVAL_MINUTES = 1


def promtool() -> str:
    path = shutil.which("promtool")
    if path:
        return path
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("promtool is not installed: run `make promtool` (Debian package `prometheus`)")
    pytest.skip("promtool is not installed (make promtool); CI=true makes this a failure")


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([promtool(), *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


# ------------------------------------------------------------------------------------- fixtures


class Case:
    """One promtool test group: input series, when to evaluate, and the alert expected (or none)."""

    def __init__(self, series: dict[str, str], eval_minutes: int, labels: dict[str, str] | None):
        self.series, self.eval_minutes, self.labels = series, eval_minutes, labels


def sel(**labels: str) -> str:
    return "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}"


def model_cases(alert: str, m: ModelTarget, t: Thresholds) -> tuple[Case, list[Case]]:
    ns, svc = m.namespace, m.service
    where = {"namespace": ns, "service": svc}
    out = {"namespace": ns, "service": svc}
    if alert == "LLMModelNoReadyReplicas":
        if m.workload_kind == "Deployment":
            key, wanted, ready = "deployment", "kube_deployment_spec_replicas", "kube_deployment_status_replicas_available"
        else:
            key, wanted, ready = "statefulset", "kube_statefulset_replicas", "kube_statefulset_status_replicas_ready"
        ident = {"namespace": ns, key: m.name}
        fire = Case({f"{wanted}{sel(**ident)}": "2x20", f"{ready}{sel(**ident)}": "0x20"}, 10, ident)
        quiet = [Case({f"{wanted}{sel(**ident)}": "2x20", f"{ready}{sel(**ident)}": "1x20"}, 10, None),
                 # scaled to zero on purpose: nothing is wanted, nothing is missing
                 Case({f"{wanted}{sel(**ident)}": "0x20", f"{ready}{sel(**ident)}": "0x20"}, 10, None)]
        return fire, quiet
    if alert == "LLMModelDownloadFailed":
        ident = {"namespace": ns, "job_name": m.download_job or "", "condition": "true"}
        other = {**ident, "condition": "false"}
        fire = Case({f"kube_job_failed{sel(**ident)}": "1x10", f"kube_job_failed{sel(**other)}": "0x10"}, 5, ident)
        quiet = [Case({f"kube_job_failed{sel(**ident)}": "0x10", f"kube_job_failed{sel(**other)}": "1x10"}, 5, None)]
        return fire, quiet
    if alert == "LLMRouterUnavailable":
        ident = {"namespace": ns, "deployment": m.router or ""}
        wanted, ready = "kube_deployment_spec_replicas", "kube_deployment_status_replicas_available"
        return (Case({f"{wanted}{sel(**ident)}": "1x20", f"{ready}{sel(**ident)}": "0x20"}, 10, ident),
                [Case({f"{wanted}{sel(**ident)}": "1x20", f"{ready}{sel(**ident)}": "1x20"}, 10, None),
                 # another Deployment's outage is not this router's
                 Case({f"{wanted}{sel(namespace=ns, deployment='other')}": "1x20",
                       f"{ready}{sel(namespace=ns, deployment='other')}": "0x20",
                       f"{wanted}{sel(**ident)}": "1x20", f"{ready}{sel(**ident)}": "1x20"}, 10, None)])
    if alert == "LLMRouterSeesNoReplica":
        if m.workload_kind == "Deployment":
            ident, ready = {"namespace": ns, "deployment": m.name}, "kube_deployment_status_replicas_available"
        else:
            ident, ready = {"namespace": ns, "statefulset": m.name}, "kube_statefulset_status_replicas_ready"
        health = {"vllm-router": "vllm_router_worker_health", "sglang-router": "smg_worker_health"}[m.router_kind or ""]
        router = {"namespace": ns, "service": m.router or "", "pod": f"{m.router}-abc"}

        def case(ready_n: int, healthy: list[int] | None, up: int = 1) -> dict[str, str]:
            series = {f"{ready}{sel(**ident)}": f"{ready_n}x20", f"up{sel(**router)}": f"{up}x20"}
            for i, h in enumerate(healthy or []):
                series[f"{health}{sel(**router, worker=f'http://10.0.0.{i}:8000')}"] = f"{h}x20"
            return series
        return (Case(case(2, [0, 0]), 10, ident),
                [Case(case(2, [0, 1]), 10, None),          # one healthy replica serves
                 Case(case(0, None), 10, None),            # scaled to zero: nothing to see
                 Case(case(2, None, up=0), 10, None)])     # router down: LLMRouterUnavailable says so
    vllm = m.engine == "vllm"
    pod = {**where, "pod": f"{m.name}-0"}
    if alert == "LLMWaitingQueueHigh":
        metric = "vllm:num_requests_waiting" if vllm else "sglang:num_queue_reqs"
        hi, lo = num(t.waiting_requests * 2), num(t.waiting_requests / 2)
        two = {**where, "pod": f"{m.name}-1"}
        return (Case({f"{metric}{sel(**pod)}": f"{hi}x30", f"{metric}{sel(**two)}": f"{hi}x30"}, 20, out),
                # one busy server and one idle one average below the threshold
                [Case({f"{metric}{sel(**pod)}": f"{num(t.waiting_requests * 1.5)}x30",
                       f"{metric}{sel(**two)}": "0x30"}, 20, None),
                 Case({f"{metric}{sel(**pod)}": f"{lo}x30"}, 20, None)])
    if alert == "LLMTimeToFirstTokenHigh":
        metric = ("vllm:" if vllm else "sglang:") + "time_to_first_token_seconds_bucket"
        low_le, high_le = num(t.ttft_p95_seconds / 2), num(t.ttft_p95_seconds * 2)

        def buckets(in_low: int, in_high: int) -> dict[str, str]:
            return {f"{metric}{sel(**pod, le=low_le)}": f"0+{in_low}x30",
                    f"{metric}{sel(**pod, le=high_le)}": f"0+{in_low + in_high}x30",
                    f"{metric}{sel(**pod, le='+Inf')}": f"0+{in_low + in_high}x30"}

        # every first token between threshold/2 and 2x threshold vs. all under threshold/2
        return Case(buckets(0, 10), 20, out), [Case(buckets(10, 0), 20, None), Case(buckets(0, 0), 20, None)]
    if alert == "LLMKVCacheUsageHigh":
        metric = "vllm:kv_cache_usage_perc" if vllm else "sglang:token_usage"
        hi = num(round(t.kv_cache_usage + (1 - t.kv_cache_usage) / 2, 6))
        return (Case({f"{metric}{sel(**pod)}": f"{hi}x30"}, 20, {**out, "pod": pod["pod"]}),
                [Case({f"{metric}{sel(**pod)}": f"{num(round(t.kv_cache_usage / 2, 6))}x30"}, 20, None),
                 # a short spike is not sustained for 15 minutes
                 Case({f"{metric}{sel(**pod)}": f"0x10 {hi}x10 0x10"}, 25, None)])
    if alert == "LLMPreemptions":
        if vllm:
            metric = "vllm:num_preemptions_total"
            return (Case({f"{metric}{sel(**pod)}": f"0+{num(t.preemptions_per_minute * 2)}x40"}, 30, out),
                    [Case({f"{metric}{sel(**pod)}": f"0+{num(t.preemptions_per_minute / 2)}x40"}, 30, None)])
        metric = "sglang:num_retracted_reqs"
        return (Case({f"{metric}{sel(**pod)}": "3x40"}, 30, out), [Case({f"{metric}{sel(**pod)}": "0x40"}, 30, None)])
    if alert == "LLMRequestErrorRate":
        bad, few = min(99, math.ceil(t.error_ratio * 200)), math.floor(t.error_ratio * 50)
        if vllm:
            def http(errors: int) -> dict[str, str]:
                base = {**pod, "handler": "/v1/chat/completions", "method": "POST"}
                return {f"http_requests_total{sel(**base, status='5xx')}": f"0+{errors}x30",
                        f"http_requests_total{sel(**base, status='2xx')}": f"0+{100 - errors}x30"}
            return Case(http(bad), 20, out), [Case(http(few), 20, None)]

        def sg(errors: int) -> dict[str, str]:
            return {f"sglang:num_aborted_requests_total{sel(**pod)}": f"0+{errors}x30",
                    f"sglang:num_requests_total{sel(**pod)}": "0+100x30"}
        return Case(sg(bad), 20, out), [Case(sg(few), 20, None)]
    raise AssertionError(f"no fixture for {alert} of {m.engine}")


def gateway_cases(g: GatewayTarget, t: Thresholds) -> tuple[Case, list[Case]]:
    where = {"namespace": g.namespace, "service": g.service, "pod": f"{g.name}-0", "requested_model": "m"}
    bad, few = min(99, math.ceil(t.gateway_5xx_ratio * 200)), math.floor(t.gateway_5xx_ratio * 50)

    def traffic(status: str, errors: int, exception_class: str = "Openai.APIConnectionError") -> dict[str, str]:
        failed = {**where, "exception_status": status, "exception_class": exception_class}
        return {f"{g.failed_metric}{sel(**failed)}": f"0+{errors}x30",
                f"{g.total_metric}{sel(**where)}": "0+100x30"}

    out = {"namespace": g.namespace, "service": g.service}
    # many 429s (rate limits) are the client's problem, not a 5xx; many 503s of cold-start holds that ran
    # out (what LiteLLM reports for them: tests/behaviour/test_cold_hold.py) are the model's, not the gateway's
    return Case(traffic("502", bad), 20, out), [
        Case(traffic("502", few), 20, None), Case(traffic("429", 60), 20, None),
        Case(traffic("503", 60, "ColdStartHoldExpired"), 20, None)]


def gpu_cases(t: Thresholds) -> tuple[Case, list[Case]]:
    minutes = t.gpu_idle_hours * 60 + 90
    node = {"Hostname": "gpu-node-1", "gpu": "0", "modelName": "NVIDIA L20"}
    idle = {f"DCGM_FI_DEV_GPU_UTIL{sel(**node)}": f"{num(t.gpu_idle_percent / 2)}x{minutes}"}
    busy = {f"DCGM_FI_DEV_GPU_UTIL{sel(**node)}": f"{num(min(99, t.gpu_idle_percent * 3))}x{minutes}"}
    return Case(idle, minutes - 10, {"Hostname": "gpu-node-1"}), [
        Case(busy, minutes - 10, None),
        # idle, but not yet for the configured hours
        Case(idle, t.gpu_idle_hours * 60 - 30, None),
    ]


def pool_cases(p: PoolTarget) -> tuple[Case, list[Case]]:
    def pod(name: str, value: int, namespace: str = p.namespace) -> dict[str, str]:
        return {f"kube_pod_status_unschedulable{sel(namespace=namespace, pod=name, uid=name)}": f"{value}x30"}

    name, kind = p.workloads[0]
    stuck = f"{name}-7d9f8b6c5d-x2k4q" if kind == "Deployment" else f"{name}-1"
    other = "other-model-7d9f8b6c5d-x2k4q"
    return Case(pod(stuck, 1), 20, {}), [
        Case(pod(stuck, 0), 20, None),                       # scheduled
        Case(pod(other, 1), 20, None),                       # another workload's pod
        Case(pod(stuck, 1, namespace="elsewhere"), 20, None),  # same name, another namespace
        Case(pod(stuck, 1), 10, None),                       # not yet for 15 minutes
    ]


def expand(text: str, labels: dict[str, str]) -> str:
    return re.sub(r"\{\{ \$labels\.(\w+) \}\}", lambda mt: labels[mt.group(1)], text)


def promtool_tests(groups: list[dict[str, Any]], models: list[ModelTarget], pools: list[PoolTarget],
                  gateway: GatewayTarget | None, t: Thresholds) -> tuple[dict[str, Any], set[str]]:
    """A promtool test file with a firing and quiet cases for every rule of `groups`."""
    by_model = {m.name: m for m in models}
    by_pool = {p.name: p for p in pools}
    tests, covered = [], set()
    for group in groups:
        for rule in group["rules"]:
            alert, rl = rule["alert"], rule["labels"]
            if "model" in rl:
                fire, quiet = model_cases(alert, by_model[rl["model"]], t)
            elif alert == "LLMGateway5xxRate":
                assert gateway is not None
                fire, quiet = gateway_cases(gateway, t)
            elif alert == "LLMGpuUtilisationLow":
                fire, quiet = gpu_cases(t)
            elif alert == "LLMGpuPoolAtMaximum":
                fire, quiet = pool_cases(by_pool[rl["pool"]])
            else:
                raise AssertionError(f"alert {alert} has no fixture")
            covered.add(alert)
            for case in [fire, *quiet]:
                expected = []
                if case.labels is not None:
                    labels = {**rl, **case.labels}
                    expected = [{"exp_labels": labels,
                                 "exp_annotations": {k: expand(v, labels) for k, v in rule["annotations"].items()}}]
                tests.append({
                    "interval": f"{INTERVAL_MINUTES}m",
                    "input_series": [{"series": s, "values": v} for s, v in case.series.items()],
                    "alert_rule_test": [{"eval_time": f"{case.eval_minutes}m", "alertname": alert,
                                         "exp_alerts": expected}],
                })
    return {"rule_files": ["rules.yaml"], "evaluation_interval": f"{INTERVAL_MINUTES}m", "tests": tests}, covered


# ------------------------------------------------------------------------------------- rule sets


def synthetic() -> tuple[list[dict[str, Any]], list[ModelTarget], list[PoolTarget], GatewayTarget, Thresholds]:
    """Every engine and topology, a gateway, two pools, and thresholds that are not the defaults."""
    common = {"namespace": "llm", "port": 8000}
    models = [
        ModelTarget(name="qwen3-14b", engine="vllm", service="qwen3-14b-api", workload_kind="Deployment",
                    service_labels={"app.kubernetes.io/name": "qwen3-14b"}, server_selector={},
                    download_job="download-qwen3-14b-903263d8", router="qwen3-14b-router",
                    router_kind="vllm-router", **common),
        ModelTarget(name="deepseek-r1", engine="sglang", service="deepseek-r1-api", workload_kind="LeaderWorkerSet",
                    service_labels={"app.kubernetes.io/name": "deepseek-r1"}, server_selector={},
                    download_job="download-deepseek-r1-2165cf66", router="deepseek-r1-router",
                    router_kind="sglang-router", **common),
        ModelTarget(name="qwen3-8b", engine="vllm", service="qwen3-8b-api", workload_kind="Deployment",
                    service_labels={"app.kubernetes.io/name": "qwen3-8b"}, server_selector={},
                    download_job="download-qwen3-8b-0a1b2c3d", router="qwen3-8b-epp", router_kind="lwepp", **common),
        ModelTarget(name="r1-7b", engine="ollama", service="r1-7b-api", workload_kind="Deployment",
                    service_labels={"app.kubernetes.io/name": "r1-7b"}, server_selector={}, download_job=None, **common),
    ]
    pools = [PoolTarget("l20", 4, "llm", (("qwen3-14b", "Deployment"),)),
             PoolTarget("a10", 2, "llm", (("deepseek-r1", "LeaderWorkerSet"),))]
    gateway = GatewayTarget(name="llm-gateway", namespace="llm", service="llm-gateway", service_labels={},
                            pod_selector={}, port=4000)
    t = Thresholds(waiting_requests=8, ttft_p95_seconds=3, kv_cache_usage=0.85, preemptions_per_minute=2,
                   error_ratio=0.02, gateway_5xx_ratio=0.1, gpu_idle_percent=15, gpu_idle_hours=2)
    return alert_groups(models, pools, gateway, t), models, pools, gateway, t


def shipped(stack: str):
    """The PrometheusRule a shipped stack renders, and the targets it was rendered for."""
    raw, secrets = read(stack)
    plan = render_raw(raw, stack=stack, secrets=secrets)
    (rule,) = [r.manifest for r in plan.k8s_objects if r.manifest["kind"] == "PrometheusRule"]
    cfg = plan.config
    names = derive(cfg, stack)
    ops = operations_plan(cfg, [serving_plan(cfg, names, m, api_key_secret=f"{m.name}-api-key")
                                       for m in cfg.models])
    from derive.operations import pool_targets, thresholds

    return (rule["spec"]["groups"], [o.target for o in ops.models.values()], pool_targets(cfg), ops.gateway,
            thresholds(cfg.monitoring))


RULE_SETS = {"synthetic": synthetic, "prod": lambda: shipped("prod"), "dev": lambda: shipped("dev")}


@pytest.fixture(scope="module", params=sorted(RULE_SETS))
def ruleset(request, tmp_path_factory):
    groups, models, pools, gateway, t = RULE_SETS[request.param]()
    work = tmp_path_factory.mktemp(f"promtool-{request.param}")
    (work / "rules.yaml").write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
    doc, covered = promtool_tests(groups, models, pools, gateway, t)
    (work / "tests.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return request.param, groups, work, covered


def test_promtool_check_rules(ruleset):
    name, groups, work, _ = ruleset
    done = run("check", "rules", "rules.yaml", cwd=work)
    assert done.returncode == 0, done.stdout + done.stderr
    count = sum(len(g["rules"]) for g in groups)
    assert f"SUCCESS: {count} rules found" in done.stdout, done.stdout


def test_every_alert_fires_on_its_signal_and_stays_quiet_otherwise(ruleset):
    name, groups, work, covered = ruleset
    done = run("test", "rules", "tests.yaml", cwd=work)
    assert done.returncode == 0, f"{name}:\n{done.stdout}\n{done.stderr}"
    assert covered == {r["alert"] for g in groups for r in g["rules"]}


def test_the_synthetic_set_covers_every_alert_of_the_default_set():
    groups, *_ = synthetic()
    assert {r["alert"] for g in groups for r in g["rules"]} == ALL_ALERTS


def test_prod_ships_the_full_alert_set():
    groups, *_ = shipped("prod")
    assert {r["alert"] for g in groups for r in g["rules"]} == ALL_ALERTS
    for rule in (r for g in groups for r in g["rules"]):
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}
        assert rule["annotations"]["summary"] and len(rule["annotations"]["description"]) > 80


def test_every_rule_says_what_to_do():
    groups, *_ = synthetic()
    verbs = re.compile(r"\b(Raise|Lower|Read|Run|Check|Look|Fix|Add|add|raise|lower|read|check|enable)\b")
    for rule in (r for g in groups for r in g["rules"]):
        assert verbs.search(rule["annotations"]["description"]), rule["alert"]


def test_the_wake_query_counts_requests_for_the_models_lora_adapters(tmp_path):
    """An adapter runs on its base model's replicas and the gateway counts (and holds) its requests under
    the adapter's name: those requests alone must wake the base model; another model's must not."""
    g = GatewayTarget(name="llm-gateway", namespace="llm", service="llm-gateway", service_labels={},
                      pod_selector={}, port=4000)
    query = gateway_requests_query(g, "Qwen3-8B", "qwen3-8b.sql", "org/lora:v1")
    where = {"namespace": "llm", "service": "llm-gateway", "pod": "llm-gateway-0"}
    held, total = "tke_llm_gateway_requests_held", g.total_metric

    def case(series: dict[str, str], value: float) -> dict[str, Any]:
        return {"interval": "1m", "input_series": [{"series": k, "values": v} for k, v in series.items()],
                "promql_expr_test": [{"expr": query, "eval_time": "5m", "exp_samples": [{"labels": "{}",
                                                                                       "value": value}]}]}

    tests = [
        case({f"{held}{sel(**where, requested_model='qwen3-8b.sql')}": "1x5"}, 1),         # a held adapter request
        case({f"{held}{sel(**where, requested_model='org/lora:v1')}": "2x5",
              f"{total}{sel(**where, requested_model='Qwen3-8B')}": "0+60x5"}, 3),         # both add up
        case({f"{held}{sel(**where, requested_model='qwen3-8bXsql')}": "4x5"}, 0),         # `.` is no wildcard
        case({f"{held}{sel(**where, requested_model='Qwen3-8B-other')}": "4x5"}, 0),       # whole names only
    ]
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump({"groups": []}))
    (tmp_path / "tests.yaml").write_text(yaml.safe_dump(
        {"rule_files": ["rules.yaml"], "evaluation_interval": "1m", "tests": tests}, sort_keys=False))
    done = run("test", "rules", "tests.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_wake_query_counts_requests_held_before_litellm_counts_them(tmp_path):
    """Scale from zero reads this query: a request held at the gateway is in LiteLLM's counters only once
    it has finished, so the hold's gauge alone must wake the model; neither series may be required."""
    g = GatewayTarget(name="llm-gateway", namespace="llm", service="llm-gateway", service_labels={},
                      pod_selector={}, port=4000)
    where = {"namespace": "llm", "service": "llm-gateway", "pod": "llm-gateway-0", "requested_model": "Qwen3-8B"}
    other = {**where, "requested_model": "other"}
    query = gateway_requests_query(g, "Qwen3-8B")

    def case(series: dict[str, str], value: float) -> dict[str, Any]:
        return {"interval": "1m", "input_series": [{"series": k, "values": v} for k, v in series.items()],
                "promql_expr_test": [{"expr": query, "eval_time": "5m", "exp_samples": [{"labels": "{}",
                                                                                       "value": value}]}]}

    held, total = "tke_llm_gateway_requests_held", g.total_metric
    tests = [
        case({f"{held}{sel(**where)}": "0 1 1 2 2 2"}, 2),                       # held only: wakes
        case({f"{total}{sel(**where)}": "0+60x5", f"{held}{sel(**where)}": "0x5"}, 1),  # 60/min finished
        case({f"{total}{sel(**other)}": "0+60x5", f"{held}{sel(**other)}": "3x5"}, 0),  # another model's
        case({}, 0),                                                              # no series at all
    ]
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump({"groups": []}))
    (tmp_path / "tests.yaml").write_text(yaml.safe_dump(
        {"rule_files": ["rules.yaml"], "evaluation_interval": "1m", "tests": tests}, sort_keys=False))
    done = run("test", "rules", "tests.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
