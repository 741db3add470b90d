"""CFS-Turbo's Lustre client and the node images (checks/storage.py): supported images pass, others and
images the stack cannot see are warned about with the key to change; the plan states `proto` and the images."""

from __future__ import annotations

from checks import checked
from checks.preflight import preflight
from checks.storage import summary_lines

from tests.conftest import GPU_POOL, SYSTEM_POOL, tke_config

from .helpers import H20

TURBO = {"kind": "cfs-turbo", "capacityGib": 10240}


def _turbo_warnings(raw) -> list[str]:
    return [str(w) for w in preflight(checked(raw)).warnings if "CFS Turbo client" in w.message]


def test_default_images_are_in_the_clients_list():
    assert not _turbo_warnings(tke_config(nodePools=[SYSTEM_POOL, GPU_POOL, H20], storage=TURBO))


def test_an_image_outside_the_list_is_named_with_its_key():
    raw = tke_config(nodePools=[SYSTEM_POOL, {**GPU_POOL, "osImage": "ubuntu22.04x86_64"},
                                {**H20, "imageId": "img-0abcdef1"}], storage=TURBO)
    found = _turbo_warnings(raw)
    assert [w.split(":")[1] for w in found] == ["nodePools[1].osImage", "nodePools[2].imageId"]
    assert "pool gpu runs ubuntu22.04x86_64, which is not an image the CFS Turbo client is known to support" in found[0]


def test_pools_whose_image_tke_chooses_cannot_be_checked():
    native = {**GPU_POOL, "kind": "native", "name": "native-gpu"}
    (w,) = _turbo_warnings(tke_config(nodePools=[SYSTEM_POOL, native], storage=TURBO))
    assert w.startswith("tke-llm:nodePools[1]: pool native-gpu (native nodes): TKE chooses its OS image")


def test_nfs_still_needs_the_client_where_the_provisioner_runs():
    """The provisioner mounts Lustre to create a claim's directory whatever `proto` says
    (kubernetes-csi-tencentcloud driver/cfsturbo/controller.go); the GPU nodes then mount NFS."""
    gpu = {**GPU_POOL, "osImage": "ubuntu22.04x86_64"}
    assert not _turbo_warnings(tke_config(nodePools=[SYSTEM_POOL, gpu], storage={**TURBO, "proto": "nfs"}))
    system = {**SYSTEM_POOL, "osImage": "ubuntu22.04x86_64"}
    (w,) = _turbo_warnings(tke_config(nodePools=[system, GPU_POOL], storage={**TURBO, "proto": "nfs"}))
    assert w.startswith("tke-llm:nodePools[0].osImage")


def test_no_turbo_no_finding_and_no_section():
    cfg = checked(tke_config(nodePools=[SYSTEM_POOL, {**GPU_POOL, "osImage": "ubuntu22.04x86_64"}]))
    assert not [w for w in preflight(cfg).warnings if "CFS Turbo client" in w.message]
    assert summary_lines(cfg) == []


def test_plan_states_the_class_parameters_and_each_image():
    text = "\n".join(summary_lines(checked(tke_config(nodePools=[SYSTEM_POOL, GPU_POOL, H20], storage=TURBO))))
    assert "`proto: lustre` is set explicitly (`storage.proto`; the driver mounts `lustre` when it is empty)" in text
    assert "`fsid` is the file system's mount-point id (the provider's `fs_id`, not the `cfs-` id)" in text
    assert "admit the file system's range `10.255.0.0/24` (`storage.cidrBlock`) on TCP 988" in text
    assert "- `gpu`: `tlinux3.1x86_64` (TencentOS Server 3.1 (TK4)): supported" in text
    assert "- `h20`: `img-39ywauzd` (TencentOS Server 3.1 (TK4) UEFI): supported" in text
