"""Running AIPerf (the pinned PyPI release in .venv-measure, requirements-measure.txt) and reading its JSON
exports: one `profile_export_aiperf.json` per concurrency step, in `concurrency_<n>/` for a sweep
(aiperf/orchestrator at 0.13.0); the step's metrics in ms and tokens/s become one row of the report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TextIO

from measure.sweep import Profile, Settings, aiperf_args

ROOT = Path(__file__).resolve().parents[1]
EXPORT = "profile_export_aiperf.json"


class BenchmarkError(Exception):
    pass


@dataclass(frozen=True)
class Step:
    concurrency: int
    completed: int
    errors: int
    ttft_p50_ms: float | None
    ttft_p95_ms: float | None
    itl_p50_ms: float | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    output_tokens_per_s: float | None
    """All requests together (the deployment's throughput at this concurrency)."""
    output_tokens_per_s_per_request_p50: float | None
    """One request's decode speed (what a user sees stream)."""
    requests_per_s: float | None
    input_tokens_avg: float | None
    output_tokens_avg: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def venv_bin(name: str) -> Path:
    """`MEASURE_VENV` (default: the Makefile's .venv-measure) holds AIPerf and matplotlib."""
    venv = Path(os.environ.get("MEASURE_VENV", ROOT / ".venv-measure"))
    path = venv / "bin" / name
    if not path.is_file():
        raise BenchmarkError(f"{path} is missing: run `make measure-venv` (installs requirements-measure.txt) "
                             "or set MEASURE_VENV")
    return path


def tokenizer(cache: Path) -> Path:
    """The locally made tokenizer (measure/tokenizer.py), built once per cache directory."""
    out = cache / "tokenizer"
    if not (out / "tokenizer.json").is_file():
        run_py(["-m", "measure.tokenizer", str(out)], "building the local tokenizer")
    return out


def run_py(args: list[str], what: str) -> None:
    done = subprocess.run([str(venv_bin("python")), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, check=False)
    if done.returncode != 0:
        raise BenchmarkError(f"{what} failed:\n{done.stderr[-3000:]}")


def _metric(data: dict[str, Any], name: str, stat: str) -> float | None:
    value = (data.get(name) or {}).get(stat)
    return float(value) if value is not None else None


def step(data: dict[str, Any], concurrency: int) -> Step:
    errors = sum(int(e.get("count", 1)) for e in data.get("error_summary") or [])
    return Step(
        concurrency=concurrency, completed=int(_metric(data, "completed_request_count", "avg")
                                               or _metric(data, "request_count", "avg") or 0),
        errors=errors,
        ttft_p50_ms=_metric(data, "time_to_first_token", "p50"),
        ttft_p95_ms=_metric(data, "time_to_first_token", "p95"),
        itl_p50_ms=_metric(data, "inter_token_latency", "p50"),
        latency_p50_ms=_metric(data, "request_latency", "p50"), latency_p95_ms=_metric(data, "request_latency", "p95"),
        output_tokens_per_s=_metric(data, "output_token_throughput", "avg"),
        output_tokens_per_s_per_request_p50=_metric(data, "output_token_throughput_per_user", "p50"),
        requests_per_s=_metric(data, "request_throughput", "avg"),
        input_tokens_avg=_metric(data, "input_sequence_length", "avg"),
        output_tokens_avg=_metric(data, "output_sequence_length", "avg"))


def read_steps(artifacts: Path, concurrencies: tuple[int, ...]) -> list[Step]:
    """One Step per concurrency; a missing export (the step never ran) is an error naming the step."""
    out = []
    for c in concurrencies:
        path = artifacts / f"concurrency_{c}" / EXPORT
        if len(concurrencies) == 1 and not path.is_file():
            path = artifacts / EXPORT
        if not path.is_file():
            raise BenchmarkError(f"AIPerf wrote no result for concurrency {c} ({path})")
        out.append(step(json.loads(path.read_text()), c))
    return out


def run(model: str, url: str, key: str | None, tok: Path, profile: Profile, s: Settings, artifacts: Path,
        progress: TextIO | None = sys.stdout, timeout: float = 3600) -> list[Step]:
    """Run one profile's sweep; AIPerf's progress bars go to `progress` (and always to aiperf.log). Past
    `timeout` seconds AIPerf is stopped and the run fails."""
    artifacts.mkdir(parents=True, exist_ok=True)
    args = aiperf_args(model, url, key, str(tok), profile, s, str(artifacts))
    # Not HF_HUB_OFFLINE: with it AIPerf 0.13.0 resolves even a local tokenizer directory as a Hub repo id
    # and fails (aiperf/common/tokenizer.py `_from_pretrained_local` -> `_resolve_local_snapshot`); an
    # absolute path is local without it (`resolve_alias`: `path.anchor`), so nothing is fetched.
    env = {**os.environ, "HF_HUB_DISABLE_TELEMETRY": "1", "NO_PROXY": "127.0.0.1,localhost",
           "no_proxy": "127.0.0.1,localhost"}
    with (artifacts / "aiperf.log").open("w") as log:
        proc = subprocess.Popen([str(venv_bin("aiperf")), *args], cwd=artifacts, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, bufsize=1)
        assert proc.stdout is not None
        watchdog = threading.Timer(timeout, proc.kill)
        watchdog.start()
        try:
            for line in proc.stdout:  # ends when AIPerf exits (or the watchdog kills it)
                log.write(line)
                if progress is not None:
                    progress.write(line)
                    progress.flush()
            rc = proc.wait()
        finally:
            watchdog.cancel()
    if rc != 0:
        tail = (artifacts / "aiperf.log").read_text()[-3000:].replace(key or "\0", "***")
        raise BenchmarkError(f"AIPerf failed for {model} ({profile.name}, exit {rc}):\n{tail}")
    return read_steps(artifacts, profile.concurrencies)


def version() -> str:
    done = subprocess.run([str(venv_bin("python")), "-c", "import importlib.metadata as m; print(m.version('aiperf'))"],
                          capture_output=True, text=True, timeout=120, check=False)
    return done.stdout.strip() or "unknown"
