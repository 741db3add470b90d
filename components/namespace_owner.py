"""Whose the stack's namespace is, read from the cluster when `pulumi preview`/`up` checks the resource.

The provider upserts existing objects (components/k8s_provider.py), so without this a stack would take
over any namespace it names. A dynamic resource whose `check` reads the live namespace: absent, or
annotated as this stack's (`tke-llm.io/stack`), or `namespaceAdopt: true`, passes; anything else fails
the check before any in-cluster object is sent. Pickled by reference: never move or rename this module.
See docs/pulumi-behaviour.md, "Whose namespace it is".
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import subprocess
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, Resource, \
    ResourceProvider, UpdateResult
from pulumi.runtime import rpc

from config.errors import PROJECT
from render.meta import PART_OF
from render.namespace import OWNER_ANNOTATION

TYPE = "pulumi-python:dynamic/tke-llm:NamespaceOwner"
_STATE = ("namespace", "owner", "adopt")


def verdict(live: dict[str, Any] | None, *, namespace: str, owner: str, adopt: bool) -> str | None:
    """None when the stack may own `namespace` (absent, its own kept one, or adoption asked for);
    otherwise the keyed refusal."""
    if live is None or adopt:
        return None
    meta = live.get("metadata") or {}
    found = (meta.get("annotations") or {}).get(OWNER_ANNOTATION)
    if found == owner:
        return None
    ours = (meta.get("labels") or {}).get("app.kubernetes.io/part-of") == PART_OF
    if found:
        whose = f"it belongs to the stack {found!r} ({OWNER_ANNOTATION})"
    elif ours:
        whose = (f"it carries tke-llm's labels but no {OWNER_ANNOTATION} annotation: a tke-llm stack made it before "
                 "namespaces were annotated, this one or another (if this one: set the opt-in below for one `up`, "
                 "which writes the annotation)")
    else:
        whose = f"this stack did not create it (it carries no {OWNER_ANNOTATION} annotation)"
    return (f"{PROJECT}:namespace: {namespace!r} already exists in the cluster and {whose}: `pulumi up` would take it "
            "over (Pod Security labels, a default-deny NetworkPolicy cutting ingress to what runs there) and record "
            f"it as this stack's. Give the stack a namespace of its own (`{PROJECT}:namespace`), or set "
            f"`{PROJECT}:namespaceAdopt: true` to adopt this one on purpose")


def _kubeconfig(props: dict[str, Any]) -> tuple[dict[str, Any], Path]:
    """The parsed kubeconfig and the directory its relative file paths are resolved against."""
    if props.get("kubeconfig"):
        return yaml.safe_load(props["kubeconfig"]), Path.cwd()
    path = Path(os.path.expanduser(props["kubeconfigPath"]))
    return yaml.safe_load(path.read_text()), path.parent


def _named(doc: dict[str, Any], section: str, name: str | None) -> dict[str, Any]:
    key = section[:-1]
    for entry in doc.get(section) or []:
        if entry.get("name") == name:
            return entry.get(key) or {}
    raise LookupError(f"the kubeconfig has no {key} named {name!r}")


def _exec_credential(spec: dict[str, Any]) -> dict[str, Any]:
    """A client-go credential plugin's `status` (k8s.io/client-go/plugin/pkg/client/auth/exec)."""
    env = {**os.environ, **{e["name"]: e["value"] for e in spec.get("env") or []},
           "KUBERNETES_EXEC_INFO": json.dumps({"apiVersion": spec.get("apiVersion"), "kind": "ExecCredential",
                                               "spec": {"interactive": False}})}
    out = subprocess.run([spec["command"], *(spec.get("args") or [])], env=env, capture_output=True, text=True,
                         timeout=60, check=True)
    return json.loads(out.stdout).get("status") or {}


def read_namespace(props: dict[str, Any], name: str) -> dict[str, Any] | None:
    """GET the namespace as the kubeconfig's context (or `context`) reaches it; None when it is absent."""
    doc, base = _kubeconfig(props)
    ctx = _named(doc, "contexts", props.get("context") or doc.get("current-context"))
    cluster, user = _named(doc, "clusters", ctx.get("cluster")), _named(doc, "users", ctx.get("user"))
    path = lambda p: str(base / os.path.expanduser(p))  # noqa: E731
    tls = ssl.create_default_context()
    if cluster.get("insecure-skip-tls-verify"):
        tls.check_hostname, tls.verify_mode = False, ssl.CERT_NONE
    elif cluster.get("certificate-authority-data"):
        tls.load_verify_locations(cadata=base64.b64decode(cluster["certificate-authority-data"]).decode())
    elif cluster.get("certificate-authority"):
        tls.load_verify_locations(cafile=path(cluster["certificate-authority"]))
    headers = {"Accept": "application/json"}
    status = _exec_credential(user["exec"]) if user.get("exec") else {}
    token = status.get("token") or user.get("token")
    if not token and user.get("tokenFile"):
        token = Path(path(user["tokenFile"])).read_text().strip()
    if token:
        headers["Authorization"] = f"Bearer {token}"
    elif user.get("username"):
        pair = f"{user['username']}:{user.get('password', '')}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    with tempfile.TemporaryDirectory() as tmp:
        cert = status.get("clientCertificateData") or (base64.b64decode(user["client-certificate-data"]).decode()
                                                       if user.get("client-certificate-data") else None)
        key = status.get("clientKeyData") or (base64.b64decode(user["client-key-data"]).decode()
                                              if user.get("client-key-data") else None)
        if cert and key:
            Path(tmp, "c").write_text(cert)
            Path(tmp, "k").write_text(key)
            tls.load_cert_chain(str(Path(tmp, "c")), str(Path(tmp, "k")))
        elif user.get("client-certificate") and user.get("client-key"):
            tls.load_cert_chain(path(user["client-certificate"]), path(user["client-key"]))
        url = f"{cluster['server'].rstrip('/')}/api/v1/namespaces/{name}"
        opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=tls))
        try:
            with opener.open(urllib.request.Request(url, headers=headers), timeout=30) as resp:
                return json.loads(resp.read())
        except urllib.error.HTTPError as err:
            if err.code == 404:
                return None
            raise


class _Provider(ResourceProvider):
    def check(self, olds, news):  # type: ignore[no-untyped-def]
        plain = {k: rpc.unwrap_rpc_secret(v) for k, v in rpc.unwrap_rpc_secret(news).items()}
        source = plain.get("kubeconfig") or plain.get("kubeconfigPath")
        if source in (None, rpc.UNKNOWN) or rpc.UNKNOWN in (plain.get("namespace"), plain.get("context")):
            return CheckResult(news, [])  # a cluster still to be created holds no namespace yet
        try:
            live = read_namespace(plain, plain["namespace"])
        except Exception as err:  # unreachable, refused, malformed kubeconfig: ownership cannot be confirmed
            return CheckResult(news, [CheckFailure("namespace", f"{PROJECT}:namespace: cannot read namespace "
                                                   f"{plain['namespace']!r} from the cluster to confirm it is this "
                                                   f"stack's ({type(err).__name__}: {err})")])
        problem = verdict(live, namespace=plain["namespace"], owner=plain["owner"], adopt=bool(plain.get("adopt")))
        return CheckResult(news, [CheckFailure("namespace", problem)] if problem else [])

    def create(self, props):  # type: ignore[no-untyped-def]
        return CreateResult(id_=props["namespace"], outs={k: props.get(k) for k in _STATE})

    def diff(self, _id, olds, news):  # type: ignore[no-untyped-def]
        # The kubeconfig is how the cluster is reached, not what the resource is (a rotated token is no change).
        changed = [k for k in _STATE if olds.get(k) != news.get(k)]
        return DiffResult(changes=bool(changed), replaces=[], stables=[], delete_before_replace=False)

    def update(self, _id, _olds, news):  # type: ignore[no-untyped-def]
        return UpdateResult(outs={k: news.get(k) for k in _STATE})

    def read(self, id_, props):  # type: ignore[no-untyped-def]
        return ReadResult(id_=id_, outs=props)


class NamespaceOwner(Resource, module="tke-llm", name="NamespaceOwner"):
    """Passes `pulumi preview`/`up` only when `namespace` may be this stack's (see `verdict`); every
    in-cluster resource depends on it. Exactly one of `kubeconfig` (contents) and `kubeconfig_path`."""

    def __init__(self, name: str, *, namespace: str, owner: str, adopt: bool,
                 kubeconfig: pulumi.Input[str] | None = None, kubeconfig_path: str | None = None,
                 context: str | None = None, opts: pulumi.ResourceOptions | None = None):
        props: dict[str, Any] = {"namespace": namespace, "owner": owner, "adopt": adopt}
        if kubeconfig is not None:
            props["kubeconfig"] = pulumi.Output.secret(kubeconfig)
        else:
            props["kubeconfigPath"] = kubeconfig_path
        if context:
            props["context"] = context
        super().__init__(_Provider(), name, props, opts)
