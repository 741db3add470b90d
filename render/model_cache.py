"""Download model weights once, before any GPU waits for them.

Shared storage: one Job per model on the CPU system pool; local NVMe: a DaemonSet on the GPU nodes. Both
run the same script: idempotent (a completion marker per revision), atomic (a partial directory renamed
into place), pruned (at most two revisions per model). Tools: `hf download` and `modelscope download`
pip-installed into a pinned Python image, or the Ollama image. Pins, sources and the Job's lifecycle
(no TTL; failed Jobs replaced on the next `up`): docs/model-cache.md.
"""

from __future__ import annotations

import hashlib
import math
import posixpath
import re
import shlex
from dataclasses import dataclass
from typing import Any, Literal

from render.awaits import replaced_when_unready
from render.files import source as source_file
from render.engines.spec import OLLAMA_DIR, SUPER_NODE_ROOT_DISK, ModelVolume
from render.meta import labels, metadata
from render.mirror import MirrorSpec
from render.placement import PodPlacement

Source = Literal["huggingface", "modelscope", "ollama"]
SOURCES: tuple[Source, ...] = ("huggingface", "modelscope", "ollama")

PYTHON_IMAGE = "python:3.12.12-slim-bookworm"
OLLAMA_IMAGE = "ollama/ollama:0.32.15"
HF_REQUIREMENTS = ("huggingface_hub==1.33.0", "hf-xet==1.8.0")
"""hf-xet is a plain dependency of huggingface_hub 1.33.0 (its METADATA: `hf-xet<2.0.0,>=1.6.0` on x86_64 and
arm64; the `hf_xet` extra no longer exists), pinned here so the Job installs what was tested."""
MODELSCOPE_REQUIREMENTS = ("modelscope-hub==0.5.1",)
S3_REQUIREMENTS = ("boto3==1.44.18",)
"""The weight mirror's client (render/files/mirror_sync.py), the pin of requirements-s3.txt that the
tests run it with against the S3 stand-in."""
MirrorRole = Literal["fill", "read", "seed", "upload"]
"""How a Job uses the mirror: `fill` (shared storage: the mirror, else the hub), `upload` (shared storage:
the volume's complete copy -> the mirror, after the fill, while the servers already load), `read` (local
disks: the mirror only, never the hub), `seed` (local storage's one-time Job: hub -> mirror)."""
DOWNLOAD_WORKERS = 8
"""Files fetched at once: `hf download --max-workers` (default 8) and `modelscope download --max-workers`
(default 4) in huggingface_hub 1.33.0 cli/download.py and modelscope-hub 0.5.1 cli/download.py."""
VERIFY_WORKERS = 4
"""Files hashed at once by the download check (its VERIFY_WORKERS env); the Job's CPU node has the cores."""
VERIFY_ROUNDS = 3
"""Downloads of one source before files that keep failing verification fail the Job (each pod retry
starts again at 1)."""
TOOLS_DIR = "/tmp/tools"
COMPONENT = "model-download"
MARKER_PREFIX = ".tke-llm-complete-"
OLLAMA_START_SECONDS = 120
MAX_JOB_NAME = 63
"""The Job controller copies the Job name into the `job-name` pod label, which allows 63 characters."""

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class ModelSource:
    kind: Source
    model_id: str
    """Hub repository (`Qwen/Qwen3-14B`, `deepseek-ai/DeepSeek-R1`) or, for Ollama, the tag to pull
    (`deepseek-r1:7b`)."""
    revision: str
    """Branch, tag or commit for the hubs (pin a commit for reproducible weights). Ollama tags are
    mutable: use the manifest digest or any label, changing it forces a re-pull."""
    endpoint: str | None = None
    """Hub mirror: HF_ENDPOINT (e.g. https://hf-mirror.com) or MODELSCOPE_ENDPOINT. Not for Ollama."""
    token_secret: str | None = None
    """Secret holding an access token for gated repositories (HF_TOKEN / MODELSCOPE_API_TOKEN)."""
    token_key: str = "token"

    def __post_init__(self) -> None:
        if self.kind not in SOURCES:
            raise ValueError(f"source {self.kind!r} is not one of {', '.join(SOURCES)}")
        if not self.model_id or not self.revision:
            raise ValueError("model_id and revision must not be empty")
        if self.kind == "ollama" and (self.endpoint or self.token_secret):
            raise ValueError("Ollama pulls from its own registry: endpoint and token_secret are not supported")


def download_id(source: ModelSource) -> str:
    """sha256 of (source, id, revision), 8 hex characters: a new revision is a new object."""
    raw = "\n".join((source.kind, source.model_id, source.revision))
    return hashlib.sha256(raw.encode()).hexdigest()[:8]


def download_name(name: str, source: ModelSource, kind: str = "download") -> str:
    """`<kind>-<name>-<hash8>`, with the name part shortened to stay a valid 63-character label."""
    suffix = f"-{download_id(source)}"
    room = MAX_JOB_NAME - len(kind) - 1 - len(suffix)
    return f"{kind}-{name[:room].rstrip('-')}{suffix}"


def marker_name(source: ModelSource) -> str:
    """`.tke-llm-complete-<revision>` in the model's directory; Ollama's store is shared by every model,
    so its marker also names the tag."""
    rev = _UNSAFE.sub("_", source.revision)
    if source.kind == "ollama":
        return f"{MARKER_PREFIX}{_UNSAFE.sub('_', source.model_id)}-{rev}"
    return f"{MARKER_PREFIX}{rev}"


def download_timeout_seconds(size_gb: float, bandwidth_mbps: float) -> int:
    """Deadline for a download: transfer time at the given bandwidth (GB -> megabits: x 8000), x 1.5
    for hub throttling, retries and checksum verification, plus 600 s for scheduling, the image pull and
    the tool install. DeepSeek-R1 (642 GB) at 100 Mbps: 51,360 s of transfer (14.3 h; the guide
    measured 16+ h) -> a 77,640 s (21.6 h) deadline."""
    if size_gb <= 0 or bandwidth_mbps <= 0:
        raise ValueError("size_gb and bandwidth_mbps must be positive")
    return math.ceil(size_gb * 8000 / bandwidth_mbps * 1.5 + 600)


def _finish(keep_running: bool) -> str:
    # A DaemonSet must restart its containers (restartPolicy Always), so its pod sleeps once done.
    return "exec sleep infinity" if keep_running else "exit 0"


# Script fragments the download, fill, seed and upload scripts share.
_VOLUME_DONE = """\
set -euo pipefail
final="$MODEL_ROOT/$MODEL_DIR"
if [ -f "$final/$MARKER" ]; then
  echo "complete: $MODEL_ID@$MODEL_REVISION in $final"
  @FINISH@
fi
staging="$final.partial-$DOWNLOAD_ID"
mkdir -p "$staging"
"""
"""Stop when the volume holds the revision (its marker); else the partial directory to fill."""
_INSTALL = """\
python -m pip install --quiet --no-cache-dir --disable-pip-version-check --root-user-action=ignore \\
  --only-binary=:all: --target @TOOLS@ @REQUIREMENT@
export PATH="@TOOLS@/bin:$PATH" PYTHONPATH="@TOOLS@"
"""
"""The pinned tools, installed into the pod's /tmp (the root file system is read-only)."""
_SYNC = """\
mirror_sync() {
  python - "$@" <<'MIRROR'
@SYNC@MIRROR
}
"""
"""render/files/mirror_sync.py as a bash function."""
_IN_MIRROR = """\
status=0
mirror_sync present || status=$?
if [ "$status" -eq 0 ]; then
  echo "complete: the mirror holds $MODEL_ID@$MODEL_REVISION"
  exit 0
elif [ "$status" -ne 1 ]; then
  echo "the mirror cannot be used (see above): fix modelCache.mirror or its keys" >&2
  exit "$status"
fi
"""
"""Stop when the mirror holds the revision; a bucket that cannot be used fails the pod, naming it."""

_HUB_SCRIPT = _VOLUME_DONE + _INSTALL + """\
@FETCH@
fetch_verified "$MODEL_ID" "$MODEL_REVISION" "$staging"
touch "$staging/$MARKER"
rm -rf "$final.old"
if [ -e "$final" ]; then mv "$final" "$final.old"; fi
mv "$staging" "$final"
rm -rf "$final.old"
echo "downloaded $MODEL_ID@$MODEL_REVISION to $final"
@PRUNE@@FINISH@
"""

# One source into one directory: the tool's parallel download (it skips the files it finished; modelscope-hub
# resumes a partial file with a Range request, huggingface_hub 1.33.0 does not: each run writes a
# process-unique `<etag>.<uuid>.incomplete` (file_download.py _download_to_tmp_and_move, PR #4228) that a
# killed run leaves behind, so those are removed first), then every file checked against the hub's listing
# (render/files/verify_download.py). Files that fail are removed and the tool runs again for them.
# Exit 3 of the check means "files removed, fetch again"; any other failure stops the Job.
_FETCH = """fetch_verified() {
  local id="$1" revision="$2" dir="$3" round=1 status
  while true; do
@CLEAN@    @DOWNLOAD@ "$id" --revision "$revision" --local-dir "$dir" --max-workers "$DOWNLOAD_WORKERS"
    status=0
    python - @KIND@ "$id" "$revision" "$dir" <<'VERIFY' || status=$?
@VERIFY@VERIFY
    if [ "$status" -eq 0 ]; then return 0; fi
    if [ "$status" -ne 3 ] || [ "$round" -ge @ROUNDS@ ]; then
      echo "$id@$revision: files still differ from the hub's listing after $round download(s)" >&2
      return 1
    fi
    round=$((round + 1))
  done
}"""

# Old revisions of this model id, once a new one is complete: only with the per-revision layout
# (`.../<model id>/<revision>`, KEEP_REVISIONS set by the renderer), and only directories that hold our
# own marker for their own name (never a hand-copied model, a partial download, or another model).
# Kept: the new revision, every revision a model of the stack is configured with (KEEP_REVISIONS, one
# a line), and the newest other complete one (what the servers run until their rollout has ended).
_PRUNE = """if [ -n "${KEEP_REVISIONS+x}" ] && [ "$(basename "$final")" = "$MODEL_REVISION" ]; then
  parent="$(dirname "$final")"
  previous=""
  previous_time=0
  for dir in "$parent"/*; do
    rev="$(basename "$dir")"
    if [ "$dir" = "$final" ] || [ ! -f "$dir/@PREFIX@$rev" ]; then continue; fi
    done_at="$(stat -c %Y "$dir/@PREFIX@$rev")"
    if [ "$done_at" -gt "$previous_time" ]; then previous="$dir"; previous_time="$done_at"; fi
  done
  for dir in "$parent"/*; do
    rev="$(basename "$dir")"
    if [ "$dir" = "$final" ] || [ "$dir" = "$previous" ] || [ ! -f "$dir/@PREFIX@$rev" ]; then continue; fi
    if printf '%s\n' "$KEEP_REVISIONS" | grep -Fxq -- "$rev"; then continue; fi
    echo "removing old revision $rev of $MODEL_ID"
    rm -rf "$dir"
  done
fi
"""

_OLLAMA_SCRIPT = """\
set -euo pipefail
if [ -f "$OLLAMA_MODELS/$MARKER" ]; then
  echo "complete: $MODEL_ID ($MODEL_REVISION) in $OLLAMA_MODELS"
  @FINISH@
fi
mkdir -p "$OLLAMA_MODELS"
ollama serve &
server=$!
deadline=$((SECONDS + @START@))
until ollama list >/dev/null 2>&1; do
  if ! kill -0 "$server" 2>/dev/null; then echo "ollama serve exited" >&2; exit 1; fi
  if [ "$SECONDS" -ge "$deadline" ]; then echo "ollama serve did not answer in @START@s" >&2; exit 1; fi
  sleep 1
done
ollama pull "$MODEL_ID"
kill "$server"
wait "$server" || true
touch "$OLLAMA_MODELS/$MARKER"
echo "pulled $MODEL_ID to $OLLAMA_MODELS"
@FINISH@
"""


# With a mirror (docs/model-cache.md, "Mirror"): the volume's marker, else the mirror's copy (every file
# checked against its manifest), else the hub; the upload Job then copies the volume's verified copy.
# Exit 3 of the fetch: objects that stayed corrupt were removed from the mirror with its marker, so the hub
# refills them; 4 here: no complete copy in the mirror.
_MIRROR_SCRIPT = _VOLUME_DONE + _INSTALL + """\
@FETCH@
""" + _SYNC + """\
status=0
mirror_sync present || status=$?
if [ "$status" -eq 0 ]; then
  echo "filling $final from the mirror"
  mirror_sync fetch "$staging" || status=$?
elif [ "$status" -eq 1 ]; then
  status=4
  echo "the mirror holds no complete copy of $MODEL_ID@$MODEL_REVISION"
else
  echo "the mirror cannot be used (see above): fix modelCache.mirror or its keys" >&2
  exit "$status"
fi
if [ "$status" -ne 0 ]; then
  if [ "$status" -ne 3 ] && [ "$status" -ne 4 ]; then exit "$status"; fi
@HUB@
fi
touch "$staging/$MARKER"
rm -rf "$final.old"
if [ -e "$final" ]; then mv "$final" "$final.old"; fi
mv "$staging" "$final"
rm -rf "$final.old"
echo "ready: $MODEL_ID@$MODEL_REVISION in $final"
@PRUNE@@FINISH@
"""
_HUB = """\
  fetch_verified "$MODEL_ID" "$MODEL_REVISION" "$staging"
"""
_MIRROR_ONLY = """\
  echo "$MODEL_ID@$MODEL_REVISION: no verified copy in the mirror yet; nodes never fetch from the hub, \\
the mirror's fill Job does (see its logs); retrying" >&2
  exit 1
"""
_SEED_SCRIPT = "set -euo pipefail\n" + _INSTALL + "@FETCH@\n" + _SYNC + _IN_MIRROR + """\
staging="$MODEL_ROOT/$MODEL_DIR"
mkdir -p "$staging"
fetch_verified "$MODEL_ID" "$MODEL_REVISION" "$staging"
mirror_sync upload "$staging"
"""


# The upload Job: the volume's complete copy (its marker) into the mirror, marker object last; a mirror
# that holds the revision already is left alone. It reads the volume only (mounted read-only).
_UPLOAD_SCRIPT = """\
set -euo pipefail
final="$MODEL_ROOT/$MODEL_DIR"
if [ ! -f "$final/$MARKER" ]; then
  echo "no complete copy of $MODEL_ID@$MODEL_REVISION in $final: the download Job writes it first" >&2
  exit 1
fi
""" + _INSTALL + _SYNC + _IN_MIRROR + """\
mirror_sync upload "$final"
"""


def mirror_script(source: ModelSource, role: MirrorRole, keep_running: bool = False) -> str:
    """The download script of a hub source with a mirror (`role`: MirrorRole); constant per source like
    download_script, every value from the environment."""
    if source.kind == "ollama":
        raise ValueError("Ollama pulls from its own registry: the weight mirror does not apply")
    hub = HF_REQUIREMENTS if source.kind == "huggingface" else MODELSCOPE_REQUIREMENTS
    requirements = S3_REQUIREMENTS if role in ("read", "upload") else (*hub, *S3_REQUIREMENTS)
    template = {"seed": _SEED_SCRIPT, "upload": _UPLOAD_SCRIPT}.get(role, _MIRROR_SCRIPT)
    return (
        template.replace("@HUB@", _MIRROR_ONLY if role == "read" else _HUB)
        .replace("@TOOLS@", TOOLS_DIR)
        .replace("@REQUIREMENT@", " ".join(f"'{r}'" for r in requirements))
        .replace("@FETCH@", "" if role in ("read", "upload") else fetch_function(source.kind))
        .replace("@SYNC@", source_file("mirror_sync.py"))
        .replace("@PRUNE@", _PRUNE.replace("@PREFIX@", MARKER_PREFIX))
        .replace("@FINISH@", _finish(keep_running))
    )


def download_script(source: ModelSource, keep_running: bool = False) -> str:
    """A constant script per source: every configured value (id, revision, paths) comes from the
    environment, so nothing from the stack config is ever parsed by the shell."""
    finish = _finish(keep_running)
    if source.kind == "ollama":
        return _OLLAMA_SCRIPT.replace("@START@", str(OLLAMA_START_SECONDS)).replace("@FINISH@", finish)
    requirements, tool = (
        (HF_REQUIREMENTS, "hf download") if source.kind == "huggingface"
        else (MODELSCOPE_REQUIREMENTS, "modelscope download")
    )
    return (
        _HUB_SCRIPT.replace("@TOOLS@", TOOLS_DIR)
        .replace("@REQUIREMENT@", " ".join(f"'{r}'" for r in requirements))
        .replace("@FETCH@", fetch_function(source.kind))
        .replace("@PRUNE@", _PRUNE.replace("@PREFIX@", MARKER_PREFIX))
        .replace("@FINISH@", finish)
    )


_HF_STALE = """    if [ -d "$dir/.cache/huggingface/download" ]; then
      find "$dir/.cache/huggingface/download" -type f -name '*.incomplete' -delete
    fi
"""


def fetch_function(kind: Source) -> str:
    """The bash function `fetch_verified ID REVISION DIR` for a hub source: one call per repository
    (the model, and any adapter the same Job fetches), with the tools already on PATH."""
    if kind == "ollama":
        raise ValueError("Ollama pulls with `ollama pull`, not a hub tool")
    clean = _HF_STALE if kind == "huggingface" else ""
    return (
        _FETCH.replace("@CLEAN@", clean)
        .replace("@DOWNLOAD@", "hf download" if kind == "huggingface" else "modelscope download")
        .replace("@KIND@", kind)
        .replace("@ROUNDS@", str(VERIFY_ROUNDS))
        .replace("@VERIFY@", source_file("verify_download.py"))
    )


Adapters = tuple[tuple[ModelSource, str], ...]
"""LoRA adapters fetched by a model's download: (source, directory under the volume root) each."""
_HUB_VARIABLES = ("KEEP_REVISIONS", "HF_ENDPOINT", "HF_TOKEN", "MODELSCOPE_ENDPOINT", "MODELSCOPE_API_TOKEN")
"""The base download's own settings, which an adapter's run must not inherit (no pruning, no token)."""


def _adapter_runs(adapters: Adapters) -> str:
    """Each adapter through the base weights' own script for its source (marker per revision, partial
    directory, resume), with the adapter's values from ADAPTER_<i>_* variables; run before the base
    script, which ends the container as before. Nothing from the config is parsed by the shell."""
    lines = ["set -euo pipefail"] if adapters else []
    for i, (src, _) in enumerate(adapters):
        if src.kind == "ollama":
            raise ValueError("LoRA adapters come from Hugging Face or ModelScope, not the Ollama library")
        endpoint = f' {"HF" if src.kind == "huggingface" else "MODELSCOPE"}_ENDPOINT="$ADAPTER_{i}_ENDPOINT"' \
            if src.endpoint else ""
        unset = " ".join(f"-u {v}" for v in _HUB_VARIABLES)
        values = " ".join(f'{var}="$ADAPTER_{i}_{key}"' for var, key in (
            ("MODEL_ID", "ID"), ("MODEL_REVISION", "REVISION"), ("MODEL_DIR", "DIR"), ("MARKER", "MARKER"),
            ("DOWNLOAD_ID", "DOWNLOAD_ID")))
        lines.append(f"env {unset} {values}{endpoint} bash -c {shlex.quote(download_script(src))}")
    return "".join(line + "\n" for line in lines)


def _adapter_env(adapters: Adapters, base: Source) -> list[dict[str, Any]]:
    env: list[dict[str, Any]] = []
    for i, (src, directory) in enumerate(adapters):
        env += [{"name": f"ADAPTER_{i}_ID", "value": src.model_id},
                {"name": f"ADAPTER_{i}_REVISION", "value": src.revision},
                {"name": f"ADAPTER_{i}_DIR", "value": directory},
                {"name": f"ADAPTER_{i}_MARKER", "value": marker_name(src)},
                {"name": f"ADAPTER_{i}_DOWNLOAD_ID", "value": download_id(src)}]
        if src.endpoint:
            env.append({"name": f"ADAPTER_{i}_ENDPOINT", "value": src.endpoint})
    kinds = {src.kind for src, _ in adapters} - {base}
    if "huggingface" in kinds:
        env += [{"name": "HF_HOME", "value": "/tmp/hf"}, {"name": "HF_HUB_DISABLE_TELEMETRY", "value": "1"},
                {"name": "HF_XET_CHUNK_CACHE_SIZE_BYTES", "value": "0"}, {"name": "HF_XET_HIGH_PERFORMANCE", "value": "1"}]
    if "modelscope" in kinds:
        env.append({"name": "MODELSCOPE_CACHE", "value": "/tmp/modelscope"})
    return env


def _env(source: ModelSource, volume: ModelVolume, model_dir: str, pip_index_url: str | None,
         keep_revisions: tuple[str, ...] | None = None, workers: int = DOWNLOAD_WORKERS) -> list[dict[str, Any]]:
    env: list[dict[str, Any]] = [
        {"name": "MODEL_ID", "value": source.model_id},
        {"name": "MODEL_REVISION", "value": source.revision},
        {"name": "MARKER", "value": marker_name(source)},
        # The images' tools write caches and keys under $HOME; the root file system is read-only.
        {"name": "HOME", "value": "/tmp"},
    ]
    if source.kind == "ollama":
        return env + [
            {"name": "OLLAMA_MODELS", "value": posixpath.join(volume.mount_path, OLLAMA_DIR)},
            # Pruning at start-up would delete the partial blobs of another model's running pull.
            {"name": "OLLAMA_NOPRUNE", "value": "1"},
        ]
    env += [
        {"name": "MODEL_ROOT", "value": volume.mount_path},
        {"name": "MODEL_DIR", "value": model_dir},
        {"name": "DOWNLOAD_ID", "value": download_id(source)},
        {"name": "PYTHONUNBUFFERED", "value": "1"},
        {"name": "DOWNLOAD_WORKERS", "value": str(workers)},
        {"name": "VERIFY_WORKERS", "value": str(VERIFY_WORKERS)},
    ]
    if pip_index_url:
        env.append({"name": "PIP_INDEX_URL", "value": pip_index_url})
    if keep_revisions is not None:
        env.append({"name": "KEEP_REVISIONS", "value": "\n".join(sorted(set(keep_revisions)))})
    if source.kind == "huggingface":
        env += [
            {"name": "HF_HOME", "value": "/tmp/hf"},
            {"name": "HF_HUB_DISABLE_TELEMETRY", "value": "1"},
            # hf_xet keeps a 10 GB chunk cache by default: useless for a one-time copy, and it would
            # fill the pod's scratch space.
            {"name": "HF_XET_CHUNK_CACHE_SIZE_BYTES", "value": "0"},
            # Xet's high-performance mode: more concurrent range fetches and larger buffers (read by
            # huggingface_hub 1.33.0 constants.py and by hf_xet 1.8.0 itself); the Job has the CPU pool's
            # cores and memory to itself.
            {"name": "HF_XET_HIGH_PERFORMANCE", "value": "1"},
        ]
        endpoint_var, token_var = "HF_ENDPOINT", "HF_TOKEN"
    else:
        env.append({"name": "MODELSCOPE_CACHE", "value": "/tmp/modelscope"})
        endpoint_var, token_var = "MODELSCOPE_ENDPOINT", "MODELSCOPE_API_TOKEN"
    if source.endpoint:
        env.append({"name": endpoint_var, "value": source.endpoint})
    if source.token_secret:
        env.append(
            {"name": token_var, "valueFrom": {"secretKeyRef": {"name": source.token_secret, "key": source.token_key}}}
        )
    return env


def _container(
    source: ModelSource,
    *,
    volume: ModelVolume,
    model_dir: str,
    image: str | None,
    pip_index_url: str | None,
    cpu: str,
    memory: str,
    keep_running: bool,
    keep_revisions: tuple[str, ...] | None = None,
    workers: int = DOWNLOAD_WORKERS,
    adapters: Adapters = (),
    mirror: MirrorSpec | None = None,
    mirror_role: MirrorRole = "fill",
) -> dict[str, Any]:
    """Root is kept (the storage's top directory is root-owned: NFS/CFS exports and hostPath both),
    but with every capability dropped it cannot override file permissions, and the root file system is
    read-only: the tools run from /tmp, an emptyDir."""
    if mirror is not None and source.kind == "ollama":
        raise ValueError("Ollama pulls from its own registry: the weight mirror does not apply")
    if source.kind != "ollama":
        normalized = posixpath.normpath(model_dir) if model_dir else ""
        if not model_dir or model_dir.startswith("/") or normalized.startswith("..") or normalized == ".":
            raise ValueError(f"model_dir {model_dir!r} must be a path relative to the volume root")
    default_image = OLLAMA_IMAGE if source.kind == "ollama" else PYTHON_IMAGE
    c: dict[str, Any] = {
        "name": "download",
        "image": image or default_image,
        "imagePullPolicy": "IfNotPresent",
        "command": ["bash", "-c", _adapter_runs(adapters) + (
            mirror_script(source, mirror_role, keep_running) if mirror is not None
            else download_script(source, keep_running))],
        "env": _env(source, volume, model_dir, pip_index_url, keep_revisions, workers)
        + _adapter_env(adapters, source.kind) + (mirror.sync_env(model_dir, workers) if mirror is not None else []),
        "resources": {"requests": {"cpu": cpu, "memory": memory}, "limits": {"memory": memory}},
        "volumeMounts": [
            {"name": "model", "mountPath": volume.mount_path},
            {"name": "tmp", "mountPath": "/tmp"},
        ],
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
    }
    if mirror_role == "upload":
        c["volumeMounts"][0]["readOnly"] = True
    if keep_running:
        # READY on `kubectl get ds` = nodes holding complete weights (and what an await can wait on).
        done = (
            posixpath.join(volume.mount_path, OLLAMA_DIR, marker_name(source))
            if source.kind == "ollama"
            else posixpath.join(volume.mount_path, model_dir, marker_name(source))
        )
        markers = [done] + [posixpath.join(volume.mount_path, d, marker_name(a)) for a, d in adapters]
        test = ["test", "-f", markers[0]] + [w for m in markers[1:] for w in ("-a", "-f", m)]
        c["readinessProbe"] = {"exec": {"command": test}, "periodSeconds": 30}
    return c


def _pod_spec(
    container: dict[str, Any],
    model_volume: dict[str, Any],
    *,
    restart_policy: str,
    placement: PodPlacement,
) -> dict[str, Any]:
    pod: dict[str, Any] = {
        "containers": [container],
        "volumes": [model_volume, {"name": "tmp", "emptyDir": {"sizeLimit": "8Gi"}}],
        "restartPolicy": restart_policy,
        "enableServiceLinks": False,
        "automountServiceAccountToken": False,
        "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
    }
    return placement.apply(pod)


def download_job(
    name: str,
    namespace: str,
    source: ModelSource,
    *,
    volume: ModelVolume,
    model_dir: str,
    placement: PodPlacement,
    budget_seconds: int,
    image: str | None = None,
    pip_index_url: str | None = None,
    root_disk_gb: int | None = None,
    cpu: str = "1",
    memory: str = "4Gi",
    extra_labels: dict[str, str] | None = None,
    keep_revisions: tuple[str, ...] | None = None,
    retries: int = 6,
    workers: int = DOWNLOAD_WORKERS,
    adapters: Adapters = (),
    mirror: MirrorSpec | None = None,
) -> dict[str, Any]:
    """The one-time download into shared storage, on the CPU system pool (`placement`), with no GPU;
    without a system pool, the placement's affinity keeps it off the GPU nodes (derive/placement.py).

    `budget_seconds` -> activeDeadlineSeconds; backoffLimit `retries` with restartPolicy Never (each retry
    a new pod, failed pods kept for `kubectl logs`); `root_disk_gb` -> the super-node root-cbs-size
    annotation; `keep_revisions`: older revisions are removed but for these and the newest previous one.
    `mirror`: fill from the weight mirror, else from the hub and then fill the mirror. docs/model-cache.md."""
    if volume.pvc_name is None:
        raise ValueError("download_job writes shared storage; local disks use node_downloader_daemonset")
    if budget_seconds < 60:
        raise ValueError(f"budget_seconds {budget_seconds} is too short for any model download")
    job_name = download_name(name, source)
    obj_labels = labels(COMPONENT, **{**(extra_labels or {}), "app.kubernetes.io/name": job_name})
    container = _container(
        source, volume=volume, model_dir=model_dir, image=image, pip_index_url=pip_index_url,
        cpu=cpu, memory=memory, keep_running=False, keep_revisions=keep_revisions, workers=workers,
        adapters=adapters, mirror=mirror, mirror_role="fill",
    )  # fmt: skip
    model_volume = {"name": "model", "persistentVolumeClaim": {"claimName": volume.pvc_name}}
    template_meta: dict[str, Any] = {"labels": obj_labels}
    if root_disk_gb is not None:
        template_meta["annotations"] = {SUPER_NODE_ROOT_DISK: str(root_disk_gb)}
    return replaced_when_unready({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": metadata(job_name, namespace, obj_labels),
        "spec": {
            "backoffLimit": retries,
            "activeDeadlineSeconds": budget_seconds,
            "template": {
                "metadata": template_meta,
                "spec": _pod_spec(
                    container, model_volume, restart_policy="Never", placement=placement,
                ),
            },
        },
    })


def node_downloader_daemonset(
    name: str,
    namespace: str,
    source: ModelSource,
    *,
    volume: ModelVolume,
    model_dir: str,
    placement: PodPlacement,
    image: str | None = None,
    pip_index_url: str | None = None,
    cpu: str = "1",
    memory: str = "4Gi",
    extra_labels: dict[str, str] | None = None,
    keep_revisions: tuple[str, ...] | None = None,
    workers: int = DOWNLOAD_WORKERS,
    adapters: Adapters = (),
    mirror: MirrorSpec | None = None,
) -> dict[str, Any]:
    """Per-node download for local storage: a DaemonSet on the GPU nodes (their selector and
    tolerations), writing the host directory.

    DaemonSets only allow `restartPolicy: Always`, so the script downloads, then sleeps; a restart finds
    the marker. With a `mirror`, nodes fill from it only (mirror_seed_job fills it). Needs a namespace
    whose Pod Security level allows hostPath volumes (`baseline` does not). See docs/model-cache.md."""
    if volume.host_path is None:
        raise ValueError("node_downloader_daemonset fills local disks; shared storage uses download_job")
    ds_name = download_name(name, source)
    selector = {"app.kubernetes.io/name": ds_name, "app.kubernetes.io/component": COMPONENT}
    obj_labels = labels(COMPONENT, **{**(extra_labels or {}), "app.kubernetes.io/name": ds_name})
    container = _container(
        source, volume=volume, model_dir=model_dir, image=image, pip_index_url=pip_index_url,
        cpu=cpu, memory=memory, keep_running=True, keep_revisions=keep_revisions, workers=workers,
        adapters=adapters, mirror=mirror, mirror_role="read",
    )  # fmt: skip
    model_volume = {"name": "model", "hostPath": {"path": volume.host_path, "type": "DirectoryOrCreate"}}
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": metadata(ds_name, namespace, obj_labels),
        "spec": {
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {"labels": obj_labels},
                "spec": _pod_spec(container, model_volume, restart_policy="Always", placement=placement),
            },
        },
    }


SEED_ROOT = "/stage"
SEED_PREFIX = "mirror-"


def mirror_upload_job(
    name: str,
    namespace: str,
    source: ModelSource,
    *,
    mirror: MirrorSpec,
    volume: ModelVolume,
    model_dir: str,
    placement: PodPlacement,
    budget_seconds: int,
    image: str | None = None,
    pip_index_url: str | None = None,
    cpu: str = "1",
    memory: str = "4Gi",
    retries: int = 6,
    workers: int = DOWNLOAD_WORKERS,
) -> dict[str, Any]:
    """Shared storage with a mirror: after the download Job, the volume's verified copy goes to the mirror
    (skipping objects already there, manifest and marker last) in a Job of its own, so servers that read
    the volume start loading instead of waiting for it; streaming servers wait for it."""
    if volume.pvc_name is None:
        raise ValueError("mirror_upload_job reads shared storage; local disks use mirror_seed_job")
    job_name = download_name(name, source, "upload")
    obj_labels = labels(COMPONENT, **{"app.kubernetes.io/name": job_name})
    container = _container(
        source, volume=volume, model_dir=model_dir, image=image, pip_index_url=pip_index_url, cpu=cpu,
        memory=memory, keep_running=False, workers=workers, mirror=mirror, mirror_role="upload",
    )  # fmt: skip
    model_volume = {"name": "model", "persistentVolumeClaim": {"claimName": volume.pvc_name, "readOnly": True}}
    return replaced_when_unready({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": metadata(job_name, namespace, obj_labels),
        "spec": {
            "backoffLimit": retries,
            "activeDeadlineSeconds": budget_seconds,
            "template": {
                "metadata": {"labels": obj_labels},
                "spec": _pod_spec(container, model_volume, restart_policy="Never", placement=placement),
            },
        },
    })


def mirror_seed_job(
    name: str,
    namespace: str,
    source: ModelSource,
    *,
    mirror: MirrorSpec,
    model_dir: str,
    placement: PodPlacement,
    budget_seconds: int,
    scratch_gi: int,
    image: str | None = None,
    pip_index_url: str | None = None,
    cpu: str = "1",
    memory: str = "4Gi",
    retries: int = 6,
    workers: int = DOWNLOAD_WORKERS,
) -> dict[str, Any]:
    """Local storage with a mirror: the hub is read once, by this Job on the CPU pool, staging on an
    emptyDir of `scratch_gi` (the model's size) and uploading, marker last; the nodes then read the
    mirror only. A retry (a new pod, an empty scratch) fetches again but skips uploaded files."""
    if budget_seconds < 60:
        raise ValueError(f"budget_seconds {budget_seconds} is too short for any model download")
    job_name = f"{SEED_PREFIX}{download_name(name, source)}"[:MAX_JOB_NAME].rstrip("-")
    obj_labels = labels(COMPONENT, **{"app.kubernetes.io/name": job_name})
    # Only its mount path is read: the pod's "model" volume is the emptyDir below.
    volume = ModelVolume(pvc_name="scratch", host_path=None, mount_path=SEED_ROOT)
    container = _container(
        source, volume=volume, model_dir=model_dir, image=image, pip_index_url=pip_index_url, cpu=cpu,
        memory=memory, keep_running=False, workers=workers, mirror=mirror, mirror_role="seed",
    )  # fmt: skip
    scratch = {"name": "model", "emptyDir": {"sizeLimit": f"{scratch_gi}Gi"}}
    return replaced_when_unready({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": metadata(job_name, namespace, obj_labels),
        "spec": {
            "backoffLimit": retries,
            "activeDeadlineSeconds": budget_seconds,
            "template": {
                "metadata": {"labels": obj_labels},
                "spec": _pod_spec(container, scratch, restart_policy="Never", placement=placement),
            },
        },
    })
