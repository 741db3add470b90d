"""The stand-in engine behaves as the tests that use it assume: streamed chunks add up to the answer
with usage, a delayed replica refuses connections until it starts, prefix blocks hit on repeats."""

from __future__ import annotations

import http.client
import json
import time
import urllib.request

from tests.standins.engine import StandinEngine
from tests.standins.net import chat, request


def test_a_streamed_answer_adds_up_and_carries_usage():
    e = StandinEngine("m", answer="one two three", token_latency=0.01)
    try:
        body = json.dumps({"model": "m", "stream": True, "stream_options": {"include_usage": True},
                           "messages": [{"role": "user", "content": "hi"}]}).encode()
        req = urllib.request.Request(f"{e.url}/chat/completions", data=body,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            lines = [ln[6:] for ln in resp.read().decode().splitlines() if ln.startswith("data: ")]
        assert lines[-1] == "[DONE]"
        chunks = [json.loads(ln) for ln in lines[:-1]]
        text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
        assert text == "one two three"
        assert chunks[-1]["usage"]["completion_tokens"] == 3
    finally:
        e.close()


def test_a_delayed_replica_refuses_until_it_starts_and_a_closed_one_refuses_again():
    e = StandinEngine("m", start_after=1.0)
    try:
        try:
            request(f"{e.base}/health", None, timeout=1)
            raise AssertionError("answered before its start")
        except OSError:
            pass
        assert e.ready.wait(10)
        assert chat(e.base, None, "m")[0] == 200
        e.close()
        time.sleep(0.1)
        try:
            request(f"{e.base}/health", None, timeout=1)
            raise AssertionError("answered after close")
        except OSError:
            pass
    finally:
        e.close()


def test_a_repeated_prefix_hits_the_cache_and_a_wrong_key_is_refused():
    e = StandinEngine("m", key="k")
    try:
        long = "x" * 640
        assert chat(e.base, "k", "m", long)[0] == 200
        assert e.cache_hits == 0
        assert chat(e.base, "k", "m", long + " and more")[0] == 200
        assert e.cache_hits >= 9
        assert chat(e.base, "wrong", "m")[0] == 401
        assert len(e.calls) == 2
    finally:
        e.close()


def test_it_tokenizes_like_vllm_and_renders_only_with_scale_out():
    """vLLM 0.34: /tokenize is unguarded; the render endpoints are guarded by the key (as every /v1 path)
    and answer 403 unless --enable-scale-out; equal prefixes give equal leading token ids."""
    plain, scaled = StandinEngine("m", key="k"), StandinEngine("m", key="k", scale_out=True)
    try:
        chat_body = {"model": "m", "messages": [{"role": "user", "content": "a shared prefix, then more"}]}
        status, body = request(f"{plain.base}/tokenize", None, {"model": "m", "prompt": "hello there"})
        assert status == 200 and body["count"] == len(body["tokens"]) == 3
        assert request(f"{plain.base}/v1/chat/completions/render", "k", chat_body)[0] == 403
        assert request(f"{scaled.base}/v1/chat/completions/render", None, chat_body)[0] == 401
        status, rendered = request(f"{scaled.base}/v1/chat/completions/render", "k", chat_body)
        one = rendered["token_ids"]
        assert status == 200 and one
        longer = {**chat_body, "messages": [{"role": "user", "content": "a shared prefix, then other words"}]}
        other = request(f"{scaled.base}/v1/chat/completions/render", "k", longer)[1]["token_ids"]
        assert other[:5] == one[:5] and other != one
        status, listed = request(f"{scaled.base}/v1/completions/render", "k", {"model": "m", "prompt": "hi"})
        assert status == 200 and isinstance(listed, list) and listed[0]["token_ids"]
        assert [c["path"] for c in scaled.tokenize_calls][-1] == "/v1/completions/render"
    finally:
        plain.close()
        scaled.close()


def test_closing_cuts_open_keep_alive_connections():
    """A pooled keep-alive connection to a stopped replica fails, as one to a dead pod does."""
    e = StandinEngine("m")
    conn = http.client.HTTPConnection("127.0.0.1", e.port, timeout=5)
    try:
        conn.request("GET", "/health")
        assert conn.getresponse().read() == b""
        e.close()
        try:
            conn.request("GET", "/health")
            conn.getresponse()
            raise AssertionError("a stopped replica answered on an open connection")
        except (OSError, http.client.HTTPException):
            pass
    finally:
        conn.close()
        e.close()


def test_a_bounded_prefix_cache_evicts_the_least_recently_used_blocks():
    small, unbounded = StandinEngine("m", cache_capacity=6), StandinEngine("m")
    try:
        a, b = "a" * 64 * 5, "b" * 64 * 5  # five blocks each (the chat role adds a few characters)
        for e in (small, unbounded):
            for text in (a, b, a):
                assert chat(e.base, None, "m", text)[0] == 200
        assert [c["cached_blocks"] for c in unbounded.calls] == [0, 0, 5]
        assert [c["cached_blocks"] for c in small.calls] == [0, 0, 0], "b's blocks evicted a's"
        assert len(small.cache) == 6
    finally:
        small.close()
        unbounded.close()


def test_the_s3_standin_stores_and_lists_objects_for_a_real_s3_client(tmp_path):
    import subprocess

    from tests.standins.s3 import ACCESS_KEY, SECRET_KEY, running_s3, s3_python

    with running_s3(tmp_path) as endpoint:
        code = (
            "import boto3, sys\n"
            f"c = boto3.client('s3', endpoint_url='{endpoint}', aws_access_key_id='{ACCESS_KEY}',"
            f" aws_secret_access_key='{SECRET_KEY}', region_name='ap-guangzhou')\n"
            "c.create_bucket(Bucket='weights-1250000000',"
            " CreateBucketConfiguration={'LocationConstraint': 'ap-guangzhou'})\n"
            "c.put_object(Bucket='weights-1250000000', Key='m/a.safetensors', Body=b'abc')\n"
            "print(c.get_object(Bucket='weights-1250000000', Key='m/a.safetensors')['Body'].read().decode())\n"
        )
        out = subprocess.run([str(s3_python()), "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "abc"
    assert "PUT /weights-1250000000/m/a.safetensors" in (tmp_path / "s3.log").read_text()
