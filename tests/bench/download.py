"""`make bench`, download part: the Job's script with the real `hf` and `modelscope` CLIs against a
stand-in hub that caps each connection (as a hub's CDN does), one worker against several.

Prints wall time (listing, download and the sha256 check of every file) and throughput per tool and
worker count; the figures quoted in docs/model-cache.md come from this. Everything on 127.0.0.1.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from render.model_cache import ModelSource

from tests.behaviour.download_run import JobRun
from tests.standins.hub import Hub, generated_model, running_hub

SHARDS, SHARD_MIB, STREAM_MIB_S = 8, 8, 4.0
WORKERS = (1, 4, 8)


def one(kind: str, workers: int) -> tuple[float, int]:
    hub = Hub("acme/bench", "v1.0", generated_model(shards=SHARDS, shard_bytes=SHARD_MIB << 20))
    hub.stream_bytes_per_s = STREAM_MIB_S * (1 << 20)
    with running_hub(hub), tempfile.TemporaryDirectory() as tmp:
        job = JobRun(Path(tmp), ModelSource(kind, hub.repo, hub.revision, endpoint=hub.url), workers=workers)  # type: ignore[arg-type]
        began = time.monotonic()
        out = job.run(timeout=600)
        took = time.monotonic() - began
        if out.returncode != 0:
            raise SystemExit(f"{kind} with {workers} worker(s) failed:\n{out.stdout[-3000:]}")
        return took, sum(len(d) for d in hub.files.values())


def main() -> None:
    print(f"download: {SHARDS} shards x {SHARD_MIB} MiB, each connection capped at {STREAM_MIB_S:g} MiB/s")
    print("| tool | workers | wall time | throughput | vs 1 worker |")
    print("|---|---|---|---|---|")
    for kind in ("huggingface", "modelscope"):
        base = None
        for workers in WORKERS:
            took, size = one(kind, workers)
            base = base or took
            print(f"| {kind} | {workers} | {took:.1f} s | {size / took / (1 << 20):.1f} MiB/s | {base / took:.1f}x |")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
