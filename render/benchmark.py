"""The in-cluster benchmark (`python -m measure <stack> --in-cluster`, for private endpoints): a Job in an
app namespace that installs the pinned AIPerf into a pinned Python image, makes the local tokenizer, runs
each profile against the in-cluster API URL with the app key from a Secret, and prints every result as
one marker line the command reads back from the pod log (measure/incluster.py). Details: docs/measure.md."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Any

from render.meta import labels, metadata
from render.placement import PodPlacement

COMPONENT = "benchmark"
MARKER = "TKE-LLM-MEASURE "
"""Prefix of the result lines: `<MARKER>{"profile": ..., "concurrency": ..., "export": {...}}`."""
KEY_FIELD = "api-key"
CONFIG_DIR = "/measure"
WORK_DIR = "/tmp"
FILES = ("requirements.txt", "tokenizer.py", "run.sh")

# Reads AIPerf's exports (one per step: concurrency_<n>/ in a sweep, the top folder for one step) and
# prints each as a marker line; the only program the Job runs besides AIPerf and the tokenizer.
EMIT = """import json, pathlib, sys
root = pathlib.Path(sys.argv[1])
for prof in sorted(p for p in root.iterdir() if p.is_dir()):
    for path in sorted(prof.glob("**/profile_export_aiperf.json")):
        step = path.parent.name
        c = int(step.split("_", 1)[1]) if step.startswith("concurrency_") else int(sys.argv[2])
        print("MARKER" + json.dumps({"profile": prof.name, "concurrency": c,
                                      "export": json.loads(path.read_text())}, separators=(",", ":")), flush=True)
"""


@dataclass(frozen=True)
class BenchmarkRun:
    """One profile: AIPerf's arguments without the key, the tokenizer and the artifact folder."""
    profile: str
    args: tuple[str, ...]
    concurrencies: tuple[int, ...]


@dataclass(frozen=True)
class BenchmarkJobSpec:
    name: str
    namespace: str
    image: str
    requirements: str
    """requirements-measure.txt: the pinned AIPerf and its dependency set."""
    tokenizer_script: str
    """measure/tokenizer.py: the tokenizer made in the pod (no hub access needed)."""
    runs: tuple[BenchmarkRun, ...]
    pip_index_url: str | None = None
    placement: PodPlacement = field(default_factory=PodPlacement)
    deadline_seconds: int = 7200
    cpu: str = "2"
    memory: str = "8Gi"

    @property
    def key_secret(self) -> str:
        return f"{self.name}-key"

    @property
    def config_map(self) -> str:
        return f"{self.name}-files"


def run_script(spec: BenchmarkJobSpec) -> str:
    """Install (skipped when `$AIPERF_VENV` already holds AIPerf, e.g. an image with it), tokenizer, runs."""
    lines = ["set -eu", f'CONFIG="${{MEASURE_CONFIG:-{CONFIG_DIR}}}"', f'WORK="${{MEASURE_WORK:-{WORK_DIR}}}"',
             'VENV="${AIPERF_VENV:-$WORK/venv}"',
             'if [ ! -x "$VENV/bin/aiperf" ]; then',
             '  python3 -m venv "$VENV"',
             '  "$VENV/bin/python" -m pip install --quiet --no-cache-dir --disable-pip-version-check '
             '-r "$CONFIG/requirements.txt"',
             "fi",
             '"$VENV/bin/python" "$CONFIG/tokenizer.py" "$WORK/tokenizer" >/dev/null',
             'rm -rf "$WORK/out" && mkdir -p "$WORK/out"',
             'cd "$WORK"']
    for run in spec.runs:
        args = " ".join(shlex.quote(a) for a in run.args)
        lines.append(f'"$VENV/bin/aiperf" {args} --tokenizer "$WORK/tokenizer" --api-key "$API_KEY" '
                     f'--artifact-dir "$WORK/out/{run.profile}"')
    first = spec.runs[0].concurrencies[0] if spec.runs else 1
    emit = EMIT.replace("MARKER", MARKER)
    lines.append(f'"$VENV/bin/python" -c {shlex.quote(emit)} "$WORK/out" {first}')
    return "\n".join(lines) + "\n"


def files(spec: BenchmarkJobSpec) -> dict[str, Any]:
    obj_labels = labels(COMPONENT, **{"app.kubernetes.io/name": spec.name})
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata(spec.config_map, spec.namespace, obj_labels),
            "data": {"requirements.txt": spec.requirements, "tokenizer.py": spec.tokenizer_script,
                     "run.sh": run_script(spec)}}


def key_secret(spec: BenchmarkJobSpec, key: str) -> dict[str, Any]:
    """The app key, in the Job's namespace for the time of the run (measure/incluster.py deletes it)."""
    obj_labels = labels(COMPONENT, **{"app.kubernetes.io/name": spec.name})
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": metadata(spec.key_secret, spec.namespace, obj_labels), "stringData": {KEY_FIELD: key}}


def job(spec: BenchmarkJobSpec) -> dict[str, Any]:
    """No retry (a second run would mix results); no GPU; the same restricted pod as the download Job."""
    if not spec.runs:
        raise ValueError("a benchmark Job needs at least one run")
    obj_labels = labels(COMPONENT, **{"app.kubernetes.io/name": spec.name})
    env: list[dict[str, Any]] = [
        {"name": "API_KEY", "valueFrom": {"secretKeyRef": {"name": spec.key_secret, "key": KEY_FIELD}}},
        {"name": "HOME", "value": WORK_DIR}, {"name": "HF_HUB_DISABLE_TELEMETRY", "value": "1"}]
    if spec.pip_index_url:
        env.append({"name": "PIP_INDEX_URL", "value": spec.pip_index_url})
    container = {
        "name": "benchmark", "image": spec.image, "imagePullPolicy": "IfNotPresent",
        "command": ["bash", f"{CONFIG_DIR}/run.sh"], "env": env,
        "resources": {"requests": {"cpu": spec.cpu, "memory": spec.memory}, "limits": {"memory": spec.memory}},
        "volumeMounts": [{"name": "files", "mountPath": CONFIG_DIR, "readOnly": True},
                         {"name": "tmp", "mountPath": WORK_DIR}],
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "runAsNonRoot": True, "runAsUser": 65534, "runAsGroup": 65534,
                            "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}},
    }
    pod = spec.placement.apply({
        "containers": [container], "restartPolicy": "Never", "enableServiceLinks": False,
        "automountServiceAccountToken": False, "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
        "volumes": [{"name": "files", "configMap": {"name": spec.config_map}},
                    {"name": "tmp", "emptyDir": {"sizeLimit": "8Gi"}}]})
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": metadata(spec.name, spec.namespace, obj_labels),
            "spec": {"backoffLimit": 0, "activeDeadlineSeconds": spec.deadline_seconds,
                     "ttlSecondsAfterFinished": 86400,
                     "template": {"metadata": {"labels": obj_labels}, "spec": pod}}}
