"""The node pools (components/node_pools.py), with the options that keep money safe: billing stops on
delete, the autoscaler owns the size, GPU labels, taints, disks and drivers, every pool kind."""

from __future__ import annotations

from tests.conftest import GPU_POOL, SYSTEM_POOL, render_raw, tke_config

from .helpers import NODEPOOL


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
