"""The hold's files in the gateway's config (render/cold_hold.py via render/litellm.py): shipped only when
some model is held, with each held model's bound; the callback is listed after LiteLLM's Prometheus one.
The hook itself runs in the real proxy: tests/behaviour/test_cold_hold.py."""

from __future__ import annotations

import json

import pytest

from render import cold_hold, litellm
from render.monitoring import GatewayTarget, dashboard
from render.files import source


def _spec(*holds: cold_hold.Hold | None) -> litellm.GatewaySpec:
    backends = tuple(litellm.Backend(name=f"m{i}", served_name=f"M{i}", api_base=f"http://m{i}-api.llm.svc:8000/v1",
                                     key_secret=f"m{i}-api-key", hold=h) for i, h in enumerate(holds))
    return litellm.GatewaySpec(namespace="llm", image="litellm:pinned", backends=backends)


def test_held_models_get_the_callback_and_their_bounds():
    spec = _spec(cold_hold.Hold(120, 15), None, cold_hold.Hold(0))
    files = litellm.config_files(spec)
    assert json.loads(files[cold_hold.DATA_FILE]) == {"M0": {"holdSeconds": 120, "retryAfterSeconds": 15,
                                                             "probePath": cold_hold.ENGINE_PROBE}}
    assert files[f"{cold_hold.HOOK_MODULE}.py"] == source(cold_hold.HOOK_FILE)
    assert litellm.proxy_config(spec)["litellm_settings"]["callbacks"] == ["prometheus", cold_hold.CALLBACK]
    assert cold_hold.max_hold_seconds(spec.backends) == 120


def test_a_routed_model_is_probed_at_its_routers_readiness_and_its_adapters_share_its_hold():
    """Behind a router the hold asks the router's /readiness (tests/behaviour/test_hold_routed.py shows why);
    an adapter runs on its base model's replicas, so it is held alike; an unheld base's adapters are not."""
    backends = (litellm.Backend(name="m0", served_name="M0", api_base="http://m0-router.llm.svc:8080/v1",
                                key_secret="m0-api-key", hold=cold_hold.Hold(90, 5), probe_path=cold_hold.ROUTER_PROBE),
                litellm.Backend(name="m1", served_name="M1", api_base="http://m1-api.llm.svc:8000/v1",
                                key_secret="m1-api-key", hold=None))
    spec = litellm.GatewaySpec(namespace="llm", image="litellm:pinned", backends=backends,
                               adapters=(litellm.AdapterRoute("m0-sql", "m0", "m0-sql"),
                                         litellm.AdapterRoute("m1-sql", "m1", "m1-sql")))
    table = json.loads(litellm.config_files(spec)[cold_hold.DATA_FILE])
    held = {"holdSeconds": 90, "retryAfterSeconds": 5, "probePath": "/readiness"}
    assert table == {"M0": held, "m0-sql": held}
    with_fallback = litellm.GatewaySpec(namespace="llm", image="litellm:pinned", backends=backends,
                                        adapters=spec.adapters, fallbacks=(("m0-sql", ("M1",)),))
    assert json.loads(litellm.config_files(with_fallback)[cold_hold.DATA_FILE]) == {"M0": held}


@pytest.mark.parametrize("holds", [(None,), (cold_hold.Hold(0), None)])
def test_no_held_model_ships_nothing_new(holds):
    spec = _spec(*holds)
    files = litellm.config_files(spec)
    assert cold_hold.DATA_FILE not in files and f"{cold_hold.HOOK_MODULE}.py" not in files
    assert litellm.proxy_config(spec)["litellm_settings"]["callbacks"] == ["prometheus"]
    assert cold_hold.max_hold_seconds(spec.backends) == 0


def test_a_changed_bound_is_a_new_config_map():
    assert litellm.config_map_name(_spec(cold_hold.Hold(60))) != litellm.config_map_name(_spec(cold_hold.Hold(61)))


def test_a_bound_is_a_bound():
    with pytest.raises(ValueError):
        cold_hold.Hold(-1)
    with pytest.raises(ValueError):
        cold_hold.Hold(10, retry_after_seconds=0)


def test_the_dashboard_shows_held_requests_and_holds_that_ran_out():
    gateway = GatewayTarget(name="llm-gateway", namespace="llm", service="llm-gateway", service_labels={},
                            pod_selector={}, port=4000)
    board = dashboard([], gateway, "llm")
    (panel,) = [p for p in board["panels"] if p["title"] == "Requests held through cold starts"]
    exprs = [t["expr"] for t in panel["targets"]]
    assert exprs[0].startswith(f"sum by (requested_model) ({cold_hold.HELD_METRIC}{{")
    assert f'exception_class="{cold_hold.EXPIRED_CLASS}"' in exprs[1]
