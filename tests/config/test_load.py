"""Config errors stop the program before any resource exists, and each names its key and the fix."""

from __future__ import annotations

import pytest

from checks import checked

from config import ConfigError

from tests.conftest import GPU_POOL, SYSTEM_POOL, existing_config, tke_config


def issues(raw) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        checked(raw)
    return [str(i) for i in exc.value.issues]


def test_valid_configs_parse():
    cfg = checked(tke_config())
    assert cfg.is_tke and cfg.namespace == "llm"
    assert checked(existing_config()).existing_cluster is not None


def test_max_below_min_names_the_key():
    raw = tke_config(nodePools=[SYSTEM_POOL, {**GPU_POOL, "minSize": 2, "maxSize": 1}])
    assert issues(raw) == ["tke-llm:nodePools[1].maxSize: must be >= minSize (2)"]


def test_desired_outside_bounds():
    raw = tke_config(nodePools=[{**SYSTEM_POOL, "desiredSize": 9}, GPU_POOL])
    assert issues(raw) == ["tke-llm:nodePools[0].desiredSize: must lie within minSize..maxSize (1..3)"]


def test_typo_is_an_unknown_key_with_its_path():
    raw = tke_config(nodePools=[SYSTEM_POOL, {**GPU_POOL, "maxSzie": 2}])
    (msg,) = issues(raw)
    assert msg.startswith("tke-llm:nodePools[1].maxSzie: unknown key")


def test_unknown_top_level_key_is_reported_with_other_errors():
    raw = tke_config(nmespace="x")
    raw["storage"] = {"kind": "cfs-turbo", "capacityGib": 100}
    found = issues(raw)
    assert any(m.startswith("tke-llm:nmespace: unknown key; did you mean `namespace`?") for m in found), found
    assert any(m.startswith("tke-llm:storage.capacityGib: 100 is not valid for tier TP") and "e.g. 10240" in m
               for m in found)


def test_missing_required_key():
    raw = tke_config()
    del raw["cluster"]["region"]
    assert issues(raw) == ["tke-llm:cluster.region: required key is missing"]


def test_turbo_capacity_step_and_minimum():
    raw = tke_config(storage={"kind": "cfs-turbo", "tier": "TB", "capacityGib": 25000})
    (msg,) = issues(raw)
    assert ">= 20480 and a multiple of 10240 (e.g. 30720)" in msg
    checked(tke_config(storage={"kind": "cfs-turbo", "tier": "TB", "capacityGib": 20480}))


def test_public_endpoint_needs_sources_and_refuses_the_internet():
    raw = tke_config()
    raw["cluster"]["endpoint"] = {"access": "public"}
    assert issues(raw)[0].startswith("tke-llm:cluster.endpoint.allowedCidrs: a public endpoint")
    raw["cluster"]["endpoint"] = {"access": "public", "allowedCidrs": ["0.0.0.0/0"]}
    assert issues(raw)[0].startswith("tke-llm:cluster.endpoint.allowedCidrs[0]: 0.0.0.0/0 would open the API "
                                     "server to the whole internet")


def test_overlapping_ranges():
    raw = tke_config()
    raw["cluster"]["clusterCidr"] = "10.0.0.0/16"
    (msg,) = issues(raw)
    assert msg.startswith("tke-llm:cluster.clusterCidr: 10.0.0.0/16 overlaps network.vpcCidr")


def test_subnet_outside_vpc():
    raw = tke_config()
    raw["cluster"]["network"]["subnets"][0]["cidr"] = "192.168.1.0/24"
    (msg,) = issues(raw)
    assert msg.startswith("tke-llm:cluster.network.subnets[0].cidr:") and "outside vpcCidr" in msg


def test_a_system_pool_is_required():
    (msg,) = issues(tke_config(nodePools=[GPU_POOL]))
    assert msg.startswith("tke-llm:nodePools: add a CPU system pool")


def test_pool_names_unique_and_short():
    assert "'gpu' is already used by nodePools[1]" in issues(tke_config(nodePools=[SYSTEM_POOL, GPU_POOL, GPU_POOL]))[0]
    (msg,) = issues(tke_config(nodePools=[SYSTEM_POOL, {**GPU_POOL, "name": "a-very-long-gpu-pool-name-x"}]))
    assert msg.startswith("tke-llm:nodePools[1].name:") and "at most 25" in msg


def test_gpu_pool_disk_floor():
    (msg,) = issues(tke_config(nodePools=[SYSTEM_POOL, {**GPU_POOL, "systemDiskGb": 100}]))
    assert "too small for GPU serving images" in msg and "200" in msg


def test_native_pool_refuses_driver_settings():
    pool = {**GPU_POOL, "kind": "native",
            "gpu": {"type": "A10", "count": 1, "software": {"driver": {"name": "d", "version": "1"},
                                                           "cuda": {"name": "c", "version": "1"}}}}
    assert "native pools take no GPU driver settings" in issues(tke_config(nodePools=[SYSTEM_POOL, pool]))[0]


def test_existing_cluster_refuses_cloud_storage_and_pools():
    assert "creates Tencent Cloud resources" in issues(existing_config(storage={"kind": "cfs"}))[0]
    assert "only takes pools of kind `existing`" in issues(existing_config(nodePools=[GPU_POOL]))[0]


def test_existing_cluster_needs_one_kubeconfig_source():
    raw = existing_config()
    raw["cluster"]["kubeconfigSecret"] = "kubeconfig"
    assert "exactly one of `kubeconfigPath` or `kubeconfigSecret`" in issues(raw)[0]


def test_secret_keys_named_by_config_are_allowed():
    raw = existing_config()
    del raw["cluster"]["kubeconfigPath"]
    raw["cluster"]["kubeconfigSecret"] = "kubeconfig"
    raw["kubeconfig"] = "apiVersion: v1"
    checked(raw)
    raw["cluster"]["kubeconfigSecret"] = "kc"
    from config.load import SECTIONS

    assert {"cluster", "nodePools", "storage", "models"} <= SECTIONS
    assert issues(raw) == [f"tke-llm:kubeconfig: unknown key; sections are {', '.join(sorted(SECTIONS))}",
                           "tke-llm:cluster.kubeconfigSecret: no config key tke-llm:kc; set it with "
                           "`pulumi config set --secret kc <value>`"]


def test_bad_namespace_and_registry():
    found = issues(tke_config(namespace="Kube_System", imageRegistry="https://mirror"))
    assert any(m.startswith("tke-llm:namespace:") for m in found)
    assert any(m.startswith("tke-llm:imageRegistry:") for m in found)


def test_storage_class_name_and_version_are_checked():
    found = issues(existing_config(storage={"kind": "existing", "storageClassName": "Bad_Name"}))
    assert found[0].startswith("tke-llm:storage.storageClassName: 'Bad_Name' is not a valid StorageClass name")
    raw = existing_config()
    raw["cluster"]["kubernetesVersion"] = "v1.30"
    assert issues(raw)[0].startswith("tke-llm:cluster.kubernetesVersion: 'v1.30' is not a Kubernetes version")


def test_pool_lookup_by_name_and_its_keyed_error():
    from config import UnknownPool, parse

    model = {"name": "m", "servedName": "M", "engine": "vllm", "pool": "nope",
             "source": {"kind": "modelscope", "model": "Qwen/Qwen3-8B", "revision": "v1"}}
    cfg = parse(tke_config(models=[model]))
    assert cfg.pool("gpu").name == "gpu" and cfg.pool_index("gpu") == 1
    assert cfg.has_pool("system") and not cfg.has_pool("nope")
    with pytest.raises(UnknownPool) as exc:
        cfg.pool("nope")
    assert isinstance(exc.value, (ConfigError, LookupError))
    assert str(exc.value) == "tke-llm:models[0].pool: no node pool named 'nope' (pools: system, gpu)"


@pytest.mark.parametrize("key, meant", [("webUI", "webui"), ("nodepools", "nodePools"), ("nmespace", "namespace"),
                                        ("gatway", "gateway")])
def test_unknown_top_level_key_suggests_the_nearest_section(key, meant):
    raw = tke_config(**{key: {}})
    found = issues(raw)
    assert any(m.startswith(f"tke-llm:{key}: unknown key; did you mean `{meant}`?") for m in found), found
    raw["storage"] = {"kind": "nope"}  # a schema error: the unknown key is reported beside it, with the hint
    assert any(m.startswith(f"tke-llm:{key}: unknown key; did you mean `{meant}`?") for m in issues(raw))
