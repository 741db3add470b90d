"""The smoke Job as rendered (render/smoke.py): its input only from the environment, the key only by
reference, one try bounded by its deadline, replaced when unready, and a new name for a changed test."""

from __future__ import annotations

import dataclasses

import pytest

from render import smoke
from render.awaits import REPLACE_UNREADY
from render.placement import PodPlacement

SPEC = smoke.SmokeSpec(name="qwen3-14b", namespace="llm", served_name="Qwen3-14B",
                       url="http://llm-gateway.llm.svc:4000/v1", api="chat", key_secret="llm-gateway-app-key",
                       key_field="app-key", timeout_seconds=300, image="python:3.12.12-slim-bookworm",
                       placement=PodPlacement(node_selector={"tke-llm.io/pool": "system"}), revision="r1")


def test_the_job_runs_the_shipped_script_with_the_key_by_reference():
    job = smoke.smoke_job(SPEC)
    pod = job["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    assert c["command"] == ["python3", "-c", smoke.script()]
    env = {e["name"]: e for e in c["env"]}
    assert env["SMOKE_KEY"] == {"name": "SMOKE_KEY", "valueFrom": {"secretKeyRef": {"name": "llm-gateway-app-key",
                                                                                     "key": "app-key"}}}
    assert {k: v.get("value") for k, v in env.items() if k != "SMOKE_KEY"} == {
        "SMOKE_NAME": "qwen3-14b", "SMOKE_MODEL": "Qwen3-14B", "SMOKE_URL": "http://llm-gateway.llm.svc:4000/v1",
        "SMOKE_API": "chat", "SMOKE_TIMEOUT_SECONDS": "300", "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    assert "resources" in c and "nvidia.com/gpu" not in c["resources"].get("limits", {})
    assert pod["nodeSelector"] == {"tke-llm.io/pool": "system"}
    assert pod["automountServiceAccountToken"] is False and pod["restartPolicy"] == "Never"
    assert c["securityContext"]["runAsNonRoot"] and c["securityContext"]["readOnlyRootFilesystem"]


def test_one_try_bounded_by_the_deadline_and_replaced_when_unready():
    job = smoke.smoke_job(SPEC)
    assert job["spec"]["backoffLimit"] == 0
    assert job["spec"]["activeDeadlineSeconds"] == 300 + smoke.START_ALLOWANCE_SECONDS
    assert job["metadata"]["annotations"][REPLACE_UNREADY] == "true"
    assert "ttlSecondsAfterFinished" not in job["spec"]
    assert job["metadata"]["labels"][smoke.MODEL_LABEL] == "qwen3-14b"
    assert job["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"] == smoke.COMPONENT


@pytest.mark.parametrize("change", [{"revision": "r2"}, {"timeout_seconds": 301}, {"url": "http://x.llm.svc:8000/v1"},
                                    {"image": "mirror/python:3.12.12-slim-bookworm"}, {"api": "completions"}])
def test_a_changed_test_is_a_new_job(change):
    assert smoke.job_name(dataclasses.replace(SPEC, **change)) != smoke.job_name(SPEC)
    assert smoke.job_name(SPEC) == smoke.job_name(dataclasses.replace(SPEC))


def test_the_name_stays_a_label_for_long_model_names():
    name = smoke.job_name(dataclasses.replace(SPEC, name="m" * 63))
    assert len(name) <= 63 and name.startswith("smoke-m")


@pytest.mark.parametrize("bad", [{"api": "grpc"}, {"timeout_seconds": 5}, {"url": "http://llm-gateway:4000"}])
def test_nonsense_is_refused(bad):
    with pytest.raises(ValueError, match="qwen3-14b"):
        dataclasses.replace(SPEC, **bad)
