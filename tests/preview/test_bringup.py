"""The bring-up estimate (preview/bringup.py): critical path and GPU-hours before the first token."""

from __future__ import annotations

import pytest

from preview.bringup import estimate

from tests.checks.helpers import H20, R1
from tests.conftest import SYSTEM_POOL, render_raw, tke_config


def test_attached_machines_join_while_the_weights_download_since_they_bill_anyway():
    plan = render_raw(tke_config(nodePools=[SYSTEM_POOL, H20], models=[R1],
                                 storage={"kind": "cfs-turbo", "capacityGib": 20480, "sizeGi": 1000}))
    (m,) = estimate(plan).models
    # Attached machines bill from purchase: waiting to attach them would save nothing, so the attach runs
    # beside the download and leaves the critical path; the GPU-hours are those of the whole bring-up.
    assert [p.split(" ")[0] for p in m.critical_path][-2:] == ["Job", "LeaderWorkerSet"]
    job = next(r for r in plan.resources if r.manifest.get("kind") == "Job" and r.name.startswith("r1-cache"))
    for att in plan.by_type("tencentcloud:Kubernetes/clusterAttachment:ClusterAttachment"):
        assert job.urn not in plan.dependencies(att) and job.parent not in plan.dependencies(att)
    assert m.gpu_hours == pytest.approx(16 * m.first_token_s / 3600, abs=0.1)
    assert m.reference_gpu_hours == pytest.approx(16 * m.reference_first_token_s / 3600, abs=0.1)
    assert m.first_token_s > 3 * 3600, "690 GB at 200 Mbit/s takes hours"
