"""The stack file, read the way the Pulumi CLI reads it (config/namespaces.py, preview/stackfile.py): keys
the CLI accepts are read as it reads them; a key that would be ignored without a word, one written twice, or
a file that is not a mapping of strings is refused with exit 2 and a message naming the key."""

from __future__ import annotations

import pytest

from checks import checked

from tests.conftest import ROOT, plan_errors

DEV = (ROOT / "Pulumi.dev.yaml").read_text()


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


def test_a_tke_stack_without_the_providers_region_is_refused(tmp_path, capsys):
    """Unset, the Tencent Cloud provider takes TENCENTCLOUD_REGION from whoever runs `pulumi up`, or its default."""
    found = plan_errors(tmp_path, capsys, DEV.replace("  tencentcloud:region: ap-shanghai\n", ""))
    assert "tencentcloud:region: not set: the Tencent Cloud provider would create the cluster in the region of its " \
           "environment (TENCENTCLOUD_REGION) or its own default; add `tencentcloud:region: ap-shanghai` beside " \
           "tke-llm:cluster (`pulumi config set tencentcloud:region ap-shanghai`)" in found, found


def test_an_existing_cluster_needs_no_provider_region():
    from config.namespaces import provider_issues

    assert provider_issues({"cluster": {"kind": "existing", "name": "lab"}}, {}) == []
