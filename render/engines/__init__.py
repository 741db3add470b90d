"""Model-server renderers: one pure function per engine (vLLM, SGLang, Ollama) for the process it runs,
one shared pod spec, and the workloads around it (Deployment for one node, LeaderWorkerSet for many,
the ClusterIP Service). Everything takes an `EngineSpec` and returns plain manifest dicts."""

from render.engines.spec import EngineSpec, ModelVolume, Placement, Process, Rdma, model_path, port, service_name
from render.engines.workloads import deployment, leaderworkerset, manifests, service, workload

__all__ = [
    "EngineSpec",
    "ModelVolume",
    "Placement",
    "Process",
    "Rdma",
    "deployment",
    "leaderworkerset",
    "manifests",
    "model_path",
    "port",
    "service",
    "service_name",
    "workload",
]
