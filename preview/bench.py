"""`make bench`: wall time and peak memory of the offline plan, per shipped stack and for synthetic
stacks of growing size, each render in a fresh interpreter (imports included, as a user runs it).

The dev stack must plan in under 3 s on a 2-core machine, and time must grow linearly with the number
of pools (and models): the figures printed here are the evidence.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from preview.stackfile import ROOT, shipped_stacks

DEV_BUDGET_S = 3.0


def synthetic(pools: int) -> dict[str, Any]:
    """A new-cluster stack with one system pool and `pools` GPU pools, each serving one model."""
    gpu = {"kind": "normal", "instanceType": "PNV4.7XLARGE116", "minSize": 0, "maxSize": 2, "gpu": {"type": "A10", "count": 1}}
    return {
        "cluster": {"kind": "tke", "region": "ap-shanghai", "deletionProtection": False,
                    "network": {"subnets": [{"zone": "ap-shanghai-5", "cidr": "10.0.1.0/24"}]}},
        "nodePools": [{"kind": "normal", "name": "system", "instanceType": "S5.2XLARGE16", "minSize": 1, "maxSize": 3}]
        + [{**copy.deepcopy(gpu), "name": f"gpu{i}"} for i in range(pools)],
        "storage": {"kind": "cfs", "sizeGi": 20 * pools + 100},
        "models": [
            {"name": f"m{i}", "servedName": f"model-{i}", "engine": "vllm", "pool": f"gpu{i}",
             "source": {"kind": "modelscope", "model": "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B", "revision": "v1"},
             "settings": {"maxModelLen": 8192}}
            for i in range(pools)
        ],
    }


def _measure(argv: list[str]) -> tuple[float, float]:
    """Run a command; return (wall seconds, peak RSS MiB) of that child alone."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"render failed: {' '.join(argv)}\n{proc.stderr.read().decode() if proc.stderr else ''}")
    return wall, usage.ru_maxrss / 1024


def stack_config(pools: int) -> dict[str, Any]:
    """The synthetic stack file's `config:` section, as `pulumi config` would hold it."""
    config: dict[str, Any] = {f"tke-llm:{k}": v for k, v in synthetic(pools).items()}
    config["tencentcloud:region"] = config["tke-llm:cluster"]["region"]  # a TKE stack must name it
    return config


def main() -> int:
    rows: list[tuple[str, int, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for stack in shipped_stacks():
            wall, mem = _measure([sys.executable, "-m", "preview", stack, "--out", tmp, "--quiet"])
            count = len(json.loads((Path(tmp) / stack / "resources.json").read_text()))
            rows.append((f"stack {stack}", count, wall, mem))
        for pools in (1, 4, 16, 32):
            stack_dir = Path(tmp) / f"syn{pools}"
            stack_dir.mkdir()
            (stack_dir / "Pulumi.bench.yaml").write_text(json.dumps({"config": stack_config(pools)}))
            wall, mem = _measure([sys.executable, "-m", "preview", "bench", "--stack-dir", str(stack_dir),
                                  "--out", str(stack_dir / "out"), "--quiet"])
            count = len(json.loads((stack_dir / "out" / "bench" / "resources.json").read_text()))
            rows.append((f"synthetic {pools} pools+models", count, wall, mem))
    print(f"{'render':<28} {'resources':>9} {'wall s':>8} {'peak MiB':>9}")
    for name, count, wall, mem in rows:
        print(f"{name:<28} {count:>9} {wall:>8.2f} {mem:>9.0f}")
    dev = next((r for r in rows if r[0] == "stack dev"), None)
    if dev and dev[2] > DEV_BUDGET_S:
        print(f"FAIL: the dev plan took {dev[2]:.2f}s, over the {DEV_BUDGET_S}s budget")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
