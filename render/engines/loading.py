"""How an engine gets its weights into GPU memory and keeps its compiled kernels: streamed from the weight
mirror by the Run:ai Model Streamer, or read from the shared volume with the engine's network-file-system
strategy; and the compile caches on a per-model directory of the shared volume, so a second replica and
the next rollout skip compilation. Sources (vLLM 0.34.0, SGLang 0.5.23, runai-model-streamer 0.17.1):
docs/cold-start.md.
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass
from typing import Any

from render.meta import labels
from render.mirror import MirrorSpec

CACHE_MOUNT = "/compile-cache"
"""Where the per-model cache directory of the shared volume appears in the pod (outside the read-only
weights mount)."""
CACHE_DIR = ".compile-cache"
"""Top directory of the caches on the shared volume: `<CACHE_DIR>/<engine>/<model name>`."""
S3_CONFIG_MOUNT = "/etc/tke-llm/aws"
S3_CONFIG_VOLUME = "s3-client-config"
S3_CONFIG_KEY = "config"


@dataclass(frozen=True)
class Streaming:
    """The weights come straight from the mirror (`load: stream`). Concurrency and memory limit are the
    streamer's `concurrency` / `memory_limit` (bytes, a node total shared by the pod's ranks)."""

    mirror: MirrorSpec
    concurrency: int
    memory_limit_bytes: int

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ValueError(f"streamer concurrency must be >= 1, got {self.concurrency}")
        if self.memory_limit_bytes < 1:
            raise ValueError(f"streamer memory limit must be a positive number of bytes, got {self.memory_limit_bytes}")


def s3_client_config(mirror: MirrorSpec) -> str:
    """An AWS shared config file naming the addressing style. The streamer's native reader follows
    RUNAI_STREAMER_S3_USE_VIRTUAL_ADDRESSING, but the boto3 client that pulls config and tokenizer files
    (runai_model_streamer_s3 files.py) sets only `path` from it and otherwise uses botocore's default, which
    is path-style for a custom endpoint; botocore reads `s3.addressing_style` from this file alone
    (configprovider.py DEFAULT_S3_CONFIG_VARS: no variable). COS refuses path-style for new buckets."""
    style = "virtual" if mirror.virtual_addressing else "path"
    return f"[default]\ns3 =\n    addressing_style = {style}\n"


def s3_config_map_name(model: str) -> str:
    return f"{model}-s3-client"


def s3_config_map(name: str, namespace: str, mirror: MirrorSpec) -> dict[str, Any]:
    """The ConfigMap behind AWS_CONFIG_FILE on a streaming model's pods (no secret in it)."""
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": s3_config_map_name(name), "namespace": namespace,
                         "labels": labels("model-server", **{"app.kubernetes.io/name": name})},
            "data": {S3_CONFIG_KEY: s3_client_config(mirror)}}


def stream_env(stream: Streaming) -> list[dict[str, Any]]:
    """The mirror's S3 client environment (render/mirror.py), then the client config file."""
    return [*stream.mirror.env(), {"name": "AWS_CONFIG_FILE", "value": posixpath.join(S3_CONFIG_MOUNT, S3_CONFIG_KEY)}]


def extra_config(stream: Streaming, ranks: int) -> str:
    """`--model-loader-extra-config`: the three keys both engines' streamer loaders accept. `distributed`
    with more than one rank: the ranks of a node split the files and broadcast, so each node reads the
    checkpoint once instead of once per rank (vLLM runai_streamer_loader.py; SGLang loader.py)."""
    return json.dumps({"concurrency": stream.concurrency, "memory_limit": stream.memory_limit_bytes,
                       "distributed": ranks > 1}, separators=(",", ":"))


def cache_subpath(engine: str, name: str) -> str:
    """The model's cache directory relative to the volume root."""
    return posixpath.join(CACHE_DIR, engine, name)


def vllm_cache_env() -> list[dict[str, Any]]:
    """vLLM keeps torch.compile (Inductor, Triton), DeepGEMM and its start-up plan under VLLM_CACHE_ROOT
    (vllm/envs.py, compilation/backends.py `torch_compile_cache/<hash>/rank_i_j`, compiler_interface.py)."""
    return [{"name": "VLLM_CACHE_ROOT", "value": CACHE_MOUNT}]


def sglang_cache_env() -> list[dict[str, Any]]:
    """SGLang's own caches (DeepGEMM, CuTe AOT, streamer metadata) follow SGLANG_CACHE_DIR; the Inductor
    and Triton caches are set to the values its environ.py `third_party_cache_defaults` derives from it."""
    return [{"name": "SGLANG_CACHE_DIR", "value": CACHE_MOUNT},
            {"name": "TORCHINDUCTOR_CACHE_DIR", "value": posixpath.join(CACHE_MOUNT, "inductor")},
            {"name": "TRITON_CACHE_DIR", "value": posixpath.join(CACHE_MOUNT, "triton")}]
