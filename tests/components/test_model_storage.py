"""The model storage (components/model_storage.py): CFS and CFS Turbo classes, protected file systems and
claims, local disks and an existing class."""

from __future__ import annotations

import pytest

from tests.conftest import existing_config, render_raw, tke_config

from .helpers import ADDON, FS


@pytest.fixture(scope="module")
def turbo():
    return render_raw(tke_config(storage={"kind": "cfs-turbo", "tier": "TP", "capacityGib": 20480}))


class TestStorage:
    def test_cfs_dynamic_class_and_protected_claim(self, dev_like_plan):
        sc = dev_like_plan.manifest("StorageClass", "tke-llm-cfs")
        assert sc["provisioner"] == "com.tencent.cloud.csi.cfs"
        assert sc["parameters"]["storagetype"] == "HP" and sc["parameters"]["vers"] == "3"
        assert sc["parameters"]["vpcid"].startswith("vpc-") and sc["parameters"]["subnetid"].startswith("subnet-")
        assert sc["reclaimPolicy"] == "Retain"
        pvc_res = [r for r in dev_like_plan.k8s_objects if r.manifest["kind"] == "PersistentVolumeClaim"][0]
        assert pvc_res.options["protect"] and pvc_res.options["retainOnDelete"]
        assert pvc_res.manifest["spec"]["accessModes"] == ["ReadWriteMany"]
        addon = dev_like_plan.one(ADDON, "storage-cfs-addon")
        assert addon.inputs["addonName"] == "cfs" and addon.options["customTimeouts"]["create"] == "15m"
        sc_res = [r for r in dev_like_plan.k8s_objects if r.manifest["kind"] == "StorageClass"][0]
        assert addon.urn in sc_res.depends_on and sc_res.options["deleteBeforeReplace"]
        assert sc_res.urn in pvc_res.depends_on

    def test_turbo_class_uses_mount_point_id_and_ip(self, turbo):
        fs = turbo.one(FS)
        sc = turbo.manifest("StorageClass", "tke-llm-cfs-turbo")
        assert sc["provisioner"] == "com.tencent.cloud.csi.cfsturbo"
        assert set(sc["parameters"]) == {"fsid", "host", "proto"}
        assert not sc["parameters"]["fsid"].startswith("cfs-"), "the cfs-xxx id is not the mount-point id"
        assert len(sc["parameters"]["fsid"]) == 8 and sc["parameters"]["host"].startswith("11.0.")

    def test_turbo_file_system_is_protected_and_on_the_ccn(self, turbo):
        fs = turbo.one(FS)
        assert fs.options["protect"] and fs.options["retainOnDelete"]
        assert fs.inputs["protocol"] == "TURBO" and fs.inputs["netInterface"] == "CCN"
        assert fs.inputs["storageType"] == "TP" and fs.inputs["capacity"] == 20480
        assert fs.inputs["availabilityZone"] == "ap-shanghai-5"
        attach = turbo.one("tencentcloud:Ccn/attachmentV2:AttachmentV2")
        assert attach.inputs["instanceType"] == "VPC" and attach.inputs["instanceRegion"] == "ap-shanghai"
        assert attach.urn in fs.depends_on
        assert fs.inputs["ccnId"].startswith("ccn-")
        assert turbo.one(ADDON, "storage-cfsturbo-addon").inputs["addonName"] == "cfsturbo"

    def test_turbo_class_states_its_protocol(self, turbo):
        """The driver mounts `lustre` when the class leaves `proto` out (kubernetes-csi-tencentcloud
        driver/cfsturbo/node.go): the class says which protocol it means."""
        assert turbo.manifest("StorageClass", "tke-llm-cfs-turbo")["parameters"]["proto"] == "lustre"
        nfs = render_raw(tke_config(storage={"kind": "cfs-turbo", "capacityGib": 10240, "proto": "nfs"}))
        assert nfs.manifest("StorageClass", "tke-llm-cfs-turbo")["parameters"]["proto"] == "nfs"

    def test_csi_addon_name_is_a_setting(self):
        raw = tke_config(storage={"kind": "cfs-turbo", "capacityGib": 10240})
        raw["cluster"]["addons"] = {"cfsTurboCsi": {"name": "cfs-turbo", "version": "1.2.4"}}
        addon = render_raw(raw).one(ADDON, "storage-cfsturbo-addon")
        assert (addon.inputs["addonName"], addon.inputs["addonVersion"]) == ("cfs-turbo", "1.2.4")

    def test_turbo_with_existing_ccn_creates_none(self):
        plan = render_raw(tke_config(storage={"kind": "cfs-turbo", "capacityGib": 10240,
                                              "ccn": {"id": "ccn-5hared01", "attachVpc": False}}))
        assert not plan.by_type("tencentcloud:Ccn/instance:Instance")
        assert not plan.by_type("tencentcloud:Ccn/attachmentV2:AttachmentV2")
        assert plan.one(FS).inputs["ccnId"] == "ccn-5hared01"

    def test_local_storage_has_no_claim(self):
        plan = render_raw(tke_config(storage={"kind": "local"}))
        assert not [r for r in plan.k8s_objects if r.manifest["kind"] in ("PersistentVolumeClaim", "StorageClass")]
        assert plan.outputs["modelStorage"]["hostPath"] == "/data/models"

    def test_existing_class_claim(self):
        plan = render_raw(existing_config(storage={"kind": "existing", "storageClassName": "nfs", "accessMode": "ReadWriteOnce"}))
        pvc = plan.manifest("PersistentVolumeClaim", "models")
        assert pvc["spec"]["storageClassName"] == "nfs" and pvc["spec"]["accessModes"] == ["ReadWriteOnce"]
