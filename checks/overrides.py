"""The pod overrides of each model (`models[].volumes`, `podLabels`, `podAnnotations`) against what the
program writes itself, keyed to the entry to change. Run with the cross-section rules, before any
engine spec is built (the renderer refuses the same things, without the key)."""

from __future__ import annotations

from config.errors import PROJECT, ConfigIssue
from config.stack import StackConfig
from derive.serving import MOUNT_PATH
from render.engines.overrides import LWS_PREFIX, OWNED_PATHS, OWNED_VOLUME_PREFIX, OWNED_VOLUMES, SHM_PATH, overlaps
from render.engines.spec import OWNED_POD_ANNOTATIONS, OWNED_POD_LABELS


def _volumes(i: int, volumes) -> list[ConfigIssue]:
    out = []
    seen: dict[str, int] = {}
    for j, v in enumerate(volumes):
        key = f"{PROJECT}:models[{i}].volumes[{j}]"
        if v.name in OWNED_VOLUMES or v.name.startswith(OWNED_VOLUME_PREFIX):
            out.append(ConfigIssue(f"{key}.name", f"{v.name!r} is the program's volume (the weights, /dev/shm, "
                                   f"the S3 client config, {OWNED_VOLUME_PREFIX}* for adapters); choose another name"))
        elif v.name in seen:
            out.append(ConfigIssue(f"{key}.name", f"{v.name!r} is already volumes[{seen[v.name]}]"))
        seen.setdefault(v.name, j)
        for own in (MOUNT_PATH, SHM_PATH, *OWNED_PATHS):
            if overlaps(v.mount_path, own):
                out.append(ConfigIssue(f"{key}.mountPath", f"{v.mount_path} overlaps {own}, which the program "
                                       "mounts (the model volume, shared memory, the compile cache, the S3 client "
                                       "config); mount it elsewhere"))
        for k, w in enumerate(volumes[:j]):
            if overlaps(v.mount_path, w.mount_path):
                out.append(ConfigIssue(f"{key}.mountPath", f"{v.mount_path} overlaps volumes[{k}] at "
                                       f"{w.mount_path}; one would hide the other"))
    return out


def _metadata(i: int, field: str, keys, owned: tuple[str, ...]) -> list[ConfigIssue]:
    out = []
    for k in keys:
        if k in owned or k.startswith(LWS_PREFIX):
            who = "LeaderWorkerSet" if k.startswith(LWS_PREFIX) else "the program"
            out.append(ConfigIssue(f"{PROJECT}:models[{i}].{field}", f"{k} is written by {who} on the model's pods "
                                   "(selectors, placement and the group depend on it); remove it"))
    return out


def override_issues(cfg: StackConfig) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    for i, m in enumerate(cfg.models):
        issues += _volumes(i, m.volumes)
        issues += _metadata(i, "podLabels", m.pod_labels, OWNED_POD_LABELS)
        issues += _metadata(i, "podAnnotations", m.pod_annotations, OWNED_POD_ANNOTATIONS)
    return issues
