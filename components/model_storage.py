"""Model storage: the CSI add-on, the file system (CFS-Turbo), the StorageClass and the model PVC.

Weights are expensive to fetch (642 GB for DeepSeek-R1 took 16 h in the reference guide), so the
file system and the PVC are `protect`ed and retained if the stack is destroyed; a change that would
replace them fails the preview instead of wiping the weights.
"""

from __future__ import annotations

import pulumi
import tencentcloud_iac_pulumi as tc

from components.base import Component
from components.k8s import apply
from components.tke_addon import install_addon
from config.storage import CfsStorage, CfsTurboStorage, ExistingStorage, LocalStorage
from derive.addons import AddonSpec
from render.storage import cfs_storage_class, cfs_turbo_storage_class, model_pvc


class ModelStorage(Component):
    pvc_name: str | None
    """The claim the servers mount; None for `local` storage (hostPath on each GPU node)."""
    host_path: str | None
    storage_class: str | None

    def __init__(
        self,
        name: str,
        *,
        cfg: CfsStorage | CfsTurboStorage | LocalStorage | ExistingStorage,
        namespace: str,
        pvc_name: str,
        cluster_id: pulumi.Input[str] | None = None,
        region: str | None = None,
        vpc_id: pulumi.Input[str] | None = None,
        zone: str | None = None,
        subnet_id: pulumi.Input[str] | None = None,
        tags: dict[str, str] | None = None,
        csi_addon: AddonSpec | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        """`csi_addon`: the CSI add-on a CFS or CFS-Turbo class needs (derive/addons.py), on a new cluster."""
        super().__init__("tke-llm:cloud:ModelStorage", name, opts)
        self._name = name
        self.host_path = cfg.host_path if isinstance(cfg, LocalStorage) else None
        self.pvc_name = None if isinstance(cfg, LocalStorage) else pvc_name
        self.storage_class = None if isinstance(cfg, LocalStorage) else cfg.storage_class_name
        sc_deps: list[pulumi.Resource] = []
        if isinstance(cfg, CfsStorage):
            addon = self._addon(csi_addon, cluster_id)
            sc = cfs_storage_class(
                cfg.storage_class_name, provisioner=cfg.provisioner, vpc_id=vpc_id, subnet_id=subnet_id,
                zone=zone or "", storage_type=cfg.storage_type, permission_group_id=cfg.permission_group_id,
                tags=tags,
            )
            sc_deps = [self._class(sc, addon)]
        elif isinstance(cfg, CfsTurboStorage):
            addon = self._addon(csi_addon, cluster_id)
            fs = self._turbo_fs(cfg, region=region or "", vpc_id=vpc_id, zone=zone or "", tags=tags or {})
            sc = cfs_turbo_storage_class(cfg.storage_class_name, fsid=fs.fs_id, host=fs.mount_ip, proto=cfg.proto)
            sc_deps = [self._class(sc, addon, fs)]
        if self.pvc_name is not None:
            access = cfg.access_mode if isinstance(cfg, ExistingStorage) else "ReadWriteMany"
            apply(
                f"{name}-pvc",
                model_pvc(pvc_name, namespace, storage_class=self.storage_class or "", size_gi=cfg.size_gi,  # type: ignore[union-attr]
                          access_mode=access),
                self.child(depends_on=sc_deps, protect=True, retain_on_delete=True),
            )
        self.register_outputs({"pvcName": self.pvc_name, "storageClass": self.storage_class})

    def _addon(self, spec: AddonSpec | None, cluster_id: pulumi.Input[str] | None) -> tc.kubernetes.Addon:
        if spec is None or cluster_id is None:
            raise ValueError("CFS and CFS-Turbo storage need a new TKE cluster and its CSI add-on")
        return install_addon(f"{self._name}-{spec.resource_name}-addon", spec, cluster_id, self.cloud_child())

    def _class(self, manifest: dict, *deps: pulumi.Resource) -> pulumi.Resource:
        # StorageClass parameters are immutable and the name is fixed: replace by delete-then-create.
        return apply(
            f"{self._name}-class", manifest,
            self.child(depends_on=list(deps), delete_before_replace=True),
        )

    def _turbo_fs(self, cfg: CfsTurboStorage, *, region: str, vpc_id, zone: str, tags: dict[str, str]) -> tc.cfs.FileSystem:
        child = self.cloud_child()
        if cfg.ccn.id:
            ccn_id: pulumi.Input[str] = cfg.ccn.id
        else:
            ccn_id = tc.ccn.Instance(
                f"{self._name}-ccn", name=f"{self._name}-ccn", description="CFS-Turbo network for tke-llm",
                charge_type="POSTPAID", qos="AU", bandwidth_limit_type="INTER_REGION_LIMIT", tags=tags, opts=child,
            ).id
        fs_deps: list[pulumi.Resource] = []
        if cfg.ccn.attach_vpc:
            # The VPC must be on the CCN before the file system is, or the mount target is unreachable.
            fs_deps.append(tc.ccn.AttachmentV2(
                f"{self._name}-ccn-vpc", ccn_id=ccn_id, instance_id=vpc_id, instance_region=region,
                instance_type="VPC", description="cluster VPC", opts=child,
            ))
        return tc.cfs.FileSystem(
            f"{self._name}-turbo",
            name=f"{self._name}-turbo",
            availability_zone=zone,
            access_group_id="pgroupbasic",
            protocol="TURBO",
            storage_type=cfg.tier,
            net_interface="CCN",
            ccn_id=ccn_id,
            cidr_block=cfg.cidr_block,
            capacity=cfg.capacity_gib,
            tags=tags,
            opts=self.cloud_child(depends_on=fs_deps, protect=True, retain_on_delete=True),
        )
