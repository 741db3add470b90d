"""How many nodes a model's replicas take on its pool, what the pool can ever hold, and whether a
rolling update has room for a surge pod there. Used by the operations specs and by checks/operations.py."""

from __future__ import annotations

from config import StackConfig
from config.storage import ExistingStorage
from config.models import ModelConfig


def pool_node_bound(pool) -> int | None:
    """Nodes the pool can ever have: its maxSize when it autoscales, its fixed size otherwise; None
    for super nodes (every pod is its own virtual machine, no pool bound)."""
    if pool.kind == "super":
        return None
    if pool.kind in ("normal", "native") and not pool.autoscaling:
        return pool.initial_size
    return pool.max_size


def nodes_for(model: ModelConfig, pool, replicas: int) -> int:
    """Nodes `replicas` replicas of the model occupy: several single-node replicas may share a node,
    a multi-node replica takes whole nodes."""
    if model.nodes > 1:
        return replicas * model.nodes
    per_node = max(1, pool.gpu.count // model.gpus_per_node)
    return -(-replicas // per_node)


def max_replicas(model: ModelConfig) -> int:
    return model.autoscaling.max_replicas if model.autoscaling else model.replicas


def min_replicas(model: ModelConfig) -> int:
    """Replicas the model never goes below (what a rollout can count on)."""
    return model.autoscaling.min_replicas if model.autoscaling else model.replicas


def surge_capacity(cfg: StackConfig, model: ModelConfig) -> bool:
    """Is there room for one more replica of `model` while every model on its pool is at its
    maximum? Then a rolling update can add the new pod before removing an old one; otherwise the
    surge pod would wait for a GPU that never frees up and the rollout would hang. Never on a
    ReadWriteOnce volume: a surge pod on another node could not attach the disk the old pod holds."""
    if isinstance(cfg.storage, ExistingStorage) and cfg.storage.access_mode == "ReadWriteOnce":
        return False
    pool = cfg.pool(model.pool)
    bound = pool_node_bound(pool)
    if bound is None:
        return True
    used = sum(nodes_for(m, pool, max_replicas(m) + (1 if m is model else 0))
               for m in cfg.models if m.pool == model.pool)
    return used <= bound


