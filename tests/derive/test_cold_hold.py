"""The hold's bound per model (derive/cold_hold.py): the configured seconds, else the plan's load estimate
(with a node to buy when a scaled-to-zero model's pool releases its nodes), at most the request timeout."""

from __future__ import annotations

from checks import checked
from derive.naming import derive
from derive.operations import cold_start, operations_plan, summary_section
from derive.serving import serving_plan
from render.cold_hold import Hold

from tests.conftest import tke_config

from tests.checks.helpers import R1_7B

IN_CLUSTER = {"prometheus": {"kind": "in-cluster"}}


def _plan(model, **sections):
    cfg = checked(tke_config(models=[model], **sections))
    return cfg, serving_plan(cfg, derive(cfg, "t"), cfg.models[0], api_key_secret="k")


def _hold(model, **sections) -> tuple[Hold, object]:
    cfg, plan = _plan(model, **sections)
    ops = operations_plan(cfg, [plan])
    return ops.models[plan.spec.name].hold, cold_start(cfg, plan)


def test_a_fixed_model_holds_for_its_load_time_on_a_present_node():
    hold, estimate = _hold(R1_7B)
    assert hold == Hold(seconds=estimate.warm_node_seconds, retry_after_seconds=30)
    assert 300 < hold.seconds < 600, "reading 15 GB from CFS and starting vLLM"


def test_scale_to_zero_on_a_pool_that_releases_nodes_holds_up_to_the_request_timeout():
    m = {**R1_7B, "autoscaling": {"minReplicas": 0, "maxReplicas": 1}}
    hold, estimate = _hold(m, monitoring=IN_CLUSTER, gateway={"requestTimeoutSeconds": 900})
    assert estimate.new_node_seconds > 900, "a node to buy, an image to pull, then the weights"
    assert hold.seconds == 900


def test_the_configured_hold_and_retry_after_win_and_zero_turns_it_off():
    assert _hold({**R1_7B, "coldStart": {"holdSeconds": 42, "retryAfterSeconds": 9}})[0] == Hold(42, 9)
    assert _hold({**R1_7B, "coldStart": {"holdSeconds": 0}})[0].seconds == 0


def test_a_parked_model_is_not_held():
    assert _hold({**R1_7B, "replicas": 0})[0].seconds == 0


def test_no_gateway_no_hold():
    assert _hold(R1_7B, gateway="none")[0] is None


def test_the_summary_says_how_long_a_cold_start_holds_requests():
    m = {**R1_7B, "autoscaling": {"minReplicas": 0, "maxReplicas": 1},
         "coldStart": {"holdSeconds": 480, "retryAfterSeconds": 20}}
    cfg, plan = _plan(m, monitoring=IN_CLUSTER)
    text = "\n".join(summary_section(operations_plan(cfg, [plan])))
    assert ("requests wait at the gateway meanwhile, up to 480 s (`coldStart.holdSeconds`), then get 503 with "
            "Retry-After 20 s (shorter than the ") in text, text
    assert "cold start: the first requests get that 503" in text


def test_the_summary_does_not_warn_when_the_hold_covers_the_cold_start():
    m = {**R1_7B, "autoscaling": {"minReplicas": 0, "maxReplicas": 1}, "coldStart": {"holdSeconds": 3600}}
    cfg, plan = _plan(m, monitoring=IN_CLUSTER, gateway={"requestTimeoutSeconds": 3600})
    text = "\n".join(summary_section(operations_plan(cfg, [plan])))
    assert "up to 3600 s (`coldStart.holdSeconds`), then get 503 with Retry-After 30 s." in text, text


def test_the_summary_lists_every_held_model():
    cfg = checked(tke_config(models=[R1_7B, {**R1_7B, "name": "other", "servedName": "Other",
                                              "coldStart": {"holdSeconds": 0}}]))
    names = derive(cfg, "t")
    plans = [serving_plan(cfg, names, m, api_key_secret="k") for m in cfg.models]
    ops = operations_plan(cfg, plans)
    text = "\n".join(summary_section(ops))
    assert (f"The gateway holds a request while its model has no ready replica (starting, loading), then serves it: "
            f"`r1-7b` up to {ops.models['r1-7b'].hold.seconds} s; past that 503 with Retry-After") in text
    assert "`other` up to" not in text


def test_requests_for_a_scaled_to_zero_models_adapters_wake_it():
    """The gateway counts and holds an adapter's requests under the adapter's name; they run on the base
    model's replicas, so the base's wake-up query must count them (the query itself: tests/render/test_monitoring.py)."""
    adapter = {"name": "r1-sql", "rank": 16, "source": {"kind": "huggingface", "repo": "org/r1-sql-lora",
                                                        "revision": "0123456789abcdef0123456789abcdef01234567"}}
    m = {**R1_7B, "autoscaling": {"minReplicas": 0, "maxReplicas": 1}, "adapters": [adapter]}
    cfg, plan = _plan(m, monitoring=IN_CLUSTER)
    query = operations_plan(cfg, [plan]).models[plan.spec.name].autoscaler.wake_query
    assert query is not None and "r1-sql" in query and R1_7B["servedName"] in query, query


def test_a_routed_models_default_hold_also_waits_for_its_router_to_see_the_replica():
    """Behind a router a replica serves once the router's health check has passed it twice in a row
    (`--health-success-threshold`, default 2 in both routers), `routing.healthIntervalSeconds` apart."""
    routed = {**R1_7B, "replicas": 2, "routing": {"healthIntervalSeconds": 15}}
    pools = [{"kind": "normal", "name": "system", "instanceType": "S5.2XLARGE16", "minSize": 1, "maxSize": 3},
             {"kind": "normal", "name": "gpu", "instanceType": "PNV4.7XLARGE116", "minSize": 0, "maxSize": 2,
              "gpu": {"type": "A10", "count": 1}}]
    hold, estimate = _hold(routed, nodePools=pools)
    direct, _ = _hold({**routed, "routing": {"policy": "none"}}, nodePools=pools)
    assert direct.seconds == estimate.warm_node_seconds
    assert hold.seconds == estimate.warm_node_seconds + 2 * 15


def test_a_model_with_a_fallback_is_not_held_by_default():
    """The hold runs before LiteLLM's router, so a held request never reaches the model's fallback: past the
    bound it gets the hold's 503. A model with `gateway.fallbacks` falls back at once instead (the smoke Job
    proves it through the real proxy: tests/behaviour/test_smoke_script.py); an explicit bound is refused."""
    other = {**R1_7B, "name": "other", "servedName": "Other"}
    cfg = checked(tke_config(models=[R1_7B, other], gateway={"fallbacks": [{"model": "R1-7B", "to": ["Other"]}]}))
    plans = [serving_plan(cfg, derive(cfg, "t"), m, api_key_secret="k") for m in cfg.models]
    holds = {p.spec.served_name: o.hold for p, o in zip(plans, operations_plan(cfg, plans).models.values())}
    assert holds["R1-7B"].seconds == 0 and holds["Other"].seconds > 0
