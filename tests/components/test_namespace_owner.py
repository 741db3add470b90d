"""Whose namespace it is (components/namespace_owner.py): the verdict on a live namespace, the read through a
kubeconfig against an API stand-in on loopback, and the provider's check and diff as the engine drives them."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml
from pulumi.runtime import rpc

from components.namespace_owner import _Provider, read_namespace, verdict
from render.namespace import OWNER_ANNOTATION
from tests.conftest import render_raw, tke_config

OWNER = "tke-llm/dev"


def _ns(annotations: dict[str, str] | None = None) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team", "annotations": annotations or {}}}


def test_an_absent_namespace_or_the_stacks_own_kept_one_passes():
    assert verdict(None, namespace="team", owner=OWNER, adopt=False) is None
    assert verdict(_ns({OWNER_ANNOTATION: OWNER}), namespace="team", owner=OWNER, adopt=False) is None


def test_a_foreign_namespace_is_refused_naming_the_key_and_the_opt_in():
    msg = verdict(_ns(), namespace="team", owner=OWNER, adopt=False)
    assert msg is not None and msg.startswith("tke-llm:namespace: 'team' already exists")
    assert "no tke-llm.io/stack annotation" in msg and "`tke-llm:namespaceAdopt: true`" in msg
    other = verdict(_ns({OWNER_ANNOTATION: "tke-llm/prod"}), namespace="team", owner=OWNER, adopt=False)
    assert other is not None and "belongs to the stack 'tke-llm/prod'" in other
    legacy = _ns()
    legacy["metadata"]["labels"] = {"app.kubernetes.io/part-of": "tke-llm", "app.kubernetes.io/component": "namespace"}
    older = verdict(legacy, namespace="team", owner=OWNER, adopt=False)
    assert older is not None and "made it before namespaces were annotated" in older


def test_adopt_takes_a_foreign_namespace_on_purpose():
    assert verdict(_ns(), namespace="team", owner=OWNER, adopt=True) is None
    assert verdict(_ns({OWNER_ANNOTATION: "tke-llm/prod"}), namespace="team", owner=OWNER, adopt=True) is None


@contextmanager
def _api(namespaces: dict[str, dict[str, Any]], token: str) -> Iterator[tuple[str, list[str]]]:
    """An API server stand-in answering GET /api/v1/namespaces/<name> for a bearer token."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            seen.append(self.path)
            name = self.path.rsplit("/", 1)[-1]
            if self.headers.get("Authorization") != f"Bearer {token}":
                code, body = 401, {"kind": "Status", "code": 401}
            elif name in namespaces:
                code, body = 200, namespaces[name]
            else:
                code, body = 404, {"kind": "Status", "code": 404, "reason": "NotFound"}
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def _kubeconfig(server: str, token: str, context: str = "here") -> str:
    return yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "elsewhere",
        "clusters": [{"name": "c", "cluster": {"server": server}},
                     {"name": "other", "cluster": {"server": "http://127.0.0.1:9"}}],
        "users": [{"name": "u", "user": {"token": token}}],
        "contexts": [{"name": context, "context": {"cluster": "c", "user": "u"}},
                     {"name": "elsewhere", "context": {"cluster": "other", "user": "u"}}],
    })


def test_the_read_uses_the_named_context_and_its_token(tmp_path: Path):
    with _api({"team": _ns()}, "t0k") as (server, seen):
        path = tmp_path / "kubeconfig"
        path.write_text(_kubeconfig(server, "t0k"))
        props = {"kubeconfigPath": str(path), "context": "here"}
        assert read_namespace(props, "team")["metadata"]["name"] == "team"
        assert read_namespace({"kubeconfig": _kubeconfig(server, "t0k"), "context": "here"}, "llm") is None
        assert seen == ["/api/v1/namespaces/team", "/api/v1/namespaces/llm"]


def _check(news: dict[str, Any]) -> list[str]:
    return [f.reason for f in _Provider().check({}, news).failures]


def test_check_refuses_a_foreign_namespace_and_passes_the_own_one(tmp_path: Path):
    live = {"team": _ns(), "mine": _ns({OWNER_ANNOTATION: OWNER})}
    with _api(live, "t0k") as (server, _):
        base = {"kubeconfig": rpc.wrap_rpc_secret(_kubeconfig(server, "t0k")), "context": "here", "owner": OWNER}
        (refusal,) = _check({**base, "namespace": "team", "adopt": False})
        assert refusal.startswith("tke-llm:namespace: 'team' already exists") and "namespaceAdopt" in refusal
        assert _check({**base, "namespace": "team", "adopt": True}) == []
        assert _check({**base, "namespace": "mine", "adopt": False}) == []
        assert _check({**base, "namespace": "new", "adopt": False}) == []
        (denied,) = _check({**base, "kubeconfig": _kubeconfig(server, "wrong"), "namespace": "mine", "adopt": False})
        assert "cannot read namespace 'mine'" in denied and "401" in denied


def test_check_waits_for_a_cluster_that_does_not_exist_yet():
    news = {"kubeconfig": rpc.UNKNOWN, "namespace": "llm", "owner": OWNER, "adopt": False}
    result = _Provider().check({}, news)
    assert result.failures == [] and result.inputs == news


def test_a_new_kubeconfig_is_no_change_but_the_opt_in_is():
    olds = {"namespace": "llm", "owner": OWNER, "adopt": False, "kubeconfigPath": "/a"}
    assert not _Provider().diff("llm", olds, {**olds, "kubeconfigPath": "/b"}).changes
    adopted = _Provider().diff("llm", olds, {**olds, "adopt": True})
    assert adopted.changes and adopted.replaces == []


def test_every_in_cluster_object_waits_for_the_ownership_check():
    plan = render_raw(tke_config())
    guard = plan.one("pulumi-python:dynamic/tke-llm:NamespaceOwner")
    assert guard.inputs["namespace"] == "llm" and guard.inputs["owner"] == "tke-llm/test"
    assert guard.inputs["adopt"] is False
    namespace = next(r for r in plan.k8s_objects if r.manifest["kind"] == "Namespace")
    assert namespace.manifest["metadata"]["annotations"] == {OWNER_ANNOTATION: "tke-llm/test"}
    by_urn = plan.by_urn

    def waits(urn: str, seen: set[str]) -> bool:
        if urn == guard.urn:
            return True
        if urn in seen:
            return False
        seen.add(urn)
        return any(waits(d, seen) for d in by_urn[urn].depends_on if d in by_urn)

    assert all(waits(r.urn, set()) for r in plan.k8s_objects)
    adopting = render_raw(tke_config(namespaceAdopt=True))
    assert adopting.one("pulumi-python:dynamic/tke-llm:NamespaceOwner").inputs["adopt"] is True
