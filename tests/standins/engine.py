"""A stand-in for a GPU engine: an OpenAI-compatible server (or Ollama's API) on loopback.

It answers what the real engines answer on the paths clients use (models, chat and text completions,
streamed or not, with usage; /health; vLLM-style /metrics), at a set time to first token and latency
per token, optionally only after a start delay (as a replica still loading its weights refuses
connections), and keeps a per-replica prefix cache so routing tests can count cache hits. Like vLLM it
also tokenizes (/tokenize; the render endpoints when `scale_out`, else 403), which routers call.
"""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.standins.net import free_port

BLOCK_CHARS = 64
"""Prefix-cache block size in characters (vLLM hashes blocks of 16 tokens; a token is about four characters)."""


def prompt_text(body: dict[str, Any]) -> str:
    """The text a request asks about: chat messages joined in order, or the completion prompt."""
    if "messages" in body:
        parts = []
        for m in body["messages"]:
            content = m.get("content") or ""
            if isinstance(content, list):
                content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
            parts.append(f"{m.get('role', '')}:{content}")
        return "\n".join(parts)
    prompt = body.get("prompt", "")
    return prompt if isinstance(prompt, str) else json.dumps(prompt)


TOKEN_CHARS = 4
"""Characters per stand-in token (about four per token in English text)."""


def token_ids(text: str) -> list[int]:
    """Deterministic stand-in token ids, one per TOKEN_CHARS characters: equal prefixes, equal leading ids."""
    return [int.from_bytes(hashlib.sha256(text[i:i + TOKEN_CHARS].encode()).digest()[:4], "big") % 150_000
            for i in range(0, len(text), TOKEN_CHARS)] or [0]


def prefix_blocks(text: str, block: int = BLOCK_CHARS) -> list[str]:
    """Chained hashes of the full blocks of `text`: equal prefixes give equal leading hashes."""
    out, h = [], b""
    for i in range(0, len(text) - len(text) % block, block):
        h = hashlib.sha256(h + text[i:i + block].encode()).digest()
        out.append(h.hex())
    return out


RENDER_PATHS = ("/v1/chat/completions/render", "/v1/completions/render")
"""vLLM 0.34: vllm/entrypoints/scale_out/render/api_router.py; registered only with --enable-scale-out
(scale_out/factories.py), otherwise answered 403 with this message."""
SCALE_OUT_DISABLED = "Scale-out endpoints are disabled. Restart vllm serve with --enable-scale-out to enable them."


class StandinEngine:
    """One engine replica on 127.0.0.1. `calls` records every completion request; `cache_hits` and
    `cache_blocks` count prefix-cache blocks found and looked up; `close()` makes it stop answering."""

    def __init__(self, served_name: str, *, answer: str | None = None, ttft: float = 0.0,
                 token_latency: float = 0.0, start_after: float = 0.0, key: str | None = None,
                 api: str = "openai", port: int | None = None, scale_out: bool = False,
                 prefill_per_block: float = 0.0, cache_capacity: int | None = None,
                 adapters: tuple[str, ...] = (), answer_model: str | None = None):
        self.served_name = served_name
        self.adapters = tuple(adapters)
        """LoRA adapter names it also serves (as vLLM's --lora-modules), listed in /v1/models with the base as parent."""
        self.answer_model = answer_model
        """The model name answers carry (default: the one asked for); another name stands in for an
        engine that loaded the wrong weights under the served name."""
        self.answer = answer if answer is not None else f"hello from {served_name}"
        self.ttft, self.token_latency, self.key, self.api = ttft, token_latency, key, api
        self.cache_capacity = cache_capacity  # prefix blocks the replica's KV cache holds (None: unbounded)
        self.prefill_per_block = prefill_per_block  # extra time to first token per prefix block not cached
        self.scale_out = scale_out  # vLLM's --enable-scale-out: the /render endpoints answer instead of 403
        self.tokenize_calls: list[dict[str, Any]] = []  # /tokenize and /render requests (path, authorization, model)
        self.calls: list[dict[str, Any]] = []
        self.cache: dict[str, None] = {}  # block hashes in least- to most-recently-used order
        self.cache_hits = 0
        self.cache_blocks = 0
        self.running = 0
        self.lock = threading.Lock()
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.url = f"{self.base}/v1"
        self.ready = threading.Event()
        self.server: ThreadingHTTPServer | None = None
        self._closed = False
        if start_after > 0:
            threading.Thread(target=self._start_later, args=(start_after,), daemon=True).start()
        else:
            self._start()

    # -- lifecycle -------------------------------------------------------------------------------
    def _start_later(self, delay: float) -> None:
        time.sleep(delay)
        if not self._closed:
            self._start()

    def _start(self) -> None:
        self.server = _Server(("127.0.0.1", self.port), _handler(self))
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.ready.set()

    def close(self) -> None:
        """Stop answering: the port then refuses connections and open (keep-alive) ones are cut, as a
        dead replica's are."""
        self._closed = True
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server.cut_connections()
            self.server = None

    # -- behaviour -------------------------------------------------------------------------------
    def tokens(self, body: dict[str, Any]) -> list[str]:
        """The answer's tokens: its words, or exactly `max_tokens` of them (cycled) when asked for."""
        words = self.answer.split(" ")
        wanted = body.get("max_tokens") or body.get("max_completion_tokens")
        if not wanted:
            return [w if i == 0 else f" {w}" for i, w in enumerate(words)]
        return [(" " if i else "") + words[i % len(words)] for i in range(int(wanted))]

    def record(self, path: str, headers: Any, body: dict[str, Any]) -> dict[str, Any]:
        text = prompt_text(body)
        blocks = prefix_blocks(text)
        with self.lock:
            hit = 0
            for b in blocks:  # a prefix cache hits only on a run of leading blocks
                if b not in self.cache:
                    break
                hit += 1
            for b in blocks:
                self.cache.pop(b, None)
                self.cache[b] = None
            while self.cache_capacity is not None and len(self.cache) > self.cache_capacity:
                del self.cache[next(iter(self.cache))]  # evict the least recently used block, as vLLM's LRU does
            self.cache_hits += hit
            self.cache_blocks += len(blocks)
            call = {"path": path, "authorization": headers.get("Authorization"), "model": body.get("model"),
                    "prompt": text, "stream": bool(body.get("stream")), "cached_blocks": hit,
                    "blocks": len(blocks), "headers": dict(headers.items()), "user": body.get("user"),
                    "time": time.time()}
            self.calls.append(call)
        return call

    def metrics(self) -> str:
        """vLLM's gauge names (vllm/v1/metrics/loggers.py at the pinned release) for routers that read load."""
        return ("# TYPE vllm:num_requests_running gauge\n"
                f'vllm:num_requests_running{{model_name="{self.served_name}"}} {self.running}\n'
                "# TYPE vllm:num_requests_waiting gauge\n"
                f'vllm:num_requests_waiting{{model_name="{self.served_name}"}} 0\n'
                "# TYPE vllm:kv_cache_usage_perc gauge\n"
                f'vllm:kv_cache_usage_perc{{model_name="{self.served_name}"}} {min(len(self.cache) / 1e4, 1.0)}\n')


class _Server(ThreadingHTTPServer):
    """Keeps its open connections so `close()` can cut them: a client's pooled keep-alive connection
    to a stopped replica must fail, not go on being served by its handler thread."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.connections: set[socket.socket] = set()

    def process_request(self, request: Any, client_address: Any) -> None:
        self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        self.connections.discard(request)
        super().shutdown_request(request)

    def cut_connections(self) -> None:
        for conn in list(self.connections):
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()


def _handler(engine: StandinEngine) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _json(self, code: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _text(self, code: int, text: str, ctype: str = "text/plain") -> None:
            data = text.encode()
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _authorised(self) -> bool:
            if engine.key is None or self.headers.get("Authorization") == f"Bearer {engine.key}":
                return True
            self._json(401, {"error": {"message": "invalid api key", "type": "invalid_request_error"}})
            return False

        def _body(self) -> dict[str, Any]:
            length = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(length) or b"{}")

        def do_GET(self) -> None:  # noqa: N802
            path = self.path.split("?")[0]
            if path in ("/health", "/healthz", "/ping", "/readiness", "/liveness"):
                return self._text(200, "")
            if path == "/metrics":
                return self._text(200, engine.metrics(), "text/plain; version=0.0.4")
            if engine.api == "ollama":
                if path == "/api/version":
                    return self._json(200, {"version": "0.12.11"})
                if path == "/api/tags":
                    return self._json(200, {"models": [{"name": engine.served_name, "model": engine.served_name,
                                                        "modified_at": "2026-12-01T00:00:00Z", "size": 1,
                                                        "digest": "0" * 64, "details": {"format": "gguf"}}]})
                if path == "/":
                    return self._text(200, "Ollama is running")
            if path in ("/v1/models", "/models"):
                if not self._authorised():
                    return None
                return self._json(200, {"object": "list", "data": [
                    {"id": engine.served_name, "object": "model", "owned_by": "standin", "created": 0},
                    *({"id": a, "object": "model", "owned_by": "standin", "created": 0, "parent": engine.served_name}
                      for a in engine.adapters)]})
            return self._json(404, {"error": {"message": f"no route {path}"}})

        def do_POST(self) -> None:  # noqa: N802
            path = self.path.split("?")[0]
            body = self._body()
            if engine.api == "ollama" and path in ("/api/chat", "/api/generate"):
                return self._ollama(path, body)
            if engine.api == "openai" and path in RENDER_PATHS + ("/tokenize",):
                return self._tokenize(path, body)
            if path not in ("/v1/chat/completions", "/v1/completions"):
                return self._json(404, {"error": {"message": f"no route {path}"}})
            if not self._authorised():
                return None
            if body.get("model") != engine.served_name and body.get("model") not in engine.adapters:
                return self._json(404, {"error": {"message": f"The model `{body.get('model')}` does not exist.",
                                                  "type": "NotFoundError", "code": 404}})
            call = engine.record(path, self.headers, body)
            with engine.lock:
                engine.running += 1
            try:
                self._complete(path, body, call["blocks"] - call["cached_blocks"])
            finally:
                with engine.lock:
                    engine.running -= 1

        def _tokenize(self, path: str, body: dict[str, Any]) -> None:
            """vLLM 0.34's /tokenize (TokenizeResponse, unguarded) and render endpoints (GenerateRequest; a list
            for completions), guarded by the key like every /v1 path and 403 without --enable-scale-out."""
            with engine.lock:
                engine.tokenize_calls.append({"path": path, "authorization": self.headers.get("Authorization"),
                                              "model": body.get("model")})
            if path.startswith("/v1") and not self._authorised():
                return None
            if path in RENDER_PATHS and not engine.scale_out:
                return self._json(403, {"error": {"message": SCALE_OUT_DISABLED, "type": "PermissionDeniedError",
                                                  "code": 403}})
            ids = token_ids(prompt_text(body))
            if path == "/tokenize":
                return self._json(200, {"count": len(ids), "max_model_len": 32768, "tokens": ids, "token_strs": None})
            rendered = {"request_id": f"render-{len(engine.tokenize_calls)}", "token_ids": ids}
            return self._json(200, rendered if path == RENDER_PATHS[0] else [rendered])

        def _complete(self, path: str, body: dict[str, Any], uncached: int = 0) -> None:
            chat = path.endswith("chat/completions")
            tokens = engine.tokens(body)
            prompt_tokens = max(1, len(prompt_text(body)) // 4)
            usage = {"prompt_tokens": prompt_tokens, "completion_tokens": len(tokens),
                     "total_tokens": prompt_tokens + len(tokens)}
            rid, created = f"cmpl-standin-{len(engine.calls)}", int(time.time())
            kind = "chat.completion" if chat else "text_completion"
            named = engine.answer_model or engine.served_name
            time.sleep(engine.ttft + engine.prefill_per_block * uncached)
            if not body.get("stream"):
                time.sleep(engine.token_latency * max(0, len(tokens) - 1))
                text = "".join(tokens)
                choice = ({"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}
                          if chat else {"index": 0, "finish_reason": "stop", "text": text, "logprobs": None})
                return self._json(200, {"id": rid, "object": kind, "created": created, "model": named,
                                        "choices": [choice], "usage": usage})
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True

            def send(obj: Any) -> None:
                self.wfile.write(f"data: {obj if isinstance(obj, str) else json.dumps(obj)}\n\n".encode())
                self.wfile.flush()

            chunk_kind = "chat.completion.chunk" if chat else "text_completion"
            for i, tok in enumerate(tokens):
                if i:
                    time.sleep(engine.token_latency)
                delta = ({"index": 0, "delta": ({"role": "assistant", "content": tok} if i == 0 else {"content": tok}),
                          "finish_reason": None} if chat else {"index": 0, "text": tok, "finish_reason": None})
                send({"id": rid, "object": chunk_kind, "created": created, "model": named,
                      "choices": [delta]})
            last = ({"index": 0, "delta": {}, "finish_reason": "stop"} if chat
                    else {"index": 0, "text": "", "finish_reason": "stop"})
            send({"id": rid, "object": chunk_kind, "created": created, "model": named, "choices": [last]})
            if (body.get("stream_options") or {}).get("include_usage"):
                send({"id": rid, "object": chunk_kind, "created": created, "model": named,
                      "choices": [], "usage": usage})
            send("[DONE]")

        def _ollama(self, path: str, body: dict[str, Any]) -> None:
            """Ollama's native API (ollama/api/types.go): NDJSON stream by default, one object when stream=false."""
            engine.record(path, self.headers, body)
            tokens = engine.tokens({})
            chat = path == "/api/chat"
            time.sleep(engine.ttft)

            def piece(tok: str, done: bool) -> dict[str, Any]:
                out: dict[str, Any] = {"model": engine.answer_model or body.get("model"), "created_at": "2026-12-01T00:00:00Z", "done": done}
                if chat:
                    out["message"] = {"role": "assistant", "content": tok}
                else:
                    out["response"] = tok
                if done:
                    out.update({"done_reason": "stop", "total_duration": 1, "eval_count": len(tokens),
                                "prompt_eval_count": 1})
                return out

            if body.get("stream") is False:
                return self._json(200, piece("".join(tokens), True))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-ndjson")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            for i, tok in enumerate(tokens):
                if i:
                    time.sleep(engine.token_latency)
                self.wfile.write((json.dumps(piece(tok, False)) + "\n").encode())
                self.wfile.flush()
            self.wfile.write((json.dumps(piece("", True)) + "\n").encode())
            self.wfile.flush()

    return Handler
