"""CFS-Turbo: what its StorageClass says and what the nodes must carry, as plan lines and warnings.

The driver mounts `lustre` unless the class says otherwise, and Lustre needs the CFS Turbo client (a kernel
module) on every node that mounts the volume; the CSI node plugin installs it only on kernels the client
supports, and dynamic provisioning mounts Lustre on the controller's node whatever `proto` says. Sources:
catalog/storage.py, docs/cloud-resources.md ("CFS-Turbo").
"""

from __future__ import annotations

from catalog.storage import TURBO_CLIENT_IMAGE_IDS, TURBO_CLIENT_OS_NAMES
from config import StackConfig
from config.node_pools import AttachedPool, NativePool, NormalPool, SuperPool
from config.storage import CfsTurboStorage

CLIENT_LIST = ("CentOS 7.2-7.9, Ubuntu 16.04/18.04/20.04, TencentOS 3.1 (TK4), 2.4 (TK4), 2.2 (TK3) public images "
               "(Tencent CFS docs, \"在 Linux 客户端上使用 CFS Turbo 文件系统\")")


def _mounting_pools(cfg: StackConfig) -> list[tuple[int, object]]:
    """Pools whose nodes mount Lustre: all of them with `proto: lustre`; with `nfs` the CPU pools only,
    where the provisioner (which always mounts Lustre to create a claim's directory) runs."""
    st = cfg.storage
    assert isinstance(st, CfsTurboStorage)
    return [(i, p) for i, p in enumerate(cfg.node_pools)
            if p.kind != "existing" and (st.proto == "lustre" or p.gpu is None)]


def _image(pool) -> tuple[str, str, str | None] | None:
    """(key suffix, image, what the client list calls it or None) for pools whose image the stack sets."""
    if isinstance(pool, NormalPool):
        return "osImage", pool.os_image, TURBO_CLIENT_OS_NAMES.get(pool.os_image)
    if isinstance(pool, AttachedPool):
        return "imageId", pool.image_id, TURBO_CLIENT_IMAGE_IDS.get(pool.image_id)
    return None


def check(cfg: StackConfig, out) -> None:
    st = cfg.storage
    if not isinstance(st, CfsTurboStorage) or not cfg.is_tke:
        return
    for i, pool in _mounting_pools(cfg):
        found = _image(pool)
        if found is not None:
            field, image, known = found
            if known is None:
                out.warn(f"nodePools[{i}].{field}", f"pool {pool.name} runs {image}, which is not an image the CFS "
                         f"Turbo client is known to support ({CLIENT_LIST}): the Lustre mount of the model volume "
                         "fails on nodes whose kernel the client lacks; use tlinux3.1x86_64 (normal pools) or "
                         "img-39ywauzd (attached machines), or confirm the kernel with Tencent")
        elif isinstance(pool, (NativePool, SuperPool)):
            out.warn(f"nodePools[{i}]", f"pool {pool.name} ({pool.kind} nodes): TKE chooses its OS image, so the stack "
                     f"cannot check that the CFS Turbo client supports its kernel ({CLIENT_LIST}); the Lustre mount "
                     "of the model volume fails where it does not")


def summary_lines(cfg: StackConfig) -> list[str]:
    st = cfg.storage
    if not isinstance(st, CfsTurboStorage) or not cfg.is_tke:
        return []
    lines = ["## Storage", "",
             f"CFS-Turbo ({st.tier}, {st.capacity_gib} GiB) through StorageClass `{st.storage_class_name}`: `fsid` is "
             "the file system's mount-point id (the provider's `fs_id`, not the `cfs-` id), `host` its mount IP, and "
             f"`proto: {st.proto}` is set explicitly (`storage.proto`; the driver mounts `lustre` when it is empty).",
             ""]
    if st.proto == "nfs":
        lines += ["`nfs` mounts NFSv3 on the nodes, but the provisioner still mounts Lustre to create each claim's "
                  "directory (driver controller.go), and Tencent's TKE guide says to keep `lustre`; whether the "
                  "file system serves NFS is not confirmed by any source read.", ""]
    lines += [f"The nodes' security groups admit the file system's range `{st.cidr_block}` (`storage.cidrBlock`) on "
              "TCP 988, Lustre's port, which Tencent's client docs say to open both ways.", ""]
    lines.append("Lustre needs the CFS Turbo client (a kernel module) on the nodes that mount it; the CSI node plugin "
                 "installs it where the kernel is supported. Node images:")
    for _, pool in _mounting_pools(cfg):
        found = _image(pool)
        if found is None:
            lines.append(f"- `{pool.name}` ({pool.kind}): image chosen by TKE, not checked")
        else:
            _, image, known = found
            lines.append(f"- `{pool.name}`: `{image}` " + (f"({known}): supported" if known else
                                                         "is not in the client's list: see the preflight warning"))
    return lines + [""]
