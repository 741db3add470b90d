"""A small client for the local API server: the real-engine tests read what the API server really holds
(and create the fixture's nodes, CRDs and kwok stages) without pulling a Kubernetes client library into
the program's environment."""

from __future__ import annotations

import json
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Callable

import yaml


class ApiError(RuntimeError):
    def __init__(self, status: int, body: str, url: str):
        super().__init__(f"{status} from {url}: {body[:500]}")
        self.status = status
        self.body = body


class Kube:
    def __init__(self, server: str, token: str, ca_file: Path):
        self.server = server.rstrip("/")
        self.token = token
        self._ctx = ssl.create_default_context(cafile=str(ca_file))
        self._plurals: dict[tuple[str, str], tuple[str, bool]] = {}

    def request(self, method: str, path: str, body: Any = None, content_type: str = "application/json") -> Any:
        url = self.server + path
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Authorization", f"Bearer {self.token}")
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(req, context=self._ctx, timeout=30) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as err:
            raise ApiError(err.code, err.read().decode(errors="replace"), url) from None
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:  # /readyz, /healthz answer plain text
            return raw.decode(errors="replace")

    # -- discovery -------------------------------------------------------------------------------
    def _resource(self, api_version: str, kind: str) -> tuple[str, bool]:
        key = (api_version, kind)
        if key not in self._plurals:
            base = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
            for r in self.request("GET", base)["resources"]:
                if "/" not in r["name"]:
                    self._plurals[(api_version, r["kind"])] = (r["name"], r["namespaced"])
        if key not in self._plurals:
            raise KeyError(f"{kind} is not served at {api_version}")
        return self._plurals[key]

    def served(self, api_version: str, kind: str) -> bool:
        """Whether the API server serves `kind` at `api_version` now (asked again, not from the cache)."""
        self._plurals.pop((api_version, kind), None)
        try:
            self._resource(api_version, kind)
            return True
        except (ApiError, KeyError):
            return False

    def path(self, api_version: str, kind: str, namespace: str | None = None, name: str | None = None) -> str:
        plural, namespaced = self._resource(api_version, kind)
        base = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
        if namespaced and namespace:
            base += f"/namespaces/{namespace}"
        base += f"/{plural}"
        return base + (f"/{name}" if name else "")

    # -- objects ---------------------------------------------------------------------------------
    def create(self, obj: dict[str, Any]) -> Any:
        meta = obj["metadata"]
        return self.request("POST", self.path(obj["apiVersion"], obj["kind"], meta.get("namespace")), obj)

    def ensure(self, obj: dict[str, Any]) -> None:
        """Create `obj`; one that exists already is kept as it is."""
        try:
            self.create(obj)
        except ApiError as err:
            if err.status != 409:
                raise

    def ensure_file(self, path: Path) -> None:
        """`ensure` every document of a YAML file."""
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                self.ensure(doc)

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> dict[str, Any] | None:
        try:
            return self.request("GET", self.path(api_version, kind, namespace, name))
        except ApiError as err:
            if err.status == 404:
                return None
            raise

    def list(self, api_version: str, kind: str, namespace: str | None = None,
             label_selector: str | None = None) -> list[dict[str, Any]]:
        path = self.path(api_version, kind, namespace)
        if label_selector:
            path += "?labelSelector=" + urllib.parse.quote(label_selector)
        return self.request("GET", path)["items"]

    def delete(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> None:
        try:
            self.request("DELETE", self.path(api_version, kind, namespace, name))
        except ApiError as err:
            if err.status != 404:
                raise

    def patch_status(self, api_version: str, kind: str, name: str, namespace: str | None, status: dict) -> Any:
        return self.request("PATCH", self.path(api_version, kind, namespace, name) + "/status",
                            {"status": status}, "application/merge-patch+json")

    def wait(self, what: str, check: Callable[[], Any], timeout: float = 60, interval: float = 0.5) -> Any:
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            try:
                last = check()
            except (ApiError, KeyError, OSError) as err:
                last = err
            else:
                if last:
                    return last
            time.sleep(interval)
        raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})")
