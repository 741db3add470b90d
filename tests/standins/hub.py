"""A stand-in model hub on loopback that the real `hf` and `modelscope` CLIs download from.

It serves one generated model (real safetensors shards, a config, a tokenizer) through the parts of
the Hugging Face Hub API (repo info, tree listing, HEAD/GET /resolve with Range) and of ModelScope's
(repo/files listing, repo?FilePath= with Range) that huggingface_hub 1.33.0 and modelscope-hub 0.5.1
call (read in their sources: huggingface_hub/_snapshot_download.py, file_download.py;
modelscope_hub/_download.py, _legacy_api.py). Each stream can be rate-limited, files can be served
corrupted, and every request is logged, so tests see what was fetched and how often.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import struct
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator
from urllib.parse import parse_qs, unquote, urlsplit

from tests.standins.net import free_port


def safetensors_bytes(tensors: dict[str, tuple[str, list[int], bytes]]) -> bytes:
    """A real safetensors file: an 8-byte little-endian header length, a JSON header, the data."""
    header, data, offset = {}, b"", 0
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        data += raw
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def generated_model(shards: int = 4, shard_bytes: int = 1 << 20, seed: int = 17) -> dict[str, bytes]:
    """A small model in several shards: each shard one float32 tensor of random bytes, plus the
    index, config and tokenizer files a checkpoint carries (those stay small, i.e. not LFS)."""
    rng = random.Random(seed)
    files: dict[str, bytes] = {}
    weight_map = {}
    for i in range(shards):
        name = f"model-{i + 1:05d}-of-{shards:05d}.safetensors"
        count = shard_bytes // 4
        tensor = f"layers.{i}.weight"
        files[name] = safetensors_bytes({tensor: ("F32", [count], rng.randbytes(count * 4))})
        weight_map[tensor] = name
    files["model.safetensors.index.json"] = json.dumps({"metadata": {}, "weight_map": weight_map}).encode()
    files["config.json"] = json.dumps({"architectures": ["Standin"], "hidden_size": 64}).encode()
    files["tokenizer.json"] = json.dumps({"version": "1.0", "model": {"vocab": {"a": 0}}}).encode()
    return files


def git_blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


LFS_MIN = 10 * 1024
"""Files at least this large are served as LFS files (sha256 etag), as the hubs track weights."""


@dataclass
class Served:
    method: str
    api: str
    file: str
    start: int
    bytes: int = 0


@dataclass
class Hub:
    repo: str
    revision: str
    files: dict[str, bytes]
    commit: str = "0123456789abcdef0123456789abcdef01234567"
    stream_bytes_per_s: float | None = None
    """Per-connection rate limit, as a hub CDN caps each stream (None: as fast as loopback goes)."""
    corrupt: dict[str, int] = field(default_factory=dict)
    """File -> how many of its next GETs are served with one byte flipped (the listing still gives the
    true size and hashes)."""
    log: list[Served] = field(default_factory=list)
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def sha256(self, path: str) -> str:
        return hashlib.sha256(self.files[path]).hexdigest()

    def is_lfs(self, path: str) -> bool:
        return len(self.files[path]) >= LFS_MIN

    def fetched(self, path: str) -> list[Served]:
        """Completed or partial GETs of one file's content."""
        return [s for s in self.log if s.file == path and s.method == "GET"]

    def bytes_served(self) -> int:
        return sum(s.bytes for s in self.log)

    def body(self, path: str, method: str) -> bytes:
        data = self.files[path]
        with self.lock:
            bad = self.corrupt.get(path, 0) > 0 and method == "GET"
            if bad:
                self.corrupt[path] -= 1
        if bad:
            middle = len(data) // 2
            data = data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1:]
        return data


def _handler(hub: Hub) -> type[BaseHTTPRequestHandler]:
    hf_info = re.compile(rf"^/api/models/{re.escape(hub.repo)}/revision/(?P<rev>[^/]+)$")
    hf_tree = re.compile(rf"^/api/models/{re.escape(hub.repo)}/tree/(?P<rev>[^/]+)(?:/.*)?$")
    hf_resolve = re.compile(rf"^/{re.escape(hub.repo)}/resolve/(?P<rev>[^/]+)/(?P<file>.+)$")
    ms_files = f"/api/v1/models/{hub.repo}/repo/files"
    ms_file = f"/api/v1/models/{hub.repo}/repo"

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # quiet: the hub's log list is the record
            pass

        def _json(self, body: object, status: int = 200) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.send_header("X-Repo-Commit", hub.commit)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(raw)

        def _known_rev(self, rev: str) -> bool:
            return unquote(rev) in (hub.revision, hub.commit)

        def _content(self, api: str, path: str) -> None:
            if path not in hub.files:
                self._json({"error": "Entry not found"}, 404)
                return
            data = hub.body(path, self.command)
            start, end = 0, len(data) - 1
            match = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
            if match:
                start = int(match.group(1))
                end = min(int(match.group(2)) if match.group(2) else end, len(data) - 1)
                if start >= len(data):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(data)}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
            self.send_response(206 if match else 200)
            if match:
                self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
            self.send_header("Content-Length", str(end - start + 1))
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("X-Repo-Commit", hub.commit)
            etag = hub.sha256(path) if hub.is_lfs(path) else git_blob_sha1(hub.files[path])
            self.send_header("ETag", f'"{etag}"')
            if hub.is_lfs(path):
                self.send_header("X-Linked-Etag", f'"{etag}"')
                self.send_header("X-Linked-Size", str(len(data)))
            self.end_headers()
            served = Served(self.command, api, path, start)
            with hub.lock:
                hub.log.append(served)
            if self.command == "HEAD":
                return
            self._send(data[start:end + 1], served)

        def _send(self, payload: bytes, served: Served) -> None:
            """Write in 64 KiB chunks, paced to the per-stream limit."""
            began = time.monotonic()
            chunk = 64 * 1024
            for off in range(0, len(payload), chunk):
                part = payload[off:off + chunk]
                try:
                    self.wfile.write(part)
                except (BrokenPipeError, ConnectionResetError):
                    return
                served.bytes += len(part)
                if hub.stream_bytes_per_s:
                    ahead = served.bytes / hub.stream_bytes_per_s - (time.monotonic() - began)
                    if ahead > 0:
                        time.sleep(ahead)

        def _hf_tree(self) -> list[dict]:
            out = []
            for path, data in sorted(hub.files.items()):
                entry = {"type": "file", "path": path, "size": len(data), "oid": git_blob_sha1(data)}
                if hub.is_lfs(path):
                    entry["lfs"] = {"oid": hub.sha256(path), "size": len(data), "pointerSize": 134}
                out.append(entry)
            return out

        def _ms_files(self) -> list[dict]:
            return [{"Name": p.rsplit("/", 1)[-1], "Path": p, "Type": "blob", "Size": len(d),
                     "Sha256": hub.sha256(p) if hub.is_lfs(p) else "", "Revision": hub.commit,
                     "IsLFS": hub.is_lfs(p)} for p, d in sorted(hub.files.items())]

        def do_HEAD(self) -> None:
            self.do_GET()

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            path, query = unquote(url.path), parse_qs(url.query)
            if m := hf_info.match(path):
                if not self._known_rev(m["rev"]):
                    self._json({"error": "Revision Not Found"}, 404)
                    return
                self._json({"id": hub.repo, "modelId": hub.repo, "sha": hub.commit, "private": False,
                            "siblings": [{"rfilename": p} for p in sorted(hub.files)]})
            elif m := hf_tree.match(path):
                self._json(self._hf_tree() if self._known_rev(m["rev"]) else {"error": "Revision Not Found"},
                           200 if self._known_rev(m["rev"]) else 404)
            elif m := hf_resolve.match(path):
                self._content("hf", m["file"]) if self._known_rev(m["rev"]) else self._json({}, 404)
            elif path == ms_files:
                rev = query.get("Revision", ["master"])[0]
                if not self._known_rev(rev):
                    self._json({"Code": 10010205001, "Message": "revision not found", "Success": False}, 404)
                    return
                self._json({"Code": 200, "Data": {"Files": self._ms_files()}, "Success": True})
            elif path == ms_file:
                rev = query.get("Revision", ["master"])[0]
                if not self._known_rev(rev):
                    self._json({"Code": 404, "Success": False}, 404)
                    return
                self._content("modelscope", query.get("FilePath", [""])[0])
            else:
                self._json({"error": f"not served by the stand-in: {path}"}, 404)

    return Handler


@contextmanager
def running_hub(hub: Hub) -> Iterator[Hub]:
    """Serve `hub` on 127.0.0.1 until the block ends; `hub.url` is its endpoint."""
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _handler(hub))
    server.daemon_threads = True
    hub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hub
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
