"""A regional copy of the weights on COS (S3-compatible object storage): the download Job fills it from
the hub once per model revision, every other consumer (another stack's volume, a local-NVMe node, a
refill after a lost volume, an engine that streams) reads it over the region's intranet endpoint, so
none of them touches the NAT or the public hub. Design and sources: docs/model-cache.md, "Mirror"."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from config.base import ConfigModel
from config.formats import Region, Url

COS_BUCKET = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?-[0-9]{5,20}$")
"""COS names a bucket `<BucketName>-<APPID>` (lowercase letters, digits and '-', then the account's
APPID), e.g. examplebucket-1250000000 (https://www.tencentcloud.com/document/product/436/13312)."""
STREAMER_CONCURRENCY = 16
"""COS's SDK guidance for a client in the same region: 16 to 32 threads (tencentcloud.com/document/product/
436/44016); the Run:ai streamer's ranged GETs are those threads (docs/cold-start.md)."""
STREAMER_MEMORY_LIMIT_GB = 40.0
"""The Run:ai streamer's own default buffer, a node total (runai-model-streamer 0.17.1
file_streamer/requests_iterator.py DEFAULT_MEMORY_LIMIT_STRING "40000000000")."""


class StreamerConfig(ConfigModel):
    concurrency: int = Field(STREAMER_CONCURRENCY, ge=1, le=256)
    """Parallel ranged reads from the mirror per pod (the streamer's `concurrency`, RUNAI_STREAMER_CONCURRENCY).
    COS suggests 16 to 32 threads for a client in the same region."""
    memory_limit_gb: float | None = Field(None, gt=0, le=4096)
    """CPU memory (GB) the streamer may buffer on one pod, shared by its ranks (`memory_limit`). Default: the
    streamer's own 40 GB, lowered to half the pod's memory where the pod has less (a larger buffer than the
    pod's memory limit gets the engine OOM-killed while it loads)."""
    sglang: bool = False
    """SGLang streams too. Off by default: SGLang 0.5.23 has the streamer only as an optional dependency (its
    `runai` extra) and `sglang[all]` brings it without the S3 backend (runai-model-streamer-s3); turn on
    only with an image that has it. vLLM's image installs runai-model-streamer[s3,...] (docs/cold-start.md)."""


PREFIX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(?:/[A-Za-z0-9][A-Za-z0-9._-]*)*$")


class MirrorConfig(ConfigModel):
    bucket: str
    """`<name>-<APPID>`, e.g. tke-llm-weights-1250000000."""
    create: bool = True
    """The stack creates the bucket (private ACL, tagged, protected and kept on `pulumi destroy` like the
    file system). `false`: an existing bucket, by name and region, which the stack only reads and fills."""
    region: Region | None = None
    """The bucket's region; default the stack's `tencentcloud:region` (the same region is what keeps the
    traffic on the intranet)."""
    prefix: str = "tke-llm"
    """Key prefix under which each model revision is stored (`<prefix>/<kind>/<id>/<revision>/...`)."""
    endpoint: Url("COS endpoint") | None = None  # type: ignore[valid-type]
    """S3 endpoint; default `https://cos.<region>.myqcloud.com`."""
    secret_id_secret: str = "cosSecretId"
    """Encrypted config key holding a SecretId scoped to this bucket (`pulumi config set --secret`)."""
    secret_key_secret: str = "cosSecretKey"
    """Encrypted config key holding that SecretId's SecretKey."""
    load: Literal["stream", "volume"] = "stream"
    """How an engine that can stream from object storage loads (the Run:ai streamer of vLLM and SGLang):
    `stream` reads the mirror directly; `volume` reads the shared volume the Job filled (the fallback)."""
    streamer: StreamerConfig = StreamerConfig()
    """How an engine streams the weights from the mirror with `load: stream` (docs/cold-start.md)."""

    @field_validator("bucket")
    @classmethod
    def _bucket(cls, v: str) -> str:
        if len(v) > 60 or not COS_BUCKET.fullmatch(v) or "--" in v:
            raise ValueError(f"{v!r} is not a COS bucket name such as tke-llm-weights-1250000000 "
                             "(`<name>-<APPID>`: lowercase letters, digits and '-', then your account's APPID)")
        return v

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, v: str) -> str:
        if len(v) > 200 or not PREFIX.fullmatch(v) or ".." in v.split("/"):
            raise ValueError(f"{v!r}: a key prefix such as tke-llm or team/weights (letters, digits, '.', '_', "
                             "'-', segments separated by '/', no leading or trailing '/')")
        return v
