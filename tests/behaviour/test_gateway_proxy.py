"""The real gateway: LiteLLM's own proxy (the PyPI release of the pinned image, installed in
.venv-gateway by `make test`) loads the config, the auth module and the environment the stack renders,
in front of fake OpenAI-compatible engines on loopback, one per served model.

Only the engines' in-cluster URLs are rewritten (to the fake engines' loopback ports); everything else
(the config file, the custom auth module, the limits file, the container arguments, every environment
variable, with Secret references resolved from the rendered Secrets) is what the plan would apply.
Everything listens on 127.0.0.1; every loop is bounded; the proxy is always killed.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from render import litellm

from tests.behaviour.helpers import POOLS, SGLANG, VLLM
from tests.conftest import ROOT, gateway_config_name, render_raw, tke_config

STARTUP_SECONDS = 60
RPM = 3


def litellm_bin() -> Path:
    """`LITELLM_BIN`, else the Makefile's `.venv-gateway`; never a silent skip."""
    if env := os.environ.get("LITELLM_BIN"):
        return Path(env)
    path = ROOT / ".venv-gateway" / "bin" / "litellm"
    if not path.is_file():
        raise FileNotFoundError("the LiteLLM proxy is not installed: run `make test` (creates .venv-gateway from "
                                "requirements-gateway.txt) or set LITELLM_BIN")
    return path


class FakeEngine:
    """An OpenAI-compatible engine on loopback that records the key and model of every request."""

    def __init__(self, served_name: str):
        self.served_name = served_name
        self.calls: list[dict[str, Any]] = []
        engine = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _reply(self, code: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                self._reply(200, {"object": "list", "data": [{"id": engine.served_name, "object": "model"}]})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                engine.calls.append({"path": self.path, "authorization": self.headers.get("Authorization"),
                                     "model": body.get("model")})
                self._reply(200, {
                    "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
                    "model": body.get("model"),
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": f"hello from {engine.served_name}"}}],
                    "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7},
                })

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _request(url: str, key: str | None, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers=headers, method="POST" if body is not None else "GET")
    try:
        with urllib.request.urlopen(req, timeout=20) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as err:
        raw = err.read()
        try:
            return err.code, json.loads(raw or b"{}")
        except ValueError:
            return err.code, {"raw": raw.decode(errors="replace")}


def _chat(base: str, key: str | None, model: str) -> tuple[int, dict[str, Any]]:
    return _request(f"{base}/v1/chat/completions", key, {"model": model, "messages": [{"role": "user", "content": "hi"}]})


@pytest.fixture(scope="module")
def rendered():
    raw = tke_config(nodePools=POOLS, models=[VLLM, SGLANG],
                     gateway={"rateLimits": [{"model": SGLANG["servedName"], "rpm": RPM}]})
    return render_raw(raw)


def _secret_values(plan) -> dict[str, dict[str, str]]:
    return {r.raw_inputs["metadata"]["name"]: r.raw_inputs.get("stringData", {})
            for r in plan.k8s_objects if r.manifest["kind"] == "Secret"}


@pytest.fixture(scope="module")
def proxy(rendered, tmp_path_factory):
    """Start the proxy with the rendered config and environment; yield (base URL, engines, keys)."""
    with running_proxy(rendered, tmp_path_factory.mktemp("gateway")) as started:
        yield started


@contextlib.contextmanager
def running_proxy(plan, workdir: Path) -> Iterator[tuple[str, dict[str, FakeEngine], dict[str, str]]]:
    """The proxy as the plan's gateway pod would run it (config, auth module, environment with the
    Secrets' values); yields (base URL, fake engines by served name, keys) and always stops it."""
    secrets = _secret_values(plan)
    config_map = plan.manifest("ConfigMap", gateway_config_name(plan))
    deployment = plan.manifest("Deployment", litellm.NAME)
    container = deployment["spec"]["template"]["spec"]["containers"][0]

    engines = {b["model_name"]: FakeEngine(b["model_name"])
               for b in yaml.safe_load(config_map["data"][litellm.CONFIG_FILE])["model_list"]}
    config_dir = workdir / "config"
    config_dir.mkdir(parents=True)
    for fname, content in config_map["data"].items():
        if fname == litellm.CONFIG_FILE:
            cfg = yaml.safe_load(content)
            for entry in cfg["model_list"]:  # the only rewrite: in-cluster engine URL -> fake engine
                assert entry["litellm_params"]["api_base"].endswith(".svc:8000/v1") or \
                    entry["litellm_params"]["api_base"].endswith(".svc:30000/v1")
                entry["litellm_params"]["api_base"] = engines[entry["model_name"]].url
            content = yaml.safe_dump(cfg, sort_keys=False)
        (config_dir / fname).write_text(content)

    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(workdir), "TMPDIR": str(workdir),
           "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    for e in container["env"]:
        if "value" in e:
            env[e["name"]] = e["value"]
        else:
            ref = e["valueFrom"]["secretKeyRef"]
            env[e["name"]] = secrets[ref["name"]][ref["key"]]
    port = _free_port()
    args = [a.replace(litellm.CONFIG_DIR, str(config_dir)) for a in container["args"]]
    args[args.index("--port") + 1] = str(port)
    log = (workdir / "proxy.log").open("w")
    proc = subprocess.Popen([str(litellm_bin()), *args, "--host", "127.0.0.1"], cwd=workdir, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"the proxy exited ({proc.returncode}):\n{(workdir / 'proxy.log').read_text()[-4000:]}")
            try:
                with urllib.request.urlopen(f"{base}/health/liveliness", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"the proxy did not answer within {STARTUP_SECONDS}s:\n"
                                     f"{(workdir / 'proxy.log').read_text()[-4000:]}")
            time.sleep(0.5)
        keys = {"master": env[litellm.MASTER_KEY_ENV], "app": env[litellm.APP_KEY_ENV],
                **{b.served_name: env[b.key_env] for b in _backends(plan)}}
        yield base, engines, keys
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=10)
        log.close()
        for e in engines.values():
            e.close()


def _backends(plan) -> list[litellm.Backend]:
    cfg = yaml.safe_load(plan.manifest("ConfigMap", gateway_config_name(plan))["data"][litellm.CONFIG_FILE])
    out = []
    for m in plan.config.models:
        entry = next(e for e in cfg["model_list"] if e["model_name"] == m.served_name)
        out.append(litellm.Backend(name=m.name, served_name=m.served_name,
                                   api_base=entry["litellm_params"]["api_base"], key_secret=f"{m.name}-api-key"))
    return out


def test_each_model_reaches_its_engine_with_that_engines_key(proxy, rendered):
    base, engines, keys = proxy
    assert keys["master"].startswith("sk-")
    for served, engine in engines.items():
        before = {name: len(e.calls) for name, e in engines.items()}
        status, body = _chat(base, keys["master"], served)
        assert status == 200, body
        assert body["choices"][0]["message"]["content"] == f"hello from {served}"
        assert len(engine.calls) == before[served] + 1, "the request reached this model's engine"
        call = engine.calls[-1]
        assert call["authorization"] == f"Bearer {keys[served]}", "the engine got its own key, not the gateway's"
        assert call["model"] == served and call["path"] == "/v1/chat/completions"
        others = [n for n in engines if n != served]
        assert all(len(engines[n].calls) == before[n] for n in others), "no other engine was called"
    assert len({keys[s] for s in engines} | {keys["master"]}) == len(engines) + 1, "every key differs"


def test_the_model_list_needs_the_key_and_lists_every_served_model(proxy):
    base, engines, keys = proxy
    status, body = _request(f"{base}/v1/models", keys["master"])
    assert status == 200
    assert {m["id"] for m in body["data"]} == set(engines)
    assert _request(f"{base}/v1/models", None)[0] == 401


@pytest.mark.parametrize("key", [None, "", "sk-wrong-key", "not-even-sk", "ENGINE"])
def test_a_missing_or_wrong_master_key_gets_401(proxy, key):
    base, engines, keys = proxy
    if key == "ENGINE":
        key = next(v for k, v in keys.items() if k not in ("master", "app"))  # an engine key is not a gateway key
    calls = sum(len(e.calls) for e in engines.values())
    status, body = _chat(base, key, next(iter(engines)))
    assert status == 401, body
    assert sum(len(e.calls) for e in engines.values()) == calls, "nothing reached an engine"


def test_a_model_the_stack_does_not_serve_is_refused(proxy):
    base, engines, keys = proxy
    calls = sum(len(e.calls) for e in engines.values())
    status, body = _chat(base, keys["master"], "gpt-4o")
    assert status == 400, body
    assert sum(len(e.calls) for e in engines.values()) == calls


def test_health_needs_no_key(proxy):
    base, _, _ = proxy
    with urllib.request.urlopen(f"{base}/health/liveliness", timeout=5) as resp:
        assert resp.status == 200
    with urllib.request.urlopen(f"{base}/health/readiness", timeout=5) as resp:
        assert resp.status == 200


def test_a_configured_rate_limit_answers_429(proxy):
    """rpm 3 on the SGLang model: the gateway stops forwarding once three requests of the window
    went through (some may already have been sent by the tests above); the other model is unlimited."""
    base, engines, keys = proxy
    limited = SGLANG["servedName"]
    statuses = []
    for _ in range(RPM + 2):  # bounded: never more than the limit plus two
        status, body = _chat(base, keys["master"], limited)
        statuses.append(status)
        if status == 429:
            break
    assert statuses[-1] == 429, statuses
    assert "limit" in json.dumps(body).lower()
    assert len(engines[limited].calls) == RPM, "exactly the limit reached the engine"
    assert _chat(base, keys["master"], VLLM["servedName"])[0] == 200, "the other model is not limited"


def test_the_app_key_calls_the_models_and_nothing_else(proxy):
    """The key apps get (`apiKey`) reaches the models; admin routes answer 403 to it and still work
    with the master key (`adminKey`)."""
    base, engines, keys = proxy
    status, body = _request(f"{base}/v1/models", keys["app"])
    assert status == 200 and {m["id"] for m in body["data"]} == set(engines)
    assert _chat(base, keys["app"], VLLM["servedName"])[0] == 200
    for path, payload in [("/model/info", None), ("/key/generate", {}), ("/v1/model/info", None),
                          ("/user/new", {})]:
        status, body = _request(f"{base}{path}", keys["app"], payload)
        assert status == 403, (path, status, body)
        assert "the app key may call only the model API" in json.dumps(body), body
    assert _request(f"{base}/model/info", keys["master"])[0] == 200, "the admin key keeps the admin routes"



def test_after_a_rotation_the_restarted_proxy_refuses_the_old_keys(tmp_path):
    """`keys.rotate` as a `pulumi up` applies it: the Secrets get new values and the changed pod template
    (tke-llm.io/keys-sha256) restarts the proxy, which then reads them. The proxy started from the plan
    before the rotation (key A) and from the plan after it (key B): A is refused, B works, and the
    engine gets its new key."""
    from render.credentials import KEYS_CHECKSUM_ANNOTATION

    raw = tke_config(nodePools=POOLS, models=[VLLM])
    plans = {"A": render_raw(raw),
             "B": render_raw({**raw, "keys": {"rotate": {"appKey": 1, "masterKey": 1, "engineKeys": 1}}})}
    sums = {n: p.manifest("Deployment", litellm.NAME)["spec"]["template"]["metadata"]["annotations"]
            [KEYS_CHECKSUM_ANNOTATION] for n, p in plans.items()}
    assert sums["A"] != sums["B"], "the rotation changes the proxy's pod template, so its pods are replaced"
    served = VLLM["servedName"]
    keys: dict[str, dict[str, str]] = {}
    with running_proxy(plans["A"], tmp_path / "a") as (base, engines, keys["A"]):
        for who in ("app", "master"):
            assert _chat(base, keys["A"][who], served)[0] == 200, who
    with running_proxy(plans["B"], tmp_path / "b") as (base, engines, keys["B"]):
        assert all(keys["A"][k] != keys["B"][k] for k in ("app", "master", served)), "every key was rotated"
        for who in ("app", "master"):
            status, body = _chat(base, keys["A"][who], served)
            assert status == 401, (who, status, body)
            assert _request(f"{base}/v1/models", keys["A"][who])[0] == 401, who
        assert not engines[served].calls, "nothing reached the engine with an old key"
        for who in ("app", "master"):
            assert _chat(base, keys["B"][who], served)[0] == 200, who
        assert {c["authorization"] for c in engines[served].calls} == {f"Bearer {keys['B'][served]}"}
