"""The Routing section of the plan summary (preview/summary_sections.py `routing_section`) for a model
on several LeaderWorkerSet groups: its router balances the groups' leaders."""

from __future__ import annotations

from preview.summary_sections import routing_section
from tests.behaviour.helpers import POOLS
from tests.conftest import H20, R1, TURBO, render_raw, tke_config


def test_groups_of_a_leaderworkerset_are_what_the_router_balances():
    h20 = {**H20, "instanceIds": [f"ins-000000{i:02x}" for i in range(10, 14)]}
    plan = render_raw(tke_config(nodePools=[POOLS[0], h20], storage=TURBO, models=[{**R1, "replicas": 2}]))
    lines = routing_section(plan)
    assert lines[:2] == ["## Routing", ""]
    assert ("| r1 | sglang-router `r1-router` | prefix-aware (`--policy cache_aware`) | 2 group(s) of 2 nodes "
            "(leaders), fixed | 1 x 500m CPU / 1Gi |") in lines
