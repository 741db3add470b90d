"""StorageClasses for CFS and CFS-Turbo, and the model PVC.

Both classes use `reclaimPolicy: Retain`: the reference guides use Delete, which destroys hundreds of
GB of downloaded weights (and, for dynamic CFS, the file system) when the PVC goes. The PVC itself is
protected in Pulumi; the class only decides what happens if someone deletes it by hand.
"""

from __future__ import annotations

from typing import Any

from render.meta import labels, metadata

CFS_TURBO_PROVISIONER = "com.tencent.cloud.csi.cfsturbo"


def cfs_storage_class(
    name: str,
    *,
    provisioner: str,
    vpc_id: Any,
    subnet_id: Any,
    zone: str,
    storage_type: str,
    permission_group_id: str,
    tags: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Dynamic CFS (NFS) provisioning. `subdir-share` makes every PVC of the class a sub-directory of
    one file system instead of a new instance per claim; NFSv3 because v4 is unstable on CFS.

    The driver creates the file system outside Pulumi's state, so the stack's cost tags go on it through
    `resourcetags` (`key:value,...`), and the class promises no expansion: the CFS driver's
    ControllerExpandVolume returns Unimplemented (TencentCloud/kubernetes-csi-tencentcloud
    driver/cfs/controller.go, commit defc12d0)."""
    params = {
        "vpcid": vpc_id,
        "subnetid": subnet_id,
        "zone": zone,
        "storagetype": storage_type,
        "pgroupid": permission_group_id,
        "vers": "3",
        "subdir-share": "true",
    }
    if tags:
        params["resourcetags"] = ",".join(f"{k}:{v}" for k, v in sorted(tags.items()))
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": metadata(name, labels=labels("model-storage")),
        "provisioner": provisioner,
        "parameters": params,
        "reclaimPolicy": "Retain",
        "volumeBindingMode": "Immediate",
    }


def cfs_turbo_storage_class(name: str, *, fsid: Any, host: Any, proto: str) -> dict[str, Any]:
    """`fsid` is the Turbo file system's mount-point id (e.g. 564b8ef1) and `host` its mount IP: the
    provider's `fs_id` and `mount_ip` outputs. The `cfs-xxx` resource id is NOT the fsid. `proto` is
    written out because the node plugin mounts `lustre` when it is empty (the provisioner copies the class
    parameters into the volume context): TencentCloud/kubernetes-csi-tencentcloud driver/cfsturbo
    controller.go CreateVolume and node.go NodeStageVolume, commit defc12d0."""
    if proto not in ("lustre", "nfs"):
        raise ValueError(f"CFS-Turbo proto {proto!r}: the driver mounts `lustre` or `nfs` only")
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": metadata(name, labels=labels("model-storage")),
        "provisioner": CFS_TURBO_PROVISIONER,
        "parameters": {"fsid": fsid, "host": host, "proto": proto},
        "reclaimPolicy": "Retain",
        "volumeBindingMode": "Immediate",
    }


def model_pvc(
    name: str, namespace: str, *, storage_class: str, size_gi: int, access_mode: str = "ReadWriteMany"
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": metadata(name, namespace, labels("model-storage")),
        "spec": {
            "accessModes": [access_mode],
            "storageClassName": storage_class,
            "resources": {"requests": {"storage": f"{size_gi}Gi"}},
        },
    }
