"""Jobs and awaits that recover: what a later `pulumi up` does with a download or migration that
failed, how long Pulumi waits for what it creates, and how objects are replaced without a gap.

The provider behaviour these objects rely on is cited in render/awaits.py (pulumi-kubernetes v4.32.0
source); these tests pin what the program renders so that behaviour applies."""

from __future__ import annotations

import copy

from render import litellm
from render.awaits import REPLACE_UNREADY, SKIP_AWAIT

from .conftest import render_raw, tke_config

POOLS = [{"kind": "normal", "name": "system", "instanceType": "S5.2XLARGE16", "minSize": 1, "maxSize": 3},
         {"kind": "normal", "name": "gpu", "instanceType": "PNV4.7XLARGE116", "minSize": 0, "maxSize": 2,
          "gpu": {"type": "A10", "count": 1}}]
VLLM = {"name": "qwen3-8b", "servedName": "Qwen3-8B", "engine": "vllm", "pool": "gpu",
        "source": {"kind": "huggingface", "repo": "Qwen/Qwen3-8B", "revision": "b968826d9c46dd6066d109eabc6255188de91218"},
        "settings": {"maxModelLen": 8192}}


def k8s(plan, kind):
    return [r for r in plan.k8s_objects if r.manifest["kind"] == kind]


def seconds(timeout: str) -> int:
    assert timeout.endswith("s"), timeout
    return int(timeout[:-1])


# --- a failed Job is retried by the next `up` ---------------------------------------------------------

def test_a_failed_download_is_replaced_by_the_next_up():
    plan = render_raw(tke_config(nodePools=POOLS, models=[VLLM]))
    (job,) = [r for r in k8s(plan, "Job") if r.manifest["metadata"]["name"].startswith("download-qwen3-8b-")]
    assert job.manifest["metadata"]["annotations"][REPLACE_UNREADY] == "true"
    # The replacement reuses the name, so it must delete first (the provider does so for a fixed name,
    # the option says it for readers and for older providers).
    assert job.options["deleteBeforeReplace"]


def test_a_failed_schema_migration_is_replaced_by_the_next_up():
    plan = render_raw(tke_config(nodePools=POOLS, models=[VLLM], gateway={"virtualKeys": {"enabled": True}}))
    (job,) = [r for r in k8s(plan, "Job") if r.manifest["metadata"]["name"].startswith(f"{litellm.NAME}-migrate-")]
    assert job.manifest["metadata"]["annotations"][REPLACE_UNREADY] == "true"
    assert job.options["deleteBeforeReplace"]


def test_only_jobs_carry_replace_unready():
    """The provider honours it on Jobs only; anywhere else it would be a warning on every preview."""
    plan = render_raw(tke_config(nodePools=POOLS, models=[VLLM], gateway={"virtualKeys": {"enabled": True}},
                                 storage={"kind": "local", "hostPath": "/data/models"}))
    marked = {r.manifest["kind"] for r in plan.k8s_objects
              if REPLACE_UNREADY in (r.manifest["metadata"].get("annotations") or {})}
    assert marked == {"Job"}
