"""Which models get a router and what it is given (derive/routing.py)."""

from __future__ import annotations

import pytest

from checks import checked
from derive.naming import derive
from derive.routing import policy, router_spec, routers
from derive.serving import serving_plan
from render import router as rt
from tests.behaviour.helpers import OLLAMA, POOLS, SGLANG, VLLM
from tests.conftest import H20, R1, TURBO, tke_config


def model(base, **kw):
    return {**base, **kw}


MONITORED = {"prometheus": {"kind": "in-cluster"}}
"""Autoscaling on the engine queue reads Prometheus."""


def cfg_of(*models, **sections):
    sections.setdefault("monitoring", MONITORED)
    return checked(tke_config(nodePools=sections.pop("nodePools", POOLS), models=list(models), **sections))


def specs(cfg):
    names = derive(cfg, "test")
    return routers(cfg, [serving_plan(cfg, names, m, f"{m.name}-api-key") for m in cfg.models])


@pytest.mark.parametrize("m,expected", [
    (VLLM, "none"),  # one fixed replica: nothing to choose between
    (model(VLLM, replicas=2), "prefix-aware"),
    (model(VLLM, replicas=1, autoscaling={"minReplicas": 1, "maxReplicas": 2}), "prefix-aware"),
    (model(VLLM, replicas=1, autoscaling={"minReplicas": 1, "maxReplicas": 1}), "none"),
    (model(SGLANG, replicas=2), "prefix-aware"),
    (model(OLLAMA, replicas=2), "none"),  # Ollama has no router
    (model(VLLM, replicas=2, routing={"policy": "none"}), "none"),
    (model(VLLM, routing={"policy": "round-robin"}), "round-robin"),  # asked for: kept even on one replica
])
def test_default_policy_follows_whether_the_model_can_scale_out(m, expected):
    cfg = cfg_of(m)
    assert policy(cfg, cfg.models[0]) == expected
    assert (cfg.models[0].name in specs(cfg)) == (expected != "none")


def test_several_leaderworkerset_groups_are_routed_to_their_leaders():
    h20 = {**H20, "instanceIds": [f"ins-000000{i:02x}" for i in range(10, 14)]}
    cfg = checked(tke_config(nodePools=[POOLS[0], h20], storage=TURBO, models=[{**R1, "replicas": 2}]))
    (spec,) = specs(cfg).values()
    assert spec.router == "sglang-router" and spec.policy == "prefix-aware"
    assert spec.engine_selector == {"leaderworkerset.sigs.k8s.io/name": "r1", "role": "leader"}
    assert spec.engine_port == 30000 and (spec.min_replicas, spec.max_replicas) == (2, 2)


def test_no_router_without_the_gateway_by_default():
    cfg = cfg_of(model(VLLM, replicas=2), gateway="none", webui=False, exposure={"api": "none"})
    assert policy(cfg, cfg.models[0]) == "none" and specs(cfg) == {}


def test_router_spec_from_the_config():
    cfg = cfg_of(model(VLLM, replicas=1, autoscaling={"minReplicas": 0, "maxReplicas": 2},
                       routing={"policy": "session", "replicas": 2, "cpu": "1", "memory": "2Gi",
                                "healthIntervalSeconds": 5}),
                 imageRegistry="mirror.ccs.tencentyun.com/team", gateway={"requestTimeoutSeconds": 300})
    names = derive(cfg, "test")
    spec = router_spec(cfg, serving_plan(cfg, names, cfg.models[0], "qwen3-8b-api-key"))
    assert spec is not None
    assert spec.image == "mirror.ccs.tencentyun.com/team/vllm/vllm-router:v0.1.17"
    assert spec.policy_flag == "consistent_hash"
    assert spec.engine_selector == {"app.kubernetes.io/name": "qwen3-8b", "app.kubernetes.io/component": "model-server"}
    assert (spec.min_replicas, spec.max_replicas, spec.replicas) == (0, 2, 2)
    assert (spec.cpu, spec.memory, spec.health_interval_seconds, spec.request_timeout_seconds) == ("1", "2Gi", 5, 300)
    # On the CPU system pool, like the gateway.
    assert spec.placement.node_selector and "gpu" not in str(spec.placement.node_selector).lower()
    assert spec.url == f"http://qwen3-8b-router.{cfg.namespace}.svc:{rt.PORT}/v1"
