"""What a pod needs to reach the weight mirror: one S3 client environment shared by the download Job's
mirror fill, the mirror-to-volume fill and the engines' Run:ai streamer, so all three address COS the same
way. Credentials only ever come from the Secret's keys (`secretKeyRef`), never as a value. Sources for each
variable: docs/model-cache.md, "Mirror"."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Any

from render.credentials import opaque_secret

SECRET_NAME = "model-mirror-credentials"
"""The Kubernetes Secret (in the stack's namespace) the stack writes from the encrypted config keys."""
ACCESS_KEY = "access-key-id"
SECRET_KEY = "secret-access-key"
MARKER_OBJECT = ".tke-llm-complete"
"""Written last under a revision's prefix, once every file is uploaded and verified."""
MANIFEST_OBJECT = ".tke-llm-manifest.json"
"""Written just before the marker: every file's size and sha256, which each fill checks against."""


def cos_endpoint(region: str) -> str:
    """COS's default S3 endpoint for a region (`cos.<region>.myqcloud.com`; docs/model-cache.md)."""
    return f"https://cos.{region}.myqcloud.com"


@dataclass(frozen=True)
class MirrorSpec:
    bucket: str
    region: str
    endpoint: str
    prefix: str
    secret_name: str = SECRET_NAME
    virtual_addressing: bool = True
    """COS serves buckets as `<bucket>.cos.<region>.myqcloud.com` (virtual-hosted style)."""
    stream: bool = True
    """Engines that can stream from object storage read the mirror directly (config `mirror.load`)."""

    def key_prefix(self, model_dir: str) -> str:
        """`<prefix>/<model dir>`: the same relative layout as on the volume."""
        return posixpath.join(self.prefix, model_dir)

    def url(self, model_dir: str) -> str:
        return f"s3://{self.bucket}/{self.key_prefix(model_dir)}"

    def env(self) -> list[dict[str, Any]]:
        """The S3 client environment every mirror consumer gets (boto3 and the Run:ai streamer's AWS SDK
        read the same names); the keys come from the Secret."""
        def secret(key: str) -> dict[str, Any]:
            return {"secretKeyRef": {"name": self.secret_name, "key": key}}
        return [
            {"name": "AWS_ENDPOINT_URL", "value": self.endpoint},
            {"name": "AWS_REGION", "value": self.region},
            {"name": "AWS_DEFAULT_REGION", "value": self.region},
            {"name": "AWS_EC2_METADATA_DISABLED", "value": "true"},
            {"name": "RUNAI_STREAMER_S3_USE_VIRTUAL_ADDRESSING", "value": "1" if self.virtual_addressing else "0"},
            {"name": "AWS_ACCESS_KEY_ID", "valueFrom": secret(ACCESS_KEY)},
            {"name": "AWS_SECRET_ACCESS_KEY", "valueFrom": secret(SECRET_KEY)},
        ]

    def sync_env(self, model_dir: str, workers: int) -> list[dict[str, Any]]:
        """env() plus where one revision lives, for render/files/mirror_sync.py."""
        return self.env() + [
            {"name": "MIRROR_BUCKET", "value": self.bucket},
            {"name": "MIRROR_PREFIX", "value": self.key_prefix(model_dir)},
            {"name": "MIRROR_MARKER", "value": MARKER_OBJECT},
            {"name": "MIRROR_MANIFEST", "value": MANIFEST_OBJECT},
            {"name": "MIRROR_WORKERS", "value": str(workers)},
        ]


def credentials_secret(namespace: str, access_key: Any, secret_key: Any) -> dict[str, Any]:
    """The Secret every mirror consumer's env() reads, from the stack's encrypted config keys."""
    return opaque_secret(SECRET_NAME, namespace, {ACCESS_KEY: access_key, SECRET_KEY: secret_key}, "model-mirror")
