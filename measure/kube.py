"""A small Kubernetes API client from a kubeconfig (the stack's `kubeconfig` output, or `$KUBECONFIG`):
bearer token or client certificate, the cluster's CA. Enough to create the benchmark's objects, wait for
the Job and read its pod's log, without a client library in the program's environment."""

from __future__ import annotations

import base64
import json
import ssl
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import yaml


class KubeError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(f"{status}: {message[:400]}")
        self.status = status


class Kube:
    def __init__(self, kubeconfig: str):
        doc = yaml.safe_load(kubeconfig) or {}
        contexts = {c["name"]: c["context"] for c in doc.get("contexts") or []}
        ctx = contexts.get(doc.get("current-context")) or next(iter(contexts.values()), None)
        if ctx is None:
            raise KubeError(0, "the kubeconfig has no context")
        cluster = {c["name"]: c["cluster"] for c in doc.get("clusters") or []}[ctx["cluster"]]
        user = {u["name"]: u["user"] for u in doc.get("users") or []}.get(ctx.get("user"), {})
        self.server = cluster["server"].rstrip("/")
        self._dir = tempfile.TemporaryDirectory(prefix="measure-kube-")
        self.ctx = ssl.create_default_context(cafile=self._file(cluster, "certificate-authority"))
        if cluster.get("insecure-skip-tls-verify"):
            self.ctx.check_hostname, self.ctx.verify_mode = False, ssl.CERT_NONE
        cert, key = self._file(user, "client-certificate"), self._file(user, "client-key")
        if cert and key:
            self.ctx.load_cert_chain(cert, key)
        self.token = user.get("token")

    def _file(self, section: dict[str, Any], name: str) -> str | None:
        if section.get(name):
            return str(section[name])
        data = section.get(f"{name}-data")
        if not data:
            return None
        path = Path(self._dir.name) / name
        path.write_bytes(base64.b64decode(data))
        return str(path)

    def request(self, method: str, path: str, body: Any = None, raw: bool = False) -> Any:
        req = urllib.request.Request(self.server + path, method=method,
                                     data=None if body is None else json.dumps(body).encode())
        req.add_header("Accept", "application/json")
        if body is not None:
            req.add_header("Content-Type", "application/json")
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=60) as resp:
                data = resp.read()
        except urllib.error.HTTPError as err:
            raise KubeError(err.code, err.read().decode(errors="replace")) from None
        return data.decode(errors="replace") if raw else (json.loads(data) if data else None)

    def replace(self, obj: dict[str, Any]) -> None:
        """Delete the object if it is there (foreground, waited for), then create it."""
        path = collection(obj)
        name = obj["metadata"]["name"]
        try:
            self.request("DELETE", f"{path}/{name}", {"propagationPolicy": "Foreground"})
        except KubeError as err:
            if err.status != 404:
                raise
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # bounded: a Job's pods go first (foreground deletion)
            try:
                self.request("GET", f"{path}/{name}")
            except KubeError as err:
                if err.status == 404:
                    break
                raise
            time.sleep(2)
        self.request("POST", path, obj)

    def delete(self, obj: dict[str, Any]) -> None:
        try:
            self.request("DELETE", f"{collection(obj)}/{obj['metadata']['name']}")
        except KubeError as err:
            if err.status != 404:
                raise


def collection(obj: dict[str, Any]) -> str:
    """The API path of the object's kind in its namespace (the kinds the benchmark creates)."""
    plural = {"Job": "jobs", "ConfigMap": "configmaps", "Secret": "secrets"}[obj["kind"]]
    group = "/api/v1" if obj["apiVersion"] == "v1" else f"/apis/{obj['apiVersion']}"
    return f"{group}/namespaces/{obj['metadata']['namespace']}/{plural}"
