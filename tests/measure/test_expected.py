"""Preflight's side of the report, per served name: the capacity row, the TTFT alert (only when it is
rendered) and the autoscaling target (its effective default when unset)."""

from __future__ import annotations

import copy
from pathlib import Path

from checks import load
from measure.expected import from_config, from_stack

from tests.behaviour.helpers import POOLS, VLLM
from tests.conftest import ROOT, tke_config

PROM = {"prometheus": {"kind": "in-cluster"}}


def expected(**sections):
    cfg, report = load(tke_config(nodePools=POOLS, **sections))
    return from_config(cfg, report.capacity)[VLLM["servedName"]]


def test_the_capacity_row_and_replicas():
    m = {**copy.deepcopy(VLLM), "replicas": 2}
    e = expected(models=[m])
    assert e.model == VLLM["name"] and e.max_len == 8192 and e.sequences_per_replica
    assert e.sequences == 2 * e.sequences_per_replica


def test_the_ttft_alert_only_when_rendered():
    assert expected(models=[VLLM]).ttft_alert_seconds is None, "no monitoring, no alert"
    assert expected(models=[VLLM], monitoring=PROM).ttft_alert_seconds == 5
    off = {**PROM, "alerts": {"disabled": ["LLMTimeToFirstTokenHigh"]}}
    assert expected(models=[VLLM], monitoring=off).ttft_alert_seconds is None


def test_the_autoscaling_target_defaults_as_the_scaler_does():
    m = {**copy.deepcopy(VLLM), "autoscaling": {"metric": "queue", "maxReplicas": 2}}
    e = expected(models=[m], monitoring=PROM)
    assert (e.autoscaling_metric, e.autoscaling_target, e.max_replicas) == ("queue", 5.0, 2)
    assert expected(models=[VLLM]).autoscaling_metric is None


def test_the_shipped_stacks_read():
    cfg, dev = from_stack("dev", ROOT)
    (e,) = dev.values()
    assert e.served_name == cfg.models[0].served_name and e.sequences_per_replica == 5 and e.max_len == 16384
    assert from_stack("byo", Path(ROOT))[1]["deepseek-r1:7b"].sequences is None, "Ollama: not estimated"
