"""How an engine splits a model over a group's GPUs: tensor parallel size x pipeline parallel size."""

from __future__ import annotations

from typing import NamedTuple


class Parallelism(NamedTuple):
    tensor: int
    pipeline: int


def parallelism(engine: str, gpus_per_node: int, nodes: int) -> Parallelism:
    """vLLM (and Ollama): tensor parallel inside a node, one pipeline stage per node. SGLang: tensor
    parallel across every GPU of the group, no pipeline stages (render/engines/sglang.py)."""
    if engine == "sglang":
        return Parallelism(tensor=gpus_per_node * nodes, pipeline=1)
    return Parallelism(tensor=gpus_per_node, pipeline=nodes)
