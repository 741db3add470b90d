"""The report: measured against preflight per model, as report.json (for CI) and report.md (for people),
with the plots (measure/plots.py, run in the measure venv for matplotlib). How to read it and how to set
`autoscaling.target` and the alert thresholds from it: docs/measure.md."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from measure.aiperf import Step, run_py
from measure.expected import Expected
from measure.sweep import LONG_CONTEXT, SHARED_PREFIX, Profile

KNEE_FACTOR = 2.0
"""A step whose TTFT p50 is this many times the first step's (and 50 ms more) has requests queueing."""


@dataclass
class ModelResult:
    served_name: str
    expected: Expected | None
    runs: list[tuple[Profile, list[Step]]] = field(default_factory=list)

    def steps(self, profile: str) -> list[Step]:
        return next((s for p, s in self.runs if p.name == profile), [])


def queue_knee(steps: list[Step]) -> int | None:
    """The first concurrency at which requests wait for a slot: TTFT jumps over the first step's."""
    ok = [s for s in steps if s.ttft_p50_ms is not None]
    if not ok:
        return None
    base = ok[0].ttft_p50_ms or 0.0
    for s in ok[1:]:
        if s.ttft_p50_ms > base * KNEE_FACTOR and s.ttft_p50_ms > base + 50:  # type: ignore[operator]
            return s.concurrency
    return None


def within(steps: list[Step], ttft_p95_s: float | None) -> int | None:
    """The highest concurrency up to which every step's TTFT p95 stays within the alert threshold."""
    if ttft_p95_s is None:
        return None
    best = None
    for s in steps:  # in order: the first step past the threshold ends it
        if s.ttft_p95_ms is None or s.ttft_p95_ms > ttft_p95_s * 1000 or s.errors:
            break
        best = s.concurrency
    return best


def compare(r: ModelResult) -> dict[str, Any]:
    """Measured beside predicted: slots (sequences at max length), the TTFT alert, the autoscaling target."""
    exp = r.expected
    long_steps, shared = r.steps(LONG_CONTEXT), r.steps(SHARED_PREFIX)
    replicas = max(exp.replicas, 1) if exp else 1
    knee = queue_knee(long_steps)
    tested = max((s.concurrency for s in long_steps), default=None)
    before = max((s.concurrency for s in long_steps if knee is not None and s.concurrency < knee), default=None)
    ttft = exp.ttft_alert_seconds if exp else None
    within_shared, within_long = within(shared, ttft), within(long_steps, ttft)
    out: dict[str, Any] = {
        "sequences_at_max_length": {"preflight": exp.sequences if exp else None,
                                    "measured_queueing_from": knee, "measured_no_queueing_up_to": before
                                    if knee is not None else tested},
        "ttft_alert_seconds": {"preflight": ttft,
                               "within_up_to_concurrency": {SHARED_PREFIX: within_shared, LONG_CONTEXT: within_long}},
        "autoscaling": {"metric": exp.autoscaling_metric if exp else None,
                        "target": exp.autoscaling_target if exp else None, "suggested_queue_target": None},
    }
    if exp and exp.autoscaling_metric == "queue" and within_long is not None and knee is not None and before:
        # Waiting requests per replica at the last step still within the alert (concurrency beyond the
        # slots measured before the knee): a scaler targeting it adds replicas before the alert fires.
        out["autoscaling"]["suggested_queue_target"] = max(1.0, (within_long - min(before, within_long)) / replicas)
    return out


def as_json(stack: str, url: str, tool: dict[str, str], settings: dict[str, Any],
            results: list[ModelResult]) -> dict[str, Any]:
    return {"stack": stack, "apiBaseUrl": url, "tool": tool, "settings": settings, "models": [
        {"servedName": r.served_name, "expected": r.expected.as_dict() if r.expected else None,
         "profiles": [{**p.as_dict(), "steps": [s.as_dict() for s in steps]} for p, steps in r.runs],
         "comparison": compare(r), "plots": plot_names(r.served_name)} for r in results]}


def slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in name)


def plot_names(served: str) -> dict[str, str]:
    return {"ttft": f"{slug(served)}-ttft.png", "throughput": f"{slug(served)}-throughput.png"}


def _n(v: float | None, fmt: str = "{:.0f}") -> str:
    return "n/a" if v is None else fmt.format(v)


def markdown(report: dict[str, Any]) -> str:
    lines = [f"# Measured: stack `{report['stack']}`", "",
             f"{report['tool']['name']} {report['tool']['version']} against `{report['apiBaseUrl']}` with the app "
             "key. How to read this: docs/measure.md.", ""]
    for m in report["models"]:
        exp, cmp_ = m["expected"] or {}, m["comparison"]
        lines += [f"## {m['servedName']}", "",
                  f"{exp.get('engine', '?')} on {exp.get('gpu') or 'n/a'}, {exp.get('replicas', '?')} replica(s).", "",
                  "| | preflight | measured |", "|---|---|---|"]
        seq = cmp_["sequences_at_max_length"]
        queue = (f"requests queue from concurrency {seq['measured_queueing_from']}" if seq["measured_queueing_from"]
                 else f"no queueing up to concurrency {_n(seq['measured_no_queueing_up_to'])}")
        lines.append(f"| sequences at max length ({_n(exp.get('max_len'))} tokens) | {_n(seq['preflight'])} | {queue} "
                     "(long-context profile) |")
        alert = cmp_["ttft_alert_seconds"]
        w = alert["within_up_to_concurrency"]
        lines.append(f"| TTFT p95 alert threshold | {_n(alert['preflight'], '{:g} s')} | within it up to "
                     f"concurrency {_n(w[SHARED_PREFIX])} (shared prefix), {_n(w[LONG_CONTEXT])} (long context) |")
        sc = cmp_["autoscaling"]
        lines.append(f"| autoscaling target ({sc['metric'] or 'no autoscaling'}) | {_n(sc['target'], '{:g}')} | "
                     f"suggested queue target {_n(sc['suggested_queue_target'], '{:g}')} |")
        lines.append("")
        for prof in m["profiles"]:
            prefix = f", shared prefix {prof['shared_prefix_tokens']}" if prof["shared_prefix_tokens"] else ""
            title = f"{prof['name']} ({prof['input_tokens']} input{prefix}, {prof['output_tokens']} output tokens)"
            lines += [f"### {title}",
                      "", "| concurrency | TTFT p50 ms | TTFT p95 ms | ITL p50 ms | output tok/s | tok/s per request "
                      "| requests/s | errors |", "|---|---|---|---|---|---|---|---|"]
            for s in prof["steps"]:
                lines.append(f"| {s['concurrency']} | {_n(s['ttft_p50_ms'])} | {_n(s['ttft_p95_ms'])} | "
                             f"{_n(s['itl_p50_ms'], '{:.1f}')} | {_n(s['output_tokens_per_s'], '{:.1f}')} | "
                             f"{_n(s['output_tokens_per_s_per_request_p50'], '{:.1f}')} | "
                             f"{_n(s['requests_per_s'], '{:.2f}')} | {s['errors']} |")
            lines.append("")
        lines += [f"![TTFT]({m['plots']['ttft']})", f"![throughput]({m['plots']['throughput']})", ""]
    return "\n".join(lines)


def write(out: Path, report: dict[str, Any]) -> Path:
    """report.json, report.md and the PNG plots into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (out / "report.md").write_text(markdown(report))
    run_py(["-m", "measure.plots", str(out / "report.json"), str(out)], "plotting")
    return out / "report.md"


def failed(data: dict[str, Any]) -> bool:
    """A step with failed requests is not a measurement of the deployment: named, and the exit is 1."""
    bad = [f"{m['servedName']} {p['name']} at concurrency {st['concurrency']}: {st['errors']} failed"
           for m in data["models"] for p in m["profiles"] for st in p["steps"] if st["errors"] or not st["completed"]]
    for b in bad:
        print(f"error: {b}", file=sys.stderr)
    return bool(bad)
