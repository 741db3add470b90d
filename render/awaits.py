"""How pulumi-kubernetes waits for and recovers the objects the stack renders, as annotations.

`pulumi.com/replaceUnready` makes the next `up` replace a failed Job (Jobs only); Deployments,
StatefulSets, DaemonSets, Jobs and Services are awaited for 10 minutes unless given a timeout;
`pulumi.com/skipAwait: "true"` turns the await off. Facts from pulumi-kubernetes v4.32.0, with their
source files: docs/pulumi-behaviour.md, "Awaiting and recovering objects".
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
