"""Settings of the stack's kubernetes Provider that decide how objects are replaced and re-adopted.

Facts from pulumi-kubernetes v4.32.0 (`provider/pkg/provider/provider.go` Configure,
`provider/pkg/provider/diff.go` forceNewProperties, `provider/pkg/await/await.go` Creation):

- `upsertExistingObjects`: without it a create of an object that already exists in the cluster fails
  with AlreadyExists. The stack's namespace is retained by `pulumi destroy` (components/namespace.py) so
  that its volumes survive; the next `up` creates it again, and must adopt the one that is there, with
  the volumes inside it. With the setting, the create is a server-side apply that updates the existing
  object. The hazard the provider documents (renaming a resource without an alias: the new name
  adopts the object, then the old name deletes it) cannot lose data here: the volumes are `protect`ed
  (the engine refuses to delete them) and the namespace is retained on delete.
- `enableSecretMutable`: without it a Secret whose data changes is replaced, and with a fixed name
  that is delete-then-create: a gateway, UI or engine pod that starts in between cannot read its key.
  With it the Secret is updated in place. (ConfigMaps stay immutable: the gateway's carries a hash of
  its content in its name instead, render/litellm.py `config_map_name`.)
"""

from __future__ import annotations

from typing import Any


def provider_settings() -> dict[str, Any]:
    """Keyword arguments for every `kubernetes.Provider` the stack creates."""
    return {"enable_server_side_apply": True, "upsert_existing_objects": True, "enable_secret_mutable": True}
