"""Settings of the stack's kubernetes Provider that decide how objects are replaced and re-adopted.

`upsertExistingObjects`: the next `up` adopts the namespace and volumes `pulumi destroy` retained.
`enableSecretMutable`: a changed Secret is updated in place, not deleted and re-created under pods that
need it. Facts from pulumi-kubernetes v4.32.0: docs/pulumi-behaviour.md, "The kubernetes Provider's
settings".
"""

from __future__ import annotations

from typing import Any


def provider_settings() -> dict[str, Any]:
    """Keyword arguments for every `kubernetes.Provider` the stack creates."""
    return {"enable_server_side_apply": True, "upsert_existing_objects": True, "enable_secret_mutable": True}
