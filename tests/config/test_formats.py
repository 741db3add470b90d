"""Inputs that used to crash the plan, reach the API server or the cloud API unchecked, or be ignored
without a word: each is refused with exit 2 and a message naming its key and the fix."""

from __future__ import annotations

import pytest

from checks import checked

from config import ConfigError

from tests.conftest import ROOT, existing_config, plan_errors, tke_config

DEV = (ROOT / "Pulumi.dev.yaml").read_text()




def errors(raw, secrets=None) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        checked(raw, secrets)
    return [str(i) for i in exc.value.issues]


# --- the stack file, read the way the Pulumi CLI reads it -------------------------------------------

def test_a_misspelt_project_prefix_is_refused_not_ignored(tmp_path, capsys):
    found = plan_errors(tmp_path, capsys, DEV + "  tke-lm:webui: false\n")
    assert any(line.startswith("tke-lm:webui: unknown namespace `tke-lm`") and "did you mean `tke-llm:webui`?" in line
               for line in found), found


def test_provider_namespaces_are_accepted(tmp_path, capsys):
    from preview.stackfile import read

    (tmp_path / "Pulumi.t.yaml").write_text(DEV + "  kubernetes:enableServerSideApply: true\n  pulumi:disable-default-providers: []\n")
    raw, _ = read("t", tmp_path)
    assert raw["namespace"] == "llm"


def test_a_key_of_the_retired_random_provider_is_refused_with_why(tmp_path, capsys):
    found = plan_errors(tmp_path, capsys, DEV + "  random:seed: x\n")
    assert "random:seed: the program no longer uses the pulumi-random provider (it generates its keys and passwords " \
           "itself, components/generated_secret.py): a `random:` key would be ignored; remove it" in found, found


def test_an_unqualified_key_is_the_projects_as_the_cli_makes_it(tmp_path):
    """pulumi/pulumi sdk/go/common/workspace/loaders.go: `webui: false` is `tke-llm:webui: false`."""
    from preview.stackfile import read

    (tmp_path / "Pulumi.t.yaml").write_text(DEV.replace("  tke-llm:webui:\n    enabled: true\n", "  webui: false\n"))
    raw, _ = read("t", tmp_path)
    assert raw["webui"] is False
    assert checked(raw).webui.enabled is False


def test_the_same_key_in_two_spellings_is_refused(tmp_path, capsys):
    found = plan_errors(tmp_path, capsys, DEV + "  namespace: other\n")
    assert any(line.startswith("tke-llm:namespace: written twice, as `tke-llm:namespace` and `namespace`")
               for line in found), found


def test_duplicate_yaml_keys_are_refused_with_their_path(tmp_path, capsys):
    text = DEV.replace("        maxModelLen: 16384\n", "        maxModelLen: 16384\n        maxModelLen: 8192\n")
    found = plan_errors(tmp_path, capsys, text)
    assert any(line.startswith("tke-llm:models[0].settings.maxModelLen: written twice (lines") for line in found), found


@pytest.mark.parametrize("text, start", [
    ("config:\n  1: x\n", "config[1]: config keys are strings"),
    ("config:\n  a:b:c: x\n", "a:b:c: not a config key"),
    ("- just\n- a list\n", "error: Pulumi.t.yaml: the file must be a mapping"),
    ("config: [1, 2]\n", "error: Pulumi.t.yaml: `config` must be a mapping"),
    ("config:\n  tke-llm:namespace: [unclosed\n", "error: Pulumi.t.yaml is not valid YAML"),
])
def test_a_stack_file_that_is_not_a_mapping_of_strings_is_a_keyed_error(tmp_path, capsys, text, start):
    found = plan_errors(tmp_path, capsys, text)
    assert any(line.startswith(start) for line in found), found


def test_provider_region_must_be_the_cluster_region(tmp_path, capsys):
    found = plan_errors(tmp_path, capsys, DEV.replace("tencentcloud:region: ap-shanghai", "tencentcloud:region: ap-guangzhou"))
    assert any(line.startswith("tencentcloud:region: 'ap-guangzhou' differs from tke-llm:cluster.region 'ap-shanghai'")
               for line in found), found


# --- secrets named by the config --------------------------------------------------------------------

HF = {"kind": "huggingface", "repo": "Qwen/Qwen3-14B", "revision": "abc123", "tokenSecret": "hfToken"}


def _hf_model() -> dict:
    return {"name": "q", "servedName": "Q", "engine": "vllm", "pool": "gpu", "source": dict(HF),
            "settings": {"maxModelLen": 4096}, "architecture": {"paramsB": 1, "weightGb": 2, "layers": 2,
                                                                "attentionHeads": 8, "kvHeads": 8, "headDim": 64,
                                                                "contextLength": 4096}}


def test_a_token_secret_that_does_not_exist_is_a_keyed_error():
    found = errors(tke_config(models=[_hf_model()]))
    assert "tke-llm:models[0].source.tokenSecret: no config key tke-llm:hfToken; set it with " \
           "`pulumi config set --secret hfToken <value>`" in found


def test_a_token_secret_in_plain_text_is_refused_when_the_file_says_so():
    raw = tke_config(models=[_hf_model()], hfToken="hf_plain")
    assert any(m.startswith("tke-llm:models[0].source.tokenSecret: tke-llm:hfToken is stored in plain text")
               for m in errors(raw, secrets=set()))
    checked(raw, secrets={"hfToken"})


def test_a_kubeconfig_secret_that_does_not_exist_is_a_keyed_error_in_the_plan(tmp_path, capsys):
    text = (ROOT / "Pulumi.byo.yaml").read_text().replace("kubeconfigPath: ~/.kube/config", "kubeconfigSecret: kc")
    found = plan_errors(tmp_path, capsys, text)
    assert any(line.startswith("tke-llm:cluster.kubeconfigSecret: no config key tke-llm:kc") for line in found), found


# --- values that reach manifests --------------------------------------------------------------------

@pytest.mark.parametrize("value", ["500m", "2", "0.5", "1e3", "512Mi", "16Gi", "1.5G", "+1", "100n"])
def test_kubernetes_quantities_pass(value):
    checked(tke_config(gateway={"kind": "litellm", "cpu": value}))


@pytest.mark.parametrize("value", ["2 cores", "1GB", "-1", "16gi", "Gi", "1.2.3", "1e", "99999999999Ei", ""])
def test_malformed_quantities_are_refused_with_the_key(value):
    found = errors(tke_config(gateway={"kind": "litellm", "memory": value}))
    assert any(m.startswith("tke-llm:gateway.memory:") for m in found), found


@pytest.mark.parametrize("section, key", [
    ({"webui": {"storage": {"storageClassName": "Bad_Name"}}}, "tke-llm:webui.storage.storageClassName"),
    ({"storage": {"kind": "cfs", "storageClassName": "a..b"}}, "tke-llm:storage.storageClassName"),
    ({"storage": {"kind": "cfs", "provisioner": "cfs driver"}}, "tke-llm:storage.provisioner"),
    ({"storage": {"kind": "cfs", "permissionGroupId": "basic"}}, "tke-llm:storage.permissionGroupId"),
    ({"exposure": {"api": {"kind": "loadBalancer", "annotations": {"bad key!": "x"}}}},
     "tke-llm:exposure.api.annotations"),
    ({"storage": {"kind": "cfs", "sizeGi": 2**40}}, "tke-llm:storage.sizeGi"),
    ({"gateway": {"kind": "litellm", "requestTimeoutSeconds": 10**30}}, "tke-llm:gateway.requestTimeoutSeconds"),
])
def test_names_keys_and_integers_the_api_server_rejects_are_refused(section, key):
    found = errors(tke_config(**section))
    assert any(m.startswith(f"{key}:") for m in found), found


def test_label_keys_and_values_of_pools_are_checked():
    raw = existing_config()
    raw["nodePools"][0]["nodeSelector"] = {"gpu": "yes please"}
    assert any(m.startswith("tke-llm:nodePools[0].nodeSelector: label value 'yes please'") for m in errors(raw))


def test_infinite_sizes_are_refused():
    raw = tke_config(models=[{**_hf_model(), "sizeGb": float("inf")}])
    assert any(m.startswith("tke-llm:models[0].sizeGb:") for m in errors(raw))


# --- values that reach the cloud API ----------------------------------------------------------------

@pytest.mark.parametrize("network, key", [
    ({"vpcId": "vpc-1", "subnets": [{"zone": "ap-shanghai-5", "id": "subnet-abcd1234"}]}, "network.vpcId"),
    ({"vpcId": "vpc-abcd1234", "subnets": [{"zone": "ap-shanghai-5", "id": ""}]}, "network.subnets[0].id"),
    ({"subnets": [{"zone": "shanghai", "cidr": "10.0.1.0/24"}]}, "network.subnets[0].zone"),
])
def test_malformed_ids_and_zones_are_refused(network, key):
    raw = tke_config()
    raw["cluster"]["network"] = network
    assert any(m.startswith(f"tke-llm:cluster.{key}:") for m in errors(raw)), errors(raw)


def test_zones_outside_the_region_are_refused():
    raw = tke_config()
    raw["cluster"]["network"] = {"subnets": [{"zone": "ap-guangzhou-3", "cidr": "10.0.1.0/24"}]}
    found = errors(raw)
    assert any(m.startswith("tke-llm:cluster: network.subnets: zones ['ap-guangzhou-3'] are not in region ap-shanghai")
               for m in found), found


def test_attached_instance_ids_are_checked():
    pool = {"kind": "attached", "name": "h20", "instanceIds": ["ins-abcd1234", "i-1"], "keyId": "skey-abcd1234",
            "gpu": {"type": "H20", "count": 8}}
    raw = tke_config(nodePools=[tke_config()["nodePools"][0], pool])
    assert any(m.startswith("tke-llm:nodePools[1].instanceIds[1]: 'i-1' is not a Tencent Cloud id") for m in errors(raw))
