"""Each preflight check (checks/preflight.py), shown failing with the config that triggers it and the
message users see, and the capacity table it computes."""

from __future__ import annotations

from checks import checked
from checks.preflight import preflight

from tests.conftest import GPU_POOL, SYSTEM_POOL, existing_config, render_raw, tke_config

from .helpers import H20, R1, R1_7B, errors

A10X8 = {**GPU_POOL, "name": "a10x8", "instanceType": "PNV4.56XLARGE932", "gpu": {"type": "A10", "count": 8}}


def warnings(raw) -> list[str]:
    return [str(w) for w in preflight(checked(raw)).warnings]


def test_weights_must_fit_the_gpus():
    raw = tke_config(nodePools=[SYSTEM_POOL, A10X8], models=[{**R1, "pool": "a10x8", "engine": "vllm", "nodes": 1}],
                     storage={"kind": "cfs", "sizeGi": 1000})
    found = errors(raw)
    assert any(m.startswith("tke-llm:models[0].gpusPerNode: deepseek-ai/DeepSeek-R1 needs") and "(P5)" in m
               for m in found), found


def test_context_longer_than_the_kv_cache_is_refused_with_the_length_that_fits():
    found = errors(tke_config(models=[{**R1_7B, "settings": {"maxModelLen": 131072}}]))
    (msg,) = [m for m in found if "KV cache" in m]
    assert msg.startswith("tke-llm:models[0].settings.maxModelLen: max model length 131072 is larger than the")
    assert "(P4)" in msg and "set settings.maxModelLen <= 83975" in msg


def test_unset_context_that_does_not_fit_is_refused():
    found = errors(tke_config(models=[{**R1_7B, "settings": {}}]))
    assert any(m.startswith("tke-llm:models[0].settings: max model length 131072") for m in found), found


def test_unset_context_that_fits_warns():
    model = {**R1_7B, "settings": {}}
    pool = {**GPU_POOL, "instanceType": "PNV6.4XLARGE160", "gpu": {"type": "H20", "count": 1}}
    found = warnings(tke_config(nodePools=[SYSTEM_POOL, pool], models=[model]))
    assert any(w.startswith("tke-llm:models[0].settings.maxModelLen: unset: the engine serves the native 131072")
               for w in found), found


def test_heads_must_divide_by_tensor_parallel():
    """DeepSeek-R1-Distill-Qwen-32B has 40 heads: TP 3 fails, TP 2 works (P10)."""
    pool = {**GPU_POOL, "instanceType": "PNV6.16XLARGE640", "maxSize": 2, "gpu": {"type": "H20", "count": 4}}
    model = {**R1_7B, "gpusPerNode": 3,
             "source": {"kind": "modelscope", "model": "deepseek-ai/DeepSeek-R1-Distill-Qwen-32B", "revision": "v1"}}
    found = errors(tke_config(nodePools=[SYSTEM_POOL, pool], models=[model]))
    assert any(m.startswith("tke-llm:models[0].gpusPerNode:") and "attention heads (40) must be divisible by "
               "tensor parallel size (3)" in m for m in found), found
    checked(tke_config(nodePools=[SYSTEM_POOL, pool], models=[{**model, "gpusPerNode": 2}]))


def test_fp8_weights_need_ada_or_hopper():
    pool = {**GPU_POOL, "instanceType": "GT4.41XLARGE948", "maxSize": 4, "gpu": {"type": "A100-40G", "count": 8}}
    raw = tke_config(nodePools=[SYSTEM_POOL, pool], models=[{**R1, "pool": "gpu", "nodes": 1}],
                     storage={"kind": "cfs", "sizeGi": 1000})
    found = errors(raw)
    assert any(m.startswith("tke-llm:models[0].pool: deepseek-ai/DeepSeek-R1 uses FP8, which needs compute "
                            "capability >= 8.9; A100-40G is sm80") for m in found), found


def test_auto_dtype_on_t4_warns_nothing_and_serves_half():
    pool = {**GPU_POOL, "instanceType": "GN7.5XLARGE80", "gpu": {"type": "T4", "count": 1}}
    model = {**R1_7B, "settings": {"maxModelLen": 4096},
             "source": {"kind": "modelscope", "model": "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B", "revision": "v1"}}
    plan = render_raw(tke_config(nodePools=[SYSTEM_POOL, pool], models=[model]))
    cmd = plan.manifest("Deployment", "r1-7b")["spec"]["template"]["spec"]["containers"][0]["command"]
    assert cmd[cmd.index("--dtype") + 1] == "half"


def test_instance_type_must_carry_the_declared_gpu():
    pool = {**GPU_POOL, "instanceType": "GN7.5XLARGE80", "gpu": {"type": "A10", "count": 1}}
    found = errors(tke_config(nodePools=[SYSTEM_POOL, pool]))
    assert found == ["tke-llm:nodePools[1].gpu: GN7.5XLARGE80 carries 1x T4, not 1x A10; write gpu: {type: T4, count: 1}"]


def test_rdma_instance_without_rdma_flag_warns():
    pool = {**GPU_POOL, "instanceType": "HCCPNV6.96XLARGE2304", "gpu": {"type": "H20", "count": 8}}
    assert any(w.startswith("tke-llm:nodePools[1].gpu.rdma:") for w in warnings(tke_config(nodePools=[SYSTEM_POOL, pool])))


def test_multi_node_without_rdma_and_partial_nodes_warn():
    pool = {**H20, "gpu": {"type": "H20", "count": 8, "rdma": False}}
    found = warnings(tke_config(nodePools=[SYSTEM_POOL, pool], models=[{**R1, "gpusPerNode": 4, "nodes": 2,
                                                                           "settings": {"maxModelLen": 8192}}],
                                storage={"kind": "cfs-turbo", "capacityGib": 20480, "sizeGi": 1000}))
    assert any(w.startswith("tke-llm:models[0].nodes: tensor parallelism across nodes without RDMA") for w in found)
    assert any(w.startswith("tke-llm:models[0].gpusPerNode: a multi-node group should use every GPU") for w in found)


def test_read_write_once_with_several_replicas():
    model = {"name": "r1-7b", "servedName": "x", "engine": "ollama", "pool": "gpu", "replicas": 1,
             "source": {"kind": "ollama", "tag": "deepseek-r1:7b"}}
    pools = [{"kind": "existing", "name": "gpu", "nodeSelector": {"g": "1"}, "maxSize": 2, "gpu": {"type": "T4", "count": 1}}]
    raw = existing_config(nodePools=pools, models=[{**model, "replicas": 2}],
                          storage={"kind": "existing", "storageClassName": "ebs", "accessMode": "ReadWriteOnce"})
    assert any(m.startswith("tke-llm:storage.accessMode: a ReadWriteOnce volume") for m in errors(raw))


def test_model_volume_must_hold_the_weights():
    found = errors(tke_config(nodePools=[SYSTEM_POOL, H20], models=[R1],
                              storage={"kind": "cfs-turbo", "capacityGib": 20480, "sizeGi": 500}))
    assert any(m.startswith("tke-llm:storage.sizeGi: 500 Gi cannot hold the models: 641.3 Gi of weights plus 1 Gi "
                            "per model for config, tokenizer and download metadata; use >= 643") for m in found), found


def test_the_reference_700_gi_volume_for_deepseek_r1_is_accepted():
    """642 GiB of weights (du's figure in the guide) in a 700 Gi volume: the download stages on the same
    volume and renames (no second copy), the engines mount it read-only, so weights + 1 Gi fit."""
    turbo = {"kind": "cfs-turbo", "capacityGib": 20480}
    checked(tke_config(nodePools=[SYSTEM_POOL, H20], models=[R1], storage={**turbo, "sizeGi": 700}))
    checked(tke_config(nodePools=[SYSTEM_POOL, H20], models=[R1], storage={**turbo, "sizeGi": 643}))
    assert any(m.startswith("tke-llm:storage.sizeGi: 642 Gi cannot hold")
               for m in errors(tke_config(nodePools=[SYSTEM_POOL, H20], models=[R1], storage={**turbo, "sizeGi": 642})))


def test_a_revision_change_that_an_existing_volume_cannot_hold_warns():
    raw = existing_config(models=[{"name": "r1-7b", "servedName": "r1", "engine": "ollama", "pool": "gpu",
                                   "source": {"kind": "ollama", "tag": "deepseek-r1:7b"}, "sizeGb": 20}])
    raw["storage"]["sizeGi"] = 25
    assert any(w.startswith("tke-llm:storage.sizeGi: 25 Gi holds today's weights, but a new revision of r1-7b "
                            "downloads beside the old one: 39 Gi are needed") for w in warnings(raw)), warnings(raw)


SINGLE_R1 = {**R1, "nodes": 1, "settings": {"maxModelLen": 163840}}
ONE_H20 = {**H20, "instanceIds": ["ins-0000000a"]}


def test_sglang_context_longer_than_the_kv_cache_warns_with_the_effective_cap():
    """The reference single-machine SGLang setup: DeepSeek-R1 on 8x H20 with the native 160K context."""
    raw = tke_config(nodePools=[SYSTEM_POOL, ONE_H20], models=[SINGLE_R1],
                     storage={"kind": "cfs-turbo", "capacityGib": 20480, "sizeGi": 700})
    cfg = checked(raw)
    (w,) = [str(w) for w in preflight(cfg).warnings if "KV cache" in str(w)]
    assert w.startswith("tke-llm:models[0].settings.maxModelLen: max model length 163840 is larger than the ")
    assert "SGLang starts, but caps each request's input at " in w and "tokens (its effective context)" in w
    row = preflight(cfg).capacity[0]
    assert row.verdict.startswith("requests capped at ")


def test_vllm_context_longer_than_the_kv_cache_stays_an_error():
    raw = tke_config(nodePools=[SYSTEM_POOL, ONE_H20], models=[{**SINGLE_R1, "engine": "vllm"}],
                     storage={"kind": "cfs-turbo", "capacityGib": 20480, "sizeGi": 700})
    assert any(m.startswith("tke-llm:models[0].settings.maxModelLen: max model length 163840 is larger than the")
               and "(P4)" in m for m in errors(raw))


def test_gpu_disk_must_hold_the_engine_image():
    pool = {**GPU_POOL, "systemDiskGb": 60, "dataDiskGb": None}
    raw = tke_config(nodePools=[SYSTEM_POOL, {**pool, "systemDiskGb": 200}], models=[R1_7B])
    checked(raw)
    small = {**GPU_POOL, "systemDiskGb": 50}
    # 50 GB is refused outright for GPU pools by the config itself; a data disk moves images off it.
    assert any("too small for GPU serving images" in m for m in errors(tke_config(nodePools=[SYSTEM_POOL, small])))


def test_super_node_root_disk_must_hold_the_image():
    pool = {"kind": "super", "name": "gpu", "gpu": {"type": "A10", "count": 1}, "rootDiskGb": 25}
    found = errors(tke_config(nodePools=[SYSTEM_POOL, pool], models=[R1_7B]))
    assert any(m.startswith("tke-llm:nodePools[1].rootDiskGb: 25 GB cannot hold") and "(P7)" in m for m in found)


def test_startup_budget_shorter_than_the_load_time():
    found = errors(tke_config(models=[{**R1_7B, "startupTimeoutSeconds": 120}]))
    assert any(m.startswith("tke-llm:models[0].startupTimeoutSeconds: 120 s is shorter than the estimated")
               and "(P3)" in m for m in found), found


def test_storage_in_another_zone_warns():
    raw = tke_config(storage={"kind": "cfs", "zone": "ap-shanghai-5"})
    raw["cluster"]["network"]["subnets"].append({"zone": "ap-shanghai-8", "cidr": "10.0.8.0/24"})
    raw["nodePools"][1]["zones"] = ["ap-shanghai-8"]
    assert any(w.startswith("tke-llm:nodePools[1].zones: GPU pool gpu is in ap-shanghai-8") for w in warnings(raw))


def test_unknown_model_warns_and_architecture_enables_the_checks():
    unknown = {**R1_7B, "source": {"kind": "huggingface", "repo": "acme/secret-7b", "revision": "v1"}}
    assert any(w.startswith("tke-llm:models[0].architecture:")
               for w in warnings(tke_config(models=[{**unknown, "sizeGb": 15}])))
    arch = {"paramsB": 7, "weightGb": 15, "layers": 28, "attentionHeads": 28, "kvHeads": 4, "headDim": 128,
            "contextLength": 32768}
    found = errors(tke_config(models=[{**unknown, "architecture": {**arch, "attentionHeads": 30}, "gpusPerNode": 1,
                                       "settings": {"maxModelLen": 1000000}}]))
    assert any("KV cache" in m for m in found)


def test_a_model_of_unknown_size_is_refused_until_size_gb_is_set():
    """No silent 50 GB: the volume, the download deadline and the bring-up depend on the size."""
    unknown = {**R1_7B, "source": {"kind": "huggingface", "repo": "acme/secret-7b", "revision": "v1"}}
    (msg,) = [m for m in errors(tke_config(models=[unknown])) if ".sizeGb" in m]
    assert msg.startswith("tke-llm:models[0].sizeGb: the size of acme/secret-7b is not in the catalog") and \
        "set `sizeGb`" in msg
    checked(tke_config(models=[{**unknown, "sizeGb": 15}]))
    tag = {"name": "q", "servedName": "q", "engine": "ollama", "pool": "gpu", "source": {"kind": "ollama", "tag": "qwen3:8b"}}
    assert any(m.startswith("tke-llm:models[0].sizeGb: the size of the Ollama tag qwen3:8b")
               for m in errors(existing_config(models=[tag])))


def test_a_catalogued_ollama_tag_gets_its_own_size_not_50_gb():
    """deepseek-r1:7b is 4.7 GB: a 30 Gi volume holds it (it needed 48 Gi with the old 50 GB default)."""
    model = {"name": "r1-7b", "servedName": "x", "engine": "ollama", "pool": "gpu",
             "source": {"kind": "ollama", "tag": "deepseek-r1:7b"}}
    raw = existing_config(models=[model])
    raw["storage"]["sizeGi"] = 30
    checked(raw)
    raw["storage"]["sizeGi"] = 5
    assert any(m.startswith("tke-llm:storage.sizeGi: 5 Gi cannot hold the models: 4.4 Gi of weights")
               for m in errors(raw)), errors(raw)


def test_capacity_table_of_the_dev_like_stack():
    (row,) = preflight(checked(tke_config(models=[R1_7B]))).capacity
    assert row.verdict == "fits" and row.parallelism == "TP 1 x PP 1"
    assert row.sequences == 83975 // 16384 and row.largest_len == 83975


def test_read_write_once_on_a_node_local_class_is_refused():
    """The download Job mounts the volume first, off the GPU node: a node-local RWO volume binds there."""
    model = {"name": "r1-7b", "servedName": "x", "engine": "ollama", "pool": "gpu",
             "source": {"kind": "ollama", "tag": "deepseek-r1:7b"}}
    for provisioner in ("rancher.io/local-path", "openebs.io/local", "topolvm.io", "kubernetes.io/no-provisioner"):
        raw = existing_config(models=[model], storage={"kind": "existing", "storageClassName": "local-path",
                                                       "accessMode": "ReadWriteOnce", "provisioner": provisioner})
        (msg,) = [m for m in errors(raw) if m.startswith("tke-llm:storage.accessMode: ")]
        assert "first mounted by the model's download Job, which runs on a node outside the GPU pools" in msg, msg
        assert f"({provisioner}), a node-local class" in msg, msg
        assert "`storage.accessMode: ReadWriteMany`" in msg and "`storage.kind: local`" in msg, msg
    checked(existing_config(storage={"kind": "existing", "storageClassName": "local-path",
                                     "accessMode": "ReadWriteOnce"}))  # no model, no download


def test_read_write_once_needs_the_provisioner_named_and_known():
    """Without the provisioner the plan cannot tell a network disk from a node-local one."""
    tke = tke_config(models=[R1_7B], storage={"kind": "existing", "storageClassName": "cbs",
                                              "accessMode": "ReadWriteOnce"})
    (msg,) = [m for m in errors(tke) if m.startswith("tke-llm:storage.provisioner: ")]
    assert "download Job, which runs on the CPU system pool" in msg and "set `storage.provisioner`" in msg, msg
    assert "com.tencent.cloud.csi.cbs (Tencent Cloud CBS)" in msg, msg
    odd = tke_config(models=[R1_7B], storage={"kind": "existing", "storageClassName": "x", "provisioner": "example.com/x",
                                              "accessMode": "ReadWriteOnce"})
    assert any(m.startswith("tke-llm:storage.provisioner: ") and "`example.com/x` is not a network disk" in m
               for m in errors(odd))


CBS = {"kind": "existing", "storageClassName": "cbs", "accessMode": "ReadWriteOnce",
       "provisioner": "com.tencent.cloud.csi.cbs"}


def test_one_replica_of_one_model_on_a_network_disk_is_accepted_and_recreated():
    """CBS is detached from the download's CPU node and attached to the GPU node; a rollout must not
    start a surge pod on another node while the old one holds the disk."""
    raw = tke_config(models=[R1_7B], storage=CBS)
    assert not [str(e) for e in preflight(checked(raw)).errors]
    (warning,) = [w for w in warnings(raw) if w.startswith("tke-llm:storage.accessMode: ")]
    assert "attached to one node at a time" in warning and "one zone" in warning
    plan = render_raw(raw)
    assert plan.manifest("Deployment", R1_7B["name"])["spec"]["strategy"] == {"type": "Recreate"}
    rwx = render_raw(tke_config(models=[R1_7B], storage={**CBS, "accessMode": "ReadWriteMany"}))
    assert rwx.manifest("Deployment", R1_7B["name"])["spec"]["strategy"]["type"] == "RollingUpdate"


def test_a_network_disk_still_holds_one_replica_of_one_model():
    several = {"tke-llm:storage.accessMode: a ReadWriteOnce volume mounts on one node only, but "
               f"{R1_7B['name']} need it on several; use a ReadWriteMany class"}
    assert several <= set(errors(tke_config(models=[{**R1_7B, "replicas": 2}], storage=CBS)))
    autoscaled = {**R1_7B, "autoscaling": {"metric": "queue", "minReplicas": 1, "maxReplicas": 2}}
    assert several <= set(errors(tke_config(models=[autoscaled], storage=CBS)))
    two = [R1_7B, {**R1_7B, "name": "other", "servedName": "other"}]
    assert any("but several models need it on several" in m for m in errors(tke_config(models=two, storage=CBS)))
