"""tke-llm smoke test: one real answer from one model, through the URL and key apps use.

Runs in the smoke Job (render/smoke.py), stdlib only. Sends one chat completion (SMOKE_API=chat), a text
completion (completions: base models) or Ollama's /api/chat (ollama: Ollama without a gateway), checks
the answer's shape and that it names SMOKE_MODEL, and exits 1 with a line naming the model when not,
when the key is refused, or with no answer within SMOKE_TIMEOUT_SECONDS. Connection errors, timeouts,
429 and 5xx are retried until then; any other answer is final. See docs/smoke.md.
"""

import json
import os
import socket
import sys
import time
import urllib.error
import urllib.request

PROMPT = "Reply with one word: ready?"
MAX_TOKENS = 16
RETRY_PAUSE = 2.0
TERMINATION_LOG = "/dev/termination-log"
RETRIED = {408, 409, 425, 429, 500, 502, 503, 504}


class Failed(Exception):
    """A final answer: retrying cannot change it."""


def request_for(api, base, model):
    """(URL, JSON body) of the one request, by API."""
    if api == "chat":
        return base + "/chat/completions", {
            "model": model, "max_tokens": MAX_TOKENS, "stream": False,
            "messages": [{"role": "user", "content": PROMPT}]}
    if api == "completions":
        return base + "/completions", {"model": model, "max_tokens": MAX_TOKENS, "stream": False, "prompt": PROMPT}
    if api == "ollama":
        root = base[:-3] if base.endswith("/v1") else base
        return root + "/api/chat", {
            "model": model, "stream": False, "options": {"num_predict": MAX_TOKENS},
            "messages": [{"role": "user", "content": PROMPT}]}
    raise Failed(f"unknown SMOKE_API {api!r}")


def _text(value):
    return isinstance(value, str)


def check(api, model, body):
    """The answer's shape and model name; raises Failed saying what is wrong. Returns the text."""
    if not isinstance(body, dict):
        raise Failed(f"the answer is not a JSON object: {str(body)[:200]}")
    named = body.get("model")
    if named != model:
        raise Failed(f"the answer names model {named!r}, not {model!r}")
    if api == "ollama":
        message = body.get("message")
        if body.get("done") is not True or not isinstance(message, dict) or not _text(message.get("content")):
            raise Failed(f"not an Ollama chat answer (done, message.content): {json.dumps(body)[:300]}")
        return message["content"]
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise Failed(f"the answer has no choices: {json.dumps(body)[:300]}")
    first = choices[0]
    if api == "chat":
        message = first.get("message")
        if not isinstance(message, dict) or message.get("role") != "assistant":
            raise Failed(f"choices[0].message is not an assistant message: {json.dumps(first)[:300]}")
        # Reasoning models may spend a short budget thinking: vLLM's and SGLang's reasoning parsers put
        # that text in reasoning_content (or reasoning) and leave content null.
        texts = [message.get(k) for k in ("content", "reasoning_content", "reasoning")]
        if not any(_text(t) for t in texts):
            raise Failed(f"choices[0].message has no text: {json.dumps(first)[:300]}")
        return next(t for t in texts if _text(t))
    if not _text(first.get("text")):
        raise Failed(f"choices[0].text is missing: {json.dumps(first)[:300]}")
    return first["text"]


def send(url, key, body, timeout):
    """(status, decoded JSON or text) of one POST; HTTP errors are returned, not raised."""
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = "Bearer " + key
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as err:
        status, raw = err.code, err.read()
    try:
        return status, json.loads(raw or b"null")
    except ValueError:
        return status, raw.decode(errors="replace")


def smoke(env, clock=time.monotonic, pause=time.sleep):
    """Run the test; return (exit code, the one line to print)."""
    model, api, base = env["SMOKE_MODEL"], env.get("SMOKE_API", "chat"), env["SMOKE_URL"].rstrip("/")
    label = f"model {model}" + (f" ({env['SMOKE_NAME']})" if env.get("SMOKE_NAME") not in (None, "", model) else "")
    bound = float(env["SMOKE_TIMEOUT_SECONDS"])
    key = env.get("SMOKE_KEY", "")
    try:
        url, body = request_for(api, base, model)
    except Failed as err:
        return 1, f"smoke test of {label} FAILED: {err}"
    deadline = clock() + bound
    last, attempts = "no attempt", 0
    while True:
        left = deadline - clock()
        if left <= 0:
            return 1, (f"smoke test of {label} FAILED: no answer from {url} within {bound:.0f}s "
                       f"({attempts} attempts; last: {last})")
        attempts += 1
        started = clock()
        try:
            status, answer = send(url, key, body, timeout=max(1.0, left))
        except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError, OSError) as err:
            last = f"{type(err).__name__}: {getattr(err, 'reason', err)}"
        else:
            if status == 200:
                try:
                    text = check(api, model, answer)
                except Failed as err:
                    return 1, f"smoke test of {label} FAILED: {err}"
                took = clock() - started
                return 0, f"smoke test of {label} passed in {took:.1f}s: {text.strip()[:80]!r}"
            detail = json.dumps(answer)[:300] if not isinstance(answer, str) else answer[:300]
            if status in (401, 403):
                return 1, f"smoke test of {label} FAILED: the key was refused (HTTP {status}) by {url}: {detail}"
            if status not in RETRIED:
                return 1, f"smoke test of {label} FAILED: HTTP {status} from {url}: {detail}"
            last = f"HTTP {status}: {detail}"
        pause(min(RETRY_PAUSE, max(0.0, deadline - clock())))


def main():
    code, line = smoke(os.environ)
    print(line, flush=True)
    if code:
        # The container's termination message (the kubelet mounts the file): `kubectl describe pod` shows it.
        if os.path.exists(TERMINATION_LOG):
            with open(TERMINATION_LOG, "w") as log:
                log.write(line[:4000])
    return code


if __name__ == "__main__":
    sys.exit(main())
