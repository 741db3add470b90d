"""Which models are routed, and which vLLM engines must serve the render endpoints for their router."""

from __future__ import annotations

from checks import checked
from derive.routing_policy import can_scale_out, policy, renders_for_router

from tests.behaviour.helpers import SGLANG, VLLM
from tests.conftest import tke_config

POOLS = [{"kind": "normal", "name": "system", "instanceType": "S5.2XLARGE16", "minSize": 1, "maxSize": 3},
         {"kind": "normal", "name": "gpu", "instanceType": "PNV4.7XLARGE116", "minSize": 0, "maxSize": 6,
          "gpu": {"type": "A10", "count": 1}}]


def _model(**model):
    cfg = checked(tke_config(nodePools=POOLS, models=[model]))
    return cfg, cfg.models[0]


def test_a_vllm_model_with_replicas_is_prefix_routed_and_renders_for_its_router():
    cfg, m = _model(**VLLM, replicas=3)
    assert can_scale_out(m) and policy(cfg, m) == "prefix-aware" and renders_for_router(cfg, m)


def test_no_render_endpoints_without_a_prefix_aware_vllm_router():
    for cfg, m in (_model(**VLLM), _model(**VLLM, replicas=3, routing={"policy": "round-robin"}),
                   _model(**SGLANG, replicas=3)):
        assert not renders_for_router(cfg, m), (m.engine, policy(cfg, m))
    assert policy(*_model(**SGLANG, replicas=3)) == "prefix-aware"
    assert policy(*_model(**VLLM)) == "none"
