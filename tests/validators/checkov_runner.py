"""checkov's Kubernetes policies over rendered manifests, with one reviewed skip list.

Invocation (checkov 3.3.30, verified offline):
    checkov --framework kubernetes --skip-download -o json --compact -f <file>   (or -d <dir>)
`--skip-download` keeps it from calling Prisma Cloud for guidelines/severities (no network).
`--quiet` is deliberately not used: it drops passed checks and changes the JSON shape. checkov runs
in a scratch working directory so a stray `.checkov.yaml` cannot add skips behind the list's back.

Exit codes: 0 = no failed checks, 1 = some checks failed; anything else is a crash. checkov also
"passes" when it parsed nothing (broken YAML, missing file: exit 0, resource_count 0), so the file
is parsed here first and checkov's resource count is compared with the built-in objects in it.
Inline suppressions (`checkov.io/skip*` annotations) are reported as errors: the only skip list is
`tests/validators/checkov-skips.yaml`, a YAML list of `{id: CKV_K8S_xx, why: "..."}`, and every entry needs a
non-empty `why`.

Checks that are typically irrelevant for GPU LLM serving, as a starting point for that list (each
still needs a why specific to this project; confirm the id against the failing report):
- CKV_K8S_15 "Image Pull Policy should be Always": serving images are 5-20 GB; with a pinned tag or
  digest, IfNotPresent avoids re-pulling on every restart and scale-up.
- CKV_K8S_43 "Image should use digest": when images are pinned by immutable tag in a mirror.
- CKV_K8S_22 "read-only filesystem": vLLM/torch/triton write caches under HOME and /tmp; skip only
  if mounting an emptyDir for every cache path is impractical.
- CKV_K8S_35 "secrets as files over env vars": vLLM and HF hub read HF_TOKEN / API keys from env.
- CKV_K8S_11 "CPU limits": CPU limits throttle the tokenizer and the HTTP front end under load;
  serving pods usually set CPU requests only (keep memory requests and limits).
- CKV_K8S_8 / CKV_K8S_9 "liveness/readiness probes": not for serving pods; only for run-to-
  completion Jobs (model download), where probes do not apply.
- CKV_K8S_38 "Service Account Tokens only mounted where necessary": only for pods that really
  call the API (e.g. a KEDA or operator component); set automountServiceAccountToken: false elsewhere.
- CKV2_K8S_6 "pods which lack an associated NetworkPolicy": only if the NetworkPolicy is rendered
  into a different file than the pods (checkov's graph check sees one scan at a time).
Note: checkov does not look inside LeaderWorkerSet pod templates (it only knows built-in
workload kinds), so LWS pods get no checkov coverage; review their securityContext by hand.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .builtin import is_builtin
from .common import REPO_ROOT, shorten

DEFAULT_SKIPS_FILE = Path(__file__).with_name("checkov-skips.yaml")
_CHECK_ID = re.compile(r"^CKV2?_K8S_\d+$")
_TIMEOUT_SECONDS = 600


class SkipListError(ValueError):
    """The skip list is malformed; raised, not reported, because it is the reviewed policy itself."""


@dataclass(frozen=True)
class Finding:
    check_id: str
    check_name: str
    resource: str

    def __str__(self) -> str:
        return f"{self.check_id} {self.check_name} on {self.resource}"

    def sort_key(self) -> tuple[str, int, str]:
        """CKV_K8S_8 before CKV_K8S_10, so the report reads in checkov's own order."""
        prefix, _, number = self.check_id.rpartition("_")
        return prefix, int(number) if number.isdigit() else 0, self.resource


def find_checkov() -> Path:
    """`CHECKOV_BIN`, else the Makefile's `.venv-checkov`, else PATH; never a silent skip."""
    if env := os.environ.get("CHECKOV_BIN"):
        path = Path(env)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise FileNotFoundError(f"CHECKOV_BIN={env} is not an executable file")
        return path
    venv = REPO_ROOT / ".venv-checkov" / "bin" / "checkov"
    if venv.is_file():
        return venv
    if found := shutil.which("checkov"):
        return Path(found)
    raise FileNotFoundError("checkov not found: set CHECKOV_BIN, run `make test` (creates .venv-checkov), "
                            "or put checkov on PATH")


def load_skips(skips_file: Path | None = None) -> dict[str, str]:
    """check id -> why, from the skip list (default `tests/validators/checkov-skips.yaml`)."""
    path = skips_file or DEFAULT_SKIPS_FILE
    data = yaml.safe_load(path.read_text())
    if not isinstance(data, list):
        raise SkipListError(f"{path}: must be a YAML list of {{id, why}} entries (use [] for none)")
    skips: dict[str, str] = {}
    for index, entry in enumerate(data):
        if not isinstance(entry, dict) or set(entry) - {"id", "why"}:
            raise SkipListError(f"{path}: entry {index} must be a mapping with only 'id' and 'why': {entry!r}")
        check_id, why = entry.get("id"), entry.get("why")
        if not isinstance(check_id, str) or not _CHECK_ID.match(check_id):
            raise SkipListError(f"{path}: entry {index}: id {check_id!r} is not a checkov Kubernetes check id")
        if not isinstance(why, str) or not why.strip():
            raise SkipListError(f"{path}: entry {index} ({check_id}) needs a non-empty 'why'")
        if check_id in skips:
            raise SkipListError(f"{path}: {check_id} is listed twice")
        skips[check_id] = why.strip()
    return skips


# Kinds checkov 3.3 has Kubernetes checks for. When a file holds none of them, checkov reports
# resource_count 0 for a correct parse, so only these kinds are counted against what it scanned.
CHECKED_KINDS = {"Pod", "Deployment", "DaemonSet", "StatefulSet", "ReplicaSet", "ReplicationController", "Job",
                 "CronJob", "Service", "Ingress", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding",
                 "ServiceAccount", "PodSecurityPolicy"}


def _builtin_object_count(manifests_path: Path) -> int:
    """Built-in objects checkov must have scanned; fewer scanned means it did not parse the file."""
    from . import load_manifests  # late: the package imports this module

    return sum(1 for doc in load_manifests(manifests_path) if is_builtin(doc) and doc.get("kind") in CHECKED_KINDS)


def _reports(payload: Any) -> list[dict[str, Any]]:
    """checkov prints one report object, a list of them, or only a summary when nothing was scanned."""
    reports = payload if isinstance(payload, list) else [payload]
    if not all(isinstance(r, dict) for r in reports):
        raise ValueError("unexpected JSON shape")
    return reports


def parse_report(stdout: str, stderr: str, returncode: int, builtin_objects: int) -> tuple[list[Finding], list[str]]:
    """Failed checks, and problems that mean the scan cannot be trusted (crash, partial parse)."""
    problems = [f"checkov logged: {shorten(line, 400)}" for line in stderr.splitlines()
                if "[ERROR]" in line or line.startswith("Traceback")]
    if returncode not in (0, 1):
        output = shorten(stderr[-2000:] or stdout[-2000:], 1000)
        return [], [f"checkov crashed (exit {returncode}): {output}", *problems]
    try:
        reports = _reports(json.loads(stdout))
    except ValueError as exc:
        return [], [f"checkov output is not a JSON report ({exc}): {shorten(stdout[:500], 300)}", *problems]
    findings: list[Finding] = []
    scanned = 0
    for report in reports:
        summary = report.get("summary", report)
        scanned += int(summary.get("resource_count", 0))
        if summary.get("parsing_errors"):
            problems.append(f"checkov could not parse {summary['parsing_errors']} file(s)")
        results = report.get("results", {})
        for check in results.get("failed_checks", []):
            findings.append(Finding(check["check_id"], check.get("check_name", ""), check.get("resource", "?")))
        for check in results.get("skipped_checks", []):
            problems.append(f"{check['check_id']} suppressed inside the manifest on {check.get('resource', '?')}: "
                            "inline checkov skips are not allowed, add it to tests/validators/checkov-skips.yaml with a why")
    if scanned < builtin_objects:
        problems.append(f"checkov scanned {scanned} resources but the manifests hold {builtin_objects} "
                        "built-in objects: it did not parse them")
    if returncode == 1 and not findings:
        problems.append("checkov exited 1 without reporting a failed check")
    return findings, problems


def run_checkov(manifests_path: Path, skips_file: Path | None = None) -> list[str]:
    """One line per failed check not in the skip list, plus any sign the scan itself went wrong."""
    skips = load_skips(skips_file)
    manifests_path = Path(manifests_path).resolve()
    if not manifests_path.exists():
        return [f"{manifests_path}: does not exist"]
    try:
        expected = _builtin_object_count(manifests_path)
    except (yaml.YAMLError, ValueError) as exc:
        return [f"{manifests_path}: not valid Kubernetes YAML: {shorten(str(exc))}"]
    target = ["-d" if manifests_path.is_dir() else "-f", str(manifests_path)]
    command = [str(find_checkov()), "--framework", "kubernetes", "--skip-download", "-o", "json", "--compact", *target]
    with tempfile.TemporaryDirectory(prefix="checkov-") as scratch:
        try:
            proc = subprocess.run(command, cwd=scratch, capture_output=True, text=True, timeout=_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            return [f"checkov timed out after {_TIMEOUT_SECONDS}s: {' '.join(command)}"]
    findings, problems = parse_report(proc.stdout, proc.stderr, proc.returncode, expected)
    failed = sorted({f for f in findings if f.check_id not in skips}, key=Finding.sort_key)
    return [*problems, *map(str, failed)]
