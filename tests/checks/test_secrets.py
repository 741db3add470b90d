"""Secrets named by the config (checks/secrets.py): a missing or plain-text secret is a keyed error."""

from __future__ import annotations

from checks import checked

from tests.conftest import ROOT, plan_errors, tke_config
from tests.config.helpers import _hf_model, errors


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
