"""What the cloud layer registers, with the options that keep money and data safe."""

from __future__ import annotations

from collections import Counter

import pytest

from preview.mocks import SECRET_MASK

from tests.conftest import GPU_POOL, SYSTEM_POOL, existing_config, render_raw, tke_config

NODEPOOL = "tencentcloud:Kubernetes/nodePool:NodePool"
CLUSTER = "tencentcloud:Kubernetes/cluster:Cluster"
ENDPOINT = "tencentcloud:Kubernetes/clusterEndpoint:ClusterEndpoint"
K8S_PROVIDER = "pulumi:providers:kubernetes"
FS = "tencentcloud:Cfs/fileSystem:FileSystem"


def test_type_tokens_are_pinned(dev_like_plan):
    """Tokens are part of every child URN: renaming one silently replaces resources in live stacks."""
    components = {r.type for r in dev_like_plan.resources if not r.custom}
    assert components == {
        "tke-llm:cloud:Network", "tke-llm:cloud:TkeCluster", "tke-llm:cloud:NodePools",
        "tke-llm:cloud:ModelStorage", "tke-llm:cluster:Namespace",
    }
    assert {r.name for r in dev_like_plan.resources if r.type == "tke-llm:cloud:NodePools"} == {"tke-pools", "gpu-pools"}


def test_no_duplicate_resource_names(dev_like_plan):
    """Mocks silently overwrite duplicate URNs; the real engine fails. Catch it here."""
    dupes = [u for u, n in Counter(r.urn for r in dev_like_plan.resources).items() if n > 1]
    assert not dupes


def test_every_kubernetes_object_uses_the_explicit_provider(dev_like_plan):
    (provider,) = dev_like_plan.by_type(K8S_PROVIDER)
    objects = dev_like_plan.k8s_objects
    assert objects and all(r.provider == provider.urn for r in objects)


def test_every_kubernetes_object_is_deleted_with_the_cluster(dev_like_plan):
    cluster = dev_like_plan.one(CLUSTER)
    assert all(r.options["deletedWith"] == cluster.urn for r in dev_like_plan.k8s_objects)


def test_provider_identity_and_secret_kubeconfig(dev_like_plan):
    provider = dev_like_plan.one(K8S_PROVIDER)
    cluster = dev_like_plan.one(CLUSTER)
    assert provider.inputs["clusterIdentifier"].startswith("cls-")
    assert provider.inputs["kubeconfig"] == SECRET_MASK
    assert "kubernetes:" not in provider.raw_inputs["kubeconfig"] and "current-context" in provider.raw_inputs["kubeconfig"]
    assert cluster.urn in provider.depends_on
    assert "kubeconfig" in dev_like_plan.secret_outputs


def test_endpoint_waits_for_the_system_pool_only(dev_like_plan):
    """TKE opens an endpoint only on a cluster with nodes; waiting for the GPU pools too would hold
    the whole in-cluster graph (and the downloads) behind the most expensive nodes."""
    endpoint = dev_like_plan.one(ENDPOINT)
    assert dev_like_plan.one(NODEPOOL, "tke-pools-system").urn in endpoint.depends_on
    assert dev_like_plan.one(NODEPOOL, "gpu-pools-gpu").urn not in endpoint.depends_on
    assert endpoint.inputs["clusterIntranet"] is True


def test_public_endpoint_is_limited_to_allowed_sources():
    raw = tke_config()
    raw["cluster"]["endpoint"] = {"access": "public", "allowedCidrs": ["203.0.113.7/32"]}
    plan = render_raw(raw)
    endpoint = plan.one(ENDPOINT)
    assert endpoint.inputs["clusterInternet"] is True
    rules = plan.one("tencentcloud:Security/groupRuleSet:GroupRuleSet", "tke-apiserver").inputs["ingresses"]
    assert rules == [{"action": "ACCEPT", "cidrBlock": "203.0.113.7/32", "description": "Kubernetes API",
                      "port": "443", "protocol": "TCP"}]


def test_node_pools_stop_billing_when_deleted_and_respect_the_autoscaler(dev_like_plan):
    for pool in dev_like_plan.by_type(NODEPOOL):
        assert pool.inputs["deleteKeepInstance"] is False
        assert pool.options["ignoreChanges"] == ["desiredCapacity"]
        assert pool.options["customTimeouts"]["create"] == "60m"


def test_gpu_pool_label_taint_and_disk(dev_like_plan):
    gpu = dev_like_plan.one(NODEPOOL, "gpu-pools-gpu")
    assert gpu.inputs["labels"] == {"tke-llm.io/pool": "gpu", "tke-llm.io/gpu": "A10"}
    assert gpu.inputs["taints"] == [{"effect": "NoSchedule", "key": "nvidia.com/gpu", "value": "present"}]
    assert gpu.inputs["autoScalingConfig"]["systemDiskSize"] == 200
    system = dev_like_plan.one(NODEPOOL, "tke-pools-system")
    assert system.inputs["taints"] == [] and system.inputs["autoScalingConfig"]["systemDiskSize"] == 100


def test_fixed_size_pool_keeps_its_desired_size():
    plan = render_raw(tke_config(nodePools=[{**SYSTEM_POOL, "autoscaling": False, "desiredSize": 2}, GPU_POOL]))
    system = plan.one(NODEPOOL, "tke-pools-system")
    assert system.options["ignoreChanges"] == [] and system.inputs["desiredCapacity"] == 2
    assert system.inputs["enableAutoScale"] is False


def test_gpu_driver_versions_are_string_maps():
    pool = {**GPU_POOL, "gpu": {"type": "A10", "count": 1, "software": {
        "driver": {"name": "NVIDIA-Linux-x86_64-535.161.07.run", "version": "535.161.07"},
        "cuda": {"name": "cuda_12.2.2_535.104.05_linux.run", "version": "12.2.2"}}}}
    plan = render_raw(tke_config(nodePools=[SYSTEM_POOL, pool]))
    args = plan.one(NODEPOOL, "gpu-pools-gpu").inputs["nodeConfig"]["gpuArgs"]
    assert args["driver"] == {"name": "NVIDIA-Linux-x86_64-535.161.07.run", "version": "535.161.07"}
    assert args["cuda"]["version"] == "12.2.2" and args["migEnable"] is False


def test_every_pool_kind_renders():
    pools = [
        SYSTEM_POOL,
        {**GPU_POOL, "kind": "native", "name": "native-gpu", "dataDiskGb": 500},
        {"kind": "super", "name": "super", "gpu": {"type": "T4", "count": 1}},
        {"kind": "attached", "name": "h20", "instanceIds": ["ins-0000000a", "ins-0000000b"], "keyId": "skey-00000001",
         "gpu": {"type": "H20", "count": 8, "rdma": True}},
    ]
    plan = render_raw(tke_config(nodePools=pools))
    native = plan.one("tencentcloud:Kubernetes/nativeNodePool:NativeNodePool").inputs
    assert native["native"]["scaling"] == {"maxReplicas": 2, "minReplicas": 0}
    assert {"name": "tke-llm.io/gpu", "value": "A10"} in native["labels"]
    assert native["native"]["dataDisks"][0]["mountTarget"] == "/var/lib/containerd"
    serverless = plan.one("tencentcloud:Kubernetes/serverlessNodePool:ServerlessNodePool").inputs
    assert serverless["serverlessNodes"][0]["subnetId"].startswith("subnet-")
    attached = plan.by_type("tencentcloud:Kubernetes/clusterAttachment:ClusterAttachment")
    assert sorted(a.inputs["instanceId"] for a in attached) == ["ins-0000000a", "ins-0000000b"]
    assert all(a.inputs["imageId"] == "img-39ywauzd" and a.inputs["keyIds"] == "skey-00000001" for a in attached)
    assert all("password" not in a.inputs for a in attached)
    assert all(r.parent.endswith("::gpu-pools") for r in plan.resources if r.type.startswith("tencentcloud:Kubernetes/")
               and r.type.split(":")[-1] in ("NativeNodePool", "ServerlessNodePool", "ClusterAttachment"))


def test_cluster_protection_follows_config(dev_like_plan):
    assert dev_like_plan.one(CLUSTER).options["protect"] is True
    raw = tke_config()
    raw["cluster"]["deletionProtection"] = False
    assert render_raw(raw).one(CLUSTER).options["protect"] is False


def test_existing_vpc_and_subnets_are_not_created():
    raw = tke_config()
    raw["cluster"]["network"] = {"vpcId": "vpc-0e1x1st1", "subnets": [{"zone": "ap-shanghai-5", "id": "subnet-0e1x1st1"}]}
    plan = render_raw(raw)
    assert not plan.by_type("tencentcloud:Vpc/instance:Instance") and not plan.by_type("tencentcloud:Subnet/instance:Instance")
    assert plan.one(CLUSTER).inputs["vpcId"] == "vpc-0e1x1st1"
    assert plan.one(NODEPOOL, "gpu-pools-gpu").inputs["subnetIds"] == ["subnet-0e1x1st1"]


def test_existing_cluster_creates_no_cloud_resource():
    plan = render_raw(existing_config())
    assert not [r for r in plan.resources if r.type.startswith("tencentcloud:")]
    provider = plan.one(K8S_PROVIDER)
    assert provider.inputs["clusterIdentifier"] == "lab"
    assert provider.inputs["kubeconfig"].endswith("/.kube/config") and "~" not in provider.inputs["kubeconfig"]
    assert all(r.provider == provider.urn for r in plan.k8s_objects)


def test_existing_cluster_kubeconfig_from_secret_stays_secret():
    raw = existing_config()
    del raw["cluster"]["kubeconfigPath"]
    raw["cluster"]["kubeconfigSecret"] = "kubeconfig"
    raw["kubeconfig"] = "apiVersion: v1\nkind: Config\n"
    plan = render_raw(raw, secrets={"kubeconfig"})
    provider = plan.one(K8S_PROVIDER)
    assert provider.inputs["kubeconfig"] == SECRET_MASK
    assert provider.raw_inputs["kubeconfig"].startswith("apiVersion: v1")
    assert plan.outputs["kubeconfig"] == SECRET_MASK and "kubeconfig" in plan.secret_outputs


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
        addon = dev_like_plan.one("tencentcloud:Kubernetes/addon:Addon")
        assert addon.inputs["addonName"] == "cfs" and addon.options["customTimeouts"]["create"] == "15m"
        sc_res = [r for r in dev_like_plan.k8s_objects if r.manifest["kind"] == "StorageClass"][0]
        assert addon.urn in sc_res.depends_on and sc_res.options["deleteBeforeReplace"]
        assert sc_res.urn in pvc_res.depends_on

    def test_turbo_class_uses_mount_point_id_and_ip(self, turbo):
        fs = turbo.one(FS)
        sc = turbo.manifest("StorageClass", "tke-llm-cfs-turbo")
        assert sc["provisioner"] == "com.tencent.cloud.csi.cfsturbo"
        assert set(sc["parameters"]) == {"fsid", "host"}
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
        assert turbo.one("tencentcloud:Kubernetes/addon:Addon").inputs["addonName"] == "cfsturbo"

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
