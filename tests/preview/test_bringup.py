"""The bring-up estimate (preview/bringup.py): critical path and GPU-hours before the first token."""

from __future__ import annotations

import pytest

from preview.bringup import estimate

from tests.checks.helpers import H20, R1
from tests.conftest import SYSTEM_POOL, render_raw, tke_config


def test_bring_up_downloads_before_gpus_but_attached_machines_bill_anyway():
    plan = render_raw(tke_config(nodePools=[SYSTEM_POOL, H20], models=[R1],
                                 storage={"kind": "cfs-turbo", "capacityGib": 20480, "sizeGi": 1000}))
    (m,) = estimate(plan).models
    assert [p.split(" ")[0] for p in m.critical_path][-3:] == ["Job", "ClusterAttachment", "LeaderWorkerSet"]
    # Attached machines bill from purchase: waiting to attach them saves nothing (the order only moves
    # the attach), so the GPU-hours before the first token are those of the whole bring-up either way.
    assert m.gpu_hours == pytest.approx(16 * m.first_token_s / 3600, abs=0.1)
    assert m.reference_gpu_hours == pytest.approx(16 * m.reference_first_token_s / 3600, abs=0.1)
    assert m.first_token_s > 3 * 3600, "690 GB at 200 Mbit/s takes hours"
