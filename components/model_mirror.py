"""ModelMirror: the regional weight mirror on COS and the Secret its consumers read.

The bucket (when the stack creates it) is private, tagged like the stack's other cloud resources, and
`protect`ed and retained on `pulumi destroy` like the model file system: it holds the weights every later
stack in the region fills from. The Secret carries a key scoped to the bucket from two encrypted config
keys. Why a key and not a CAM role for the pods, and the bucket's arguments: docs/model-cache.md, "Mirror".
"""

from __future__ import annotations

import pulumi
import tencentcloud_iac_pulumi as tc

from components.base import Component
from components.k8s import apply
from render.mirror import MirrorSpec, credentials_secret


class ModelMirror(Component):
    ready: list[pulumi.Resource]
    """What every mirror consumer (the download Jobs, the node fills) waits for: the Secret and the bucket."""
    bucket: tc.cos.Bucket | None

    def __init__(
        self,
        name: str,
        *,
        spec: MirrorSpec,
        create: bool,
        namespace: str,
        access_key: pulumi.Input[str],
        secret_key: pulumi.Input[str],
        tags: dict[str, str],
        stack_region: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        """`stack_region`: the region of the stack's default tencentcloud provider (None on an existing
        cluster); a bucket elsewhere gets a provider of its own region, since a Bucket has no region input."""
        super().__init__("tke-llm:model:ModelMirror", name, opts)
        self.bucket = None
        if create:
            provider = None
            if stack_region != spec.region:
                provider = tc.Provider(f"{name}-cos-region", region=spec.region, opts=self.cloud_child())
            # tencentcloud_iac_pulumi cos/bucket.py (0.2.3): `bucket` is `<name>-<APPID>`, `acl` one of
            # private / public-read / public-read-write (default private, set explicitly), `tags` a map.
            self.bucket = tc.cos.Bucket(
                f"{name}-bucket", bucket=spec.bucket, acl="private", tags=tags,
                opts=self.cloud_child(protect=True, retain_on_delete=True, provider=provider),
            )
        secret = apply(f"{name}-credentials", credentials_secret(namespace, access_key, secret_key), self.child())
        self.ready = [secret, *([self.bucket] if self.bucket is not None else [])]
        self.register_outputs({"bucket": spec.bucket, "region": spec.region, "endpoint": spec.endpoint})
