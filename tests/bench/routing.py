"""Routing benchmark (`make bench`): a shared-prefix workload through the real routers on loopback, each
policy against fresh stand-in replicas that keep a per-replica prefix cache and take longer to answer
for every prefix block they have not cached. Prints, per router and policy, the cache-hit rate, how the
requests spread over the replicas and the client latency. A measurement, never a test assertion; the
figures are in docs/routing.md."""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

from tests.standins.engine import BLOCK_CHARS, StandinEngine
from tests.standins.net import chat
from tests.standins.router import running_router

REPLICAS = 3
DOCUMENTS = 12
QUESTIONS = 25
CONCURRENCY = 8
PREFIX_CHARS = 3000
TTFT = 0.02
PREFILL_PER_BLOCK = 0.002
"""Seconds per uncached 64-character block: a fully uncached prefix (about 47 blocks) adds about 0.09 s."""
CACHE_CAPACITY = 240
"""Prefix blocks each replica's KV cache holds: about five of the twelve prefixes, as a real KV cache holds
only part of a busy workload's prefixes (an unbounded cache would let every replica hold them all)."""
MODEL = "bench-model"

VLLM_ROUTER = ("vllm-router",)
SGLANG_ROUTER = ("python3", "-m", "sglang_router.launch_router")
CASES = [  # (label, router command as the image runs it, args, replicas answer the render endpoints)
    ("vllm-router cache_aware", VLLM_ROUTER, ["--policy", "cache_aware"], True),
    ("vllm-router cache_aware, engines without --enable-scale-out", VLLM_ROUTER, ["--policy", "cache_aware"], False),
    ("vllm-router round_robin", VLLM_ROUTER, ["--policy", "round_robin"], True),
    ("sglang-router cache_aware", SGLANG_ROUTER, ["--policy", "cache_aware"], True),
    ("sglang-router round_robin", SGLANG_ROUTER, ["--policy", "round_robin"], True),
]


@dataclass
class Result:
    case: str
    requests: int
    errors: int
    cache_hit_rate: float
    per_replica: list[int]
    max_share: float
    tokenizer_calls_per_request: float
    mean_latency_s: float
    p90_latency_s: float
    wall_s: float


def workload(seed: int = 7) -> list[str]:
    """DOCUMENTS long prefixes, QUESTIONS each, shuffled: what a RAG or agent app sends."""
    rng = random.Random(seed)
    docs = []
    for d in range(DOCUMENTS):
        words = [f"w{rng.randrange(10_000)}" for _ in range(PREFIX_CHARS // 5)]
        docs.append(f"Document {d}: " + " ".join(words)[:PREFIX_CHARS])
    prompts = [f"{doc}\nQuestion {q}: summarise part {q}." for doc in docs for q in range(QUESTIONS)]
    rng.shuffle(prompts)
    return prompts


def run_case(label: str, command: tuple[str, ...], args: list[str], scale_out: bool, prompts: list[str],
             workdir: Path) -> Result:
    replicas = [StandinEngine(MODEL, ttft=TTFT, prefill_per_block=PREFILL_PER_BLOCK, scale_out=scale_out,
                              cache_capacity=CACHE_CAPACITY) for _ in range(REPLICAS)]
    try:
        with running_router(args, [r.base for r in replicas], workdir, command=command) as router:
            def one(prompt: str) -> tuple[int, float]:
                start = time.monotonic()
                status = chat(router.base, None, MODEL, prompt)[0]
                return status, time.monotonic() - start

            began = time.monotonic()
            with ThreadPoolExecutor(CONCURRENCY) as pool:
                done = list(pool.map(one, prompts))
            wall = time.monotonic() - began
    finally:
        for r in replicas:
            r.close()
    latencies = sorted(t for _, t in done)
    per_replica = [len(r.calls) for r in replicas]
    hits, blocks = sum(r.cache_hits for r in replicas), sum(r.cache_blocks for r in replicas)
    return Result(label, len(prompts), sum(s != 200 for s, _ in done), hits / blocks if blocks else 0.0, per_replica,
                  max(per_replica) / max(1, sum(per_replica)),
                  sum(len(r.tokenize_calls) for r in replicas) / len(prompts), statistics.fmean(latencies),
                  latencies[int(0.9 * (len(latencies) - 1))], wall)


def table(results: list[Result]) -> str:
    rows = ["| router, policy | cache-hit rate | requests per replica | largest share | render calls per request "
            "| errors | mean / p90 latency |", "|---|---|---|---|---|---|---|"]
    for r in results:
        rows.append(f"| {r.case} | {r.cache_hit_rate:.0%} | {' / '.join(map(str, r.per_replica))} | "
                    f"{r.max_share:.0%} | {r.tokenizer_calls_per_request:.1f} | {r.errors} | {r.mean_latency_s * 1000:.0f} / {r.p90_latency_s * 1000:.0f} ms |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--repeat", type=int, default=1, help="run every case this many times (one row each)")
    opts = parser.parse_args(argv)
    prompts = workload()
    print(f"routing bench: {len(prompts)} requests ({DOCUMENTS} prefixes of {PREFIX_CHARS} chars, "
          f"{PREFIX_CHARS // BLOCK_CHARS} blocks), {CONCURRENCY} in flight, {REPLICAS} stand-in replicas "
          f"(time to first token {TTFT * 1000:.0f} ms + {PREFILL_PER_BLOCK * 1000:.0f} ms per uncached block, "
          f"{CACHE_CAPACITY} blocks of prefix cache each)",
          flush=True)
    results = []
    with TemporaryDirectory() as tmp:
        for i, (label, command, args, scale_out) in enumerate(CASES):
            for n in range(opts.repeat):
                results.append(run_case(label, command, args, scale_out, prompts, Path(tmp) / f"{i}-{n}"))
                print(f"  {label}: done in {results[-1].wall_s:.1f}s", flush=True)
    print(table(results))
    if opts.json:
        opts.json.write_text(json.dumps([asdict(r) for r in results], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
