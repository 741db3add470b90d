"""SmokeTest: the smoke Job of one model, registered after its servers, its groups and the gateway are
ready; Pulumi waits for it to complete, and a failed one is replaced by the next `up`
(render/smoke.py, docs/smoke.md)."""

from __future__ import annotations

import pulumi

from components.base import Component
from components.k8s import apply
from render.smoke import SmokeSpec, job_deadline_seconds, smoke_job

REPORT_SECONDS = 120
"""Beyond the Job's own deadline, for the Job controller to mark it failed, so the await ends on the
Job's `DeadlineExceeded` (naming the model's Job), not on Pulumi's own timeout."""


def smoke_await_seconds(spec: SmokeSpec) -> int:
    return job_deadline_seconds(spec) + REPORT_SECONDS


class SmokeTest(Component):
    job: pulumi.Resource
    """The completed Job: what the model's outputs are registered after."""

    def __init__(self, name: str, *, spec: SmokeSpec, after: list[pulumi.Resource],
                 opts: pulumi.ResourceOptions | None = None):
        """`after`: what must be ready before the request is sent (the model's workload, its Service and
        group budget, the gateway's Deployment and Service, the key Secret)."""
        super().__init__("tke-llm:verify:SmokeTest", name, opts)
        manifest = smoke_job(spec)
        wait = f"{smoke_await_seconds(spec)}s"
        self.job = apply(
            f"{name}-job", manifest,
            # A Job's template is immutable: a changed test is a new Job, deleted then created.
            self.child(depends_on=after, delete_before_replace=True,
                       custom_timeouts=pulumi.CustomTimeouts(create=wait, update=wait)),
        )
        self.register_outputs({"job": manifest["metadata"]["name"]})
