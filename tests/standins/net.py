"""Loopback helpers: a free port, JSON requests with a bearer key, waiting for a URL to answer."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(url: str, key: str | None, body: dict[str, Any] | None = None, *, timeout: float = 20,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    """(status, JSON body) of one request: POST when a body is given; HTTP errors are returned, not raised."""
    sent = {"Content-Type": "application/json", **(headers or {})}
    if key is not None:
        sent["Authorization"] = f"Bearer {key}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers=sent, method="POST" if body is not None else "GET")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as err:
        raw = err.read()
        try:
            return err.code, json.loads(raw or b"{}")
        except ValueError:
            return err.code, {"raw": raw.decode(errors="replace")}


def chat(base: str, key: str | None, model: str, content: str = "hi", **extra: Any) -> tuple[int, dict[str, Any]]:
    """One chat completion through `base` (no /v1 suffix)."""
    body = {"model": model, "messages": [{"role": "user", "content": content}], **extra}
    return request(f"{base}/v1/chat/completions", key, body)


def wait_until_answers(url: str, seconds: float, *, alive: Any = None, log: Any = None) -> None:
    """Poll `url` until it answers 200; `alive()` False or the deadline raises with the `log()` tail."""
    deadline = time.monotonic() + seconds
    while True:
        if alive is not None and not alive():
            raise AssertionError(f"the process exited before {url} answered:\n{log() if log else ''}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} did not answer within {seconds:.0f}s:\n{log() if log else ''}")
        time.sleep(0.3)
