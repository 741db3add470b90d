"""The report's PNG plots per model: TTFT p50/p95 and output tokens/s against concurrency, one line per
profile. Runs in the measure venv (matplotlib, Agg backend: no display); reads report.json only."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)
from matplotlib.ticker import NullFormatter, ScalarFormatter  # noqa: E402

COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:red")


def _series(prof: dict[str, Any], key: str) -> tuple[list[int], list[float]]:
    pts = [(s["concurrency"], s[key]) for s in prof["steps"] if s[key] is not None]
    return [c for c, _ in pts], [v for _, v in pts]


def _concurrency_axis(ax: Any, model: dict[str, Any]) -> None:
    """Log base 2 (sweeps double), ticked at the measured concurrencies, written as plain numbers."""
    ticks = sorted({s["concurrency"] for p in model["profiles"] for s in p["steps"]})
    ax.set_xscale("log", base=2)
    ax.set_xticks(ticks)
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_ylim(bottom=0)


def ttft(model: dict[str, Any], path: Path) -> None:
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    for color, prof in zip(COLORS, model["profiles"]):
        for key, style in (("ttft_p50_ms", "-o"), ("ttft_p95_ms", "--s")):
            xs, ys = _series(prof, key)
            ax.plot(xs, [y / 1000 for y in ys], style, color=color, label=f"{prof['name']} {key.split('_')[1]}")
    alert = (model["expected"] or {}).get("ttft_alert_seconds")
    if alert:
        ax.axhline(alert, color="red", linewidth=1, label=f"alert threshold {alert:g} s")
    _concurrency_axis(ax, model)
    ax.set(xlabel="concurrency", ylabel="time to first token (s)", title=f"{model['servedName']}: time to first token")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def throughput(model: dict[str, Any], path: Path) -> None:
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    for color, prof in zip(COLORS, model["profiles"]):
        xs, ys = _series(prof, "output_tokens_per_s")
        ax.plot(xs, ys, "-o", color=color, label=f"{prof['name']} all requests")
        xs, ys = _series(prof, "output_tokens_per_s_per_request_p50")
        ax.plot(xs, ys, ":^", color=color, label=f"{prof['name']} per request p50")
    _concurrency_axis(ax, model)
    ax.set(xlabel="concurrency", ylabel="output tokens/s", title=f"{model['servedName']}: output tokens per second")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(report: Path, out: Path) -> None:
    data = json.loads(report.read_text())
    for model in data["models"]:
        ttft(model, out / model["plots"]["ttft"])
        throughput(model, out / model["plots"]["throughput"])


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
