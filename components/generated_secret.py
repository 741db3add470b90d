"""Generated keys and passwords, kept in the stack's state (encrypted by its secrets provider).

A Pulumi dynamic resource rather than the pulumi-random provider (one plugin fewer to download; the
dynamic-provider host ships with every CLI). Generated once with `secrets`; replaced (a new value) only
when `length` or `rotation` changes: `rotation` is the stack's `keys.rotate` counter (docs/operations.md,
"Rotating keys"). Self-contained (stdlib only): Pulumi serializes it into the state. See
docs/pulumi-behaviour.md.
"""

from __future__ import annotations

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, Resource, ResourceProvider

TYPE = "pulumi-python:dynamic/tke-llm:GeneratedSecret"


class _Provider(ResourceProvider):
    def create(self, props):  # type: ignore[no-untyped-def]
        # deferred: the dynamic-provider host runs this method from the serialized provider (stdlib only)
        import secrets
        import string

        alphabet = string.ascii_letters + string.digits
        length = int(props["length"])
        value = "".join(secrets.choice(alphabet) for _ in range(length))
        outs = {"length": length, "result": value}
        if props.get("rotation"):
            outs["rotation"] = int(props["rotation"])
        return CreateResult(id_=secrets.token_hex(8), outs=outs)

    def diff(self, _id, olds, news):  # type: ignore[no-untyped-def]
        # A key created before `rotation` existed has none in its state: that is rotation 0.
        changed = [k for k, default in (("length", -1), ("rotation", 0))
                   if int(olds.get(k) or default) != int(news.get(k) or default)]
        return DiffResult(changes=bool(changed), replaces=changed, stables=["result"], delete_before_replace=False)

    def read(self, id_, props):  # type: ignore[no-untyped-def]
        # deferred: as in create, resolved where the dynamic-provider host runs it
        from pulumi.dynamic import ReadResult

        return ReadResult(id_=id_, outs=props)


class GeneratedSecret(Resource, module="tke-llm", name="GeneratedSecret"):
    """An alphanumeric secret of `length` characters; `result` is a secret output. A different
    `rotation` generates a new one (0, the default, is not written, so older keys keep their inputs)."""

    result: pulumi.Output[str]

    def __init__(self, name: str, *, length: int, rotation: int = 0, opts: pulumi.ResourceOptions | None = None):
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["result"]))
        props: dict[str, object] = {"length": length, "result": None}
        if rotation:
            props["rotation"] = rotation
        super().__init__(_Provider(), name, props, opts)
