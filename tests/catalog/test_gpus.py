"""The GPU and instance-type catalog (catalog/gpus.py): internally consistent, and resolving the names the
reference deployment uses."""

from __future__ import annotations

import pytest

from catalog import (
    ENGINE_IMAGE_GB,
    GPUS,
    INSTANCE_FAMILIES,
    RDMA_NICS,
    SHARED_RDMA_DEVICES,
    SUPER_NODE_GPU_TYPES,
    gpu_for_instance,
    rdma_nics,
)


@pytest.mark.parametrize("gpu", GPUS.values(), ids=lambda g: g.name)
def test_precision_flags_follow_compute_capability(gpu):
    assert gpu.bf16 == (gpu.compute_capability >= (8, 0))
    assert gpu.fp8 == (gpu.compute_capability >= (8, 9))


@pytest.mark.parametrize("gpu", GPUS.values(), ids=lambda g: g.name)
def test_usable_memory_is_below_nominal(gpu):
    assert gpu.visible_gib <= gpu.memory_gib
    assert gpu.visible_gib > 0.85 * gpu.memory_gib


def test_reference_gpus_have_the_reference_capabilities():
    """P2: V100 is sm70 and T4 sm75, neither has bf16; P6: SGLang needs >= sm75."""
    assert GPUS["V100"].sm == "sm70" and not GPUS["V100"].bf16
    assert GPUS["T4"].sm == "sm75" and not GPUS["T4"].bf16
    assert all(GPUS[n].bf16 for n in ("A10", "A100-40G", "A100-80G", "H20", "H800", "H100", "H200"))


def test_every_instance_entry_names_a_known_gpu():
    for key, entry in INSTANCE_FAMILIES.items():
        assert entry.gpu in GPUS, key
        assert entry.count >= 1, key


def test_instance_lookup_gn7vw():
    """GN7vw is Tencent's T4 rendering family; the 4XLARGE64 size carries one whole T4."""
    gpu, count, rdma = gpu_for_instance("GN7vw.4XLARGE64")
    assert (gpu.name, count, rdma) == ("T4", 1, False)


def test_instance_lookup_hccpnv6():
    gpu, count, rdma = gpu_for_instance("HCCPNV6.96XLARGE2304")
    assert (gpu.name, count, rdma) == ("H20", 8, True)
    assert gpu.fp8  # the reference picks these machines because R1 ships FP8 weights


def test_instance_lookup_pnv6_sizes_and_case():
    assert gpu_for_instance("PNV6.32XLARGE1280")[1:] == (8, False)
    assert gpu_for_instance("PNV6.96XLARGE2304")[1:] == (8, False)
    assert gpu_for_instance("PNV6.16XLARGE640")[1] == 4
    assert gpu_for_instance("pnv4.7xlarge116")[0].name == "A10"


def test_instance_lookup_family_fallback_only_where_unambiguous():
    assert gpu_for_instance("HCCPNV6.SOMENEWSIZE")[1:] == (8, True)
    assert gpu_for_instance("PNV4.UNKNOWN") is None  # PNV4 counts vary by size
    assert gpu_for_instance("GN7.LARGE20") is None  # a quarter-T4 vGPU slice, not a whole GPU
    assert gpu_for_instance("S5.LARGE8") is None


def test_super_node_gpu_types():
    assert set(SUPER_NODE_GPU_TYPES) == {"V100", "T4", "A10*PNV4", "A10*GNV4"}
    assert all(v in GPUS for v in SUPER_NODE_GPU_TYPES.values())


def test_engine_images_outgrow_the_default_super_node_disk():
    """P7: the super-node root disk defaults to 20 GiB and the vLLM image fills it."""
    assert ENGINE_IMAGE_GB["vllm"] > 20
    assert ENGINE_IMAGE_GB["ollama"] < ENGINE_IMAGE_GB["vllm"]


def test_rdma_nics_by_instance_type_or_by_the_gpus_of_a_typeless_pool():
    """Exclusive-mode devices = bonded NICs (4 on an 8x H20 HCC node); attached and existing pools have
    no instance type, so the one RDMA family carrying their GPUs answers; unknown stays None."""
    assert rdma_nics("HCCPNV6.96XLARGE2304", "H20", 8) == 4
    assert rdma_nics(None, "H20", 8) == 4
    assert rdma_nics("PNV6.32XLARGE1280", "H20", 8) is None  # no RDMA fabric
    assert rdma_nics(None, "H20", 4) is None and rdma_nics(None, "H800", 8) is None
    assert SHARED_RDMA_DEVICES == 1000
    for family in RDMA_NICS:
        assert gpu_for_instance(family) is not None and gpu_for_instance(family)[2], family
