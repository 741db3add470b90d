"""The kubeconfig the stack outputs (or $KUBECONFIG) becomes a client: server, CA, token or client cert."""

from __future__ import annotations

import base64
import ssl

import pytest
import yaml

from measure.kube import Kube, KubeError, collection


def kubeconfig(user: dict, cluster_extra: dict | None = None) -> str:
    return yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "b",
        "clusters": [{"name": "c", "cluster": {"server": "https://10.0.0.1:443/", **(cluster_extra or {})}}],
        "users": [{"name": "u", "user": user}],
        "contexts": [{"name": "a", "context": {"cluster": "c", "user": "nobody"}},
                     {"name": "b", "context": {"cluster": "c", "user": "u"}}]})


def test_the_current_context_and_its_token():
    k = Kube(kubeconfig({"token": "t0k"}))
    assert k.server == "https://10.0.0.1:443" and k.token == "t0k"
    assert k.ctx.verify_mode == ssl.CERT_REQUIRED


def test_insecure_skip_is_honoured_and_bad_ca_data_fails():
    assert Kube(kubeconfig({"token": "x"}, {"insecure-skip-tls-verify": True})).ctx.verify_mode == ssl.CERT_NONE
    bad = base64.b64encode(b"not a certificate").decode()
    with pytest.raises(ssl.SSLError):
        Kube(kubeconfig({"token": "x"}, {"certificate-authority-data": bad}))


def test_no_context_is_an_error():
    with pytest.raises(KubeError, match="no context"):
        Kube("apiVersion: v1\n")


def test_the_api_paths_of_the_benchmarks_kinds():
    meta = {"name": "x", "namespace": "llm-apps"}
    assert collection({"apiVersion": "batch/v1", "kind": "Job", "metadata": meta}) == "/apis/batch/v1/namespaces/llm-apps/jobs"
    assert collection({"apiVersion": "v1", "kind": "Secret", "metadata": meta}) == "/api/v1/namespaces/llm-apps/secrets"
