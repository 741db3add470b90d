"""The benchmark plan per model: a shared-prefix profile (one system prompt every request shares, as
apps with a fixed instruction send) and a long-context profile (prompts near the model's max length),
each a concurrency sweep. Pure: the AIPerf command line comes from here (measure/aiperf.py runs it)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from measure.expected import Expected

SHARED_PREFIX = "shared-prefix"
LONG_CONTEXT = "long-context"
LONG_SHARE = 0.75
"""The long-context prompt is this share of the max length (room left for the answer)."""
LONG_CAP = 32768
LONG_DEFAULT = 8192
"""Long-context prompt when preflight knows no max length (Ollama, a model not in the catalog)."""


@dataclass(frozen=True)
class Settings:
    concurrencies: tuple[int, ...] = (1, 2, 4, 8, 16, 32)
    requests: int = 64
    """Requests per concurrency step."""
    input_tokens: int = 256
    output_tokens: int = 256
    prefix_tokens: int = 2048
    long_input_tokens: int | None = None
    long_output_tokens: int = 128
    seed: int = 0


@dataclass(frozen=True)
class Profile:
    name: str
    input_tokens: int
    output_tokens: int
    shared_prefix_tokens: int | None
    concurrencies: tuple[int, ...]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def long_input(exp: Expected | None, s: Settings) -> int:
    if s.long_input_tokens:
        return s.long_input_tokens
    if exp is None or exp.max_len is None:
        return LONG_DEFAULT
    return min(int(exp.max_len * LONG_SHARE), LONG_CAP, exp.max_len - s.long_output_tokens - 1)


def long_concurrencies(exp: Expected | None, s: Settings) -> tuple[int, ...]:
    """Up to twice the sequences at max length the deployment holds: past them requests queue, and the
    knee in TTFT is what the report compares with preflight."""
    if exp is None or exp.sequences is None:
        return s.concurrencies
    kept = tuple(c for c in s.concurrencies if c <= 2 * exp.sequences)
    return kept or s.concurrencies[:1]


def profiles(exp: Expected | None, s: Settings) -> list[Profile]:
    return [Profile(SHARED_PREFIX, s.input_tokens, s.output_tokens, s.prefix_tokens, s.concurrencies),
            Profile(LONG_CONTEXT, long_input(exp, s), s.long_output_tokens, None, long_concurrencies(exp, s))]


def profile_args(model: str, url: str, profile: Profile, s: Settings) -> list[str]:
    """`aiperf profile` arguments but the key, the tokenizer and the artifact folder (flags of
    aiperf/config/flags/cli_config.py at 0.13.0). Output tokens are the server's `usage` (exact for the
    model; the local tokenizer only shapes the prompts). The in-cluster Job runs the same arguments."""
    args = ["profile", "--model", model, "--url", url, "--endpoint-type", "chat", "--streaming",
            "--concurrency", ",".join(str(c) for c in profile.concurrencies),
            "--request-count", str(max(s.requests, max(profile.concurrencies))),
            "--synthetic-input-tokens-mean", str(profile.input_tokens), "--synthetic-input-tokens-stddev", "0",
            "--output-tokens-mean", str(profile.output_tokens), "--output-tokens-stddev", "0",
            "--warmup-request-count", str(max(profile.concurrencies)), "--use-server-token-count",
            "--no-server-metrics", "--random-seed", str(s.seed), "--ui", "simple"]
    if profile.shared_prefix_tokens:
        args += ["--shared-system-prompt-length", str(profile.shared_prefix_tokens)]
    return args


def aiperf_args(model: str, url: str, key: str | None, tokenizer: str, profile: Profile, s: Settings,
                artifacts: str) -> list[str]:
    args = [*profile_args(model, url, profile, s), "--tokenizer", tokenizer, "--artifact-dir", artifacts]
    return args + ["--api-key", key] if key else args
