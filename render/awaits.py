"""How pulumi-kubernetes waits for and recovers the objects the stack renders, as annotations.

Facts from the provider's source, pulumi-kubernetes v4.32.0 (the pinned SDK 4.34.2 drives a provider
at least that new):

- `provider/pkg/provider/provider.go` (Diff): with `pulumi.com/replaceUnready: "true"` on a Job, the
  provider reads the live Job and, when its checker (`provider/pkg/await/checker/job/check.go`: started
  and `Complete=True`) does not call it ready, plans a replacement; a fixed name makes it a
  delete-then-create. Without the annotation a Job whose first `up` failed stays in the state and every
  later `up` patches it and waits on it again: its `Failed=True` (BackoffLimitExceeded or
  DeadlineExceeded) fails the update at once, forever, until someone deletes it by hand. The
  annotation is honoured for Jobs only (other kinds get a warning and nothing else).
- `provider/pkg/await/awaiters.go` and `daemonset.go`: Deployments, StatefulSets, DaemonSets (kstatus:
  every scheduled pod ready), Jobs and Services are awaited; the default budget is 10 minutes unless
  the resource has `customTimeouts` or `pulumi.com/timeoutSeconds`.
- `pulumi.com/skipAwait: "true"` (the string) turns the await off for one object.
"""

from __future__ import annotations

from typing import Any

REPLACE_UNREADY = "pulumi.com/replaceUnready"
SKIP_AWAIT = "pulumi.com/skipAwait"
WAIT_FOR = "pulumi.com/waitFor"
"""Custom resources are not awaited by default; `condition=Available` waits until the condition is
true, as for a Deployment (pulumi-kubernetes >= 4.18)."""


def replaced_when_unready(job: dict[str, Any]) -> dict[str, Any]:
    """Mark a Job so that a later `pulumi up` replaces it (and so runs it again) when it is not
    complete: a download or migration that failed once is retried by the next `up`, with no kubectl.
    A complete Job is left alone, so a finished download is never repeated."""
    if job.get("kind") != "Job":
        raise ValueError(f"{REPLACE_UNREADY} is only honoured on Jobs, not on {job.get('kind')}")
    job["metadata"].setdefault("annotations", {})[REPLACE_UNREADY] = "true"
    return job
