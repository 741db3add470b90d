"""Environment variables the program owns, read off the renderers, as checks/owned_flags.py does for
flags: `models[].env` may add variables, never replace one the engine, the RDMA group or
LeaderWorkerSet writes (the probes, the key and NCCL's transport depend on them). Each refusal names
the key that sets the variable. More: docs/engines.md, "Overrides"."""

from __future__ import annotations

from dataclasses import replace

from config import StackConfig
from config.node_pools import RDMA_OWNED_ENV
from derive.rdma import settings as rdma_settings
from render.engines.pod import env as pod_env
from render.engines.spec import EngineSpec
from render.engines.workloads import engine_process

LWS_ENV = ("LWS_LEADER_ADDRESS", "LWS_GROUP_SIZE", "LWS_WORKER_INDEX")
"""Injected into every container of a LeaderWorkerSet pod unless already set (kubernetes-sigs/lws
api/leaderworkerset/v1/leaderworkerset_types.go; pkg/webhooks/pod_webhook.go addEnvVarsIfNotExists):
a user value would win and break the group's rendezvous."""


def _roles(spec: EngineSpec) -> tuple[str, ...]:
    return ("leader", "worker") if spec.nodes > 1 else ("server",)


def owned_env(cfg: StackConfig, i: int, spec: EngineSpec) -> dict[str, str]:
    """Variable -> what sets it, for model `i` in its deployment shape (every role)."""
    bare = replace(spec, extra_args=(), overrides=replace(spec.overrides, env=()))
    owners: dict[str, str] = {}
    r = rdma_settings(cfg, cfg.models[i])
    pool_key = f"nodePools[{[p.name for p in cfg.node_pools].index(cfg.models[i].pool)}].gpu.rdma" if r else ""
    for role in _roles(spec):
        for e in engine_process(bare, role).env:  # type: ignore[arg-type]
            owners.setdefault(e["name"], f"the {spec.engine} renderer (render/engines/{spec.engine}.py)")
        for e in pod_env(bare, engine_process(bare, role)):  # type: ignore[arg-type]
            if e["name"] not in owners and r is not None:
                typed = RDMA_OWNED_ENV.get(e["name"])
                owners[e["name"]] = f"`{pool_key}.{typed}`" if typed else f"`{pool_key}.env`"
    if spec.nodes > 1:
        for name in LWS_ENV:
            owners.setdefault(name, "LeaderWorkerSet, in every pod of the group")
    return owners


def env_issues(cfg: StackConfig, i: int, spec: EngineSpec) -> list[tuple[str, str]]:
    """(key under models[i], message) for each variable of `models[i].env` the program owns."""
    owned = owned_env(cfg, i, spec)
    out = []
    for name in cfg.models[i].env:
        if name in owned:
            out.append((f"env.{name}", f"{name} is set by {owned[name]}; remove it from models[{i}].env"
                        + (" and set it there" if owned[name].startswith("`") else
                           " (the probes, the API key, the weights' path and the group's rendezvous depend on it)")))
    return out
