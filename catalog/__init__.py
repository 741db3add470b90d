"""Hardware and model facts (GPUs, Tencent instance types, model configs), kept as data in one place
so sizing and validation code reads them instead of repeating numbers."""

from catalog.gpus import (
    ENGINE_IMAGE_GB,
    GPUS,
    INSTANCE_FAMILIES,
    RDMA_NICS,
    SHARED_RDMA_DEVICES,
    SUPER_NODE_GPU_TYPES,
    Gpu,
    InstanceGpus,
    gpu_for_instance,
    rdma_nics,
)
from catalog.models import ALIASES, MODELS, ModelSpec, lookup

__all__ = [
    "ALIASES",
    "ENGINE_IMAGE_GB",
    "GPUS",
    "INSTANCE_FAMILIES",
    "MODELS",
    "RDMA_NICS",
    "SHARED_RDMA_DEVICES",
    "SUPER_NODE_GPU_TYPES",
    "Gpu",
    "InstanceGpus",
    "ModelSpec",
    "gpu_for_instance",
    "lookup",
    "rdma_nics",
]
