"""The programs render/files/ ships into the cluster, imported and run here as modules: the gateway's
auth hook from a directory laid out as its ConfigMap (LiteLLM's types stubbed; tests/test_gateway_proxy.py
runs it in the real proxy), and the SGLang launcher in front of a stand-in `sglang.launch_server`."""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import logging
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from render import litellm
from render.engines import sglang
from render.engines.workloads import engine_process

from tests.render.engines.helpers import make_spec

MASTER, APP = "sk-master-0123456789", "sk-app-0123456789"


class ProxyException(Exception):
    def __init__(self, message: str, type: str, param: str, code: int) -> None:
        super().__init__(message)
        self.message, self.type, self.param, self.code = message, type, param, code


class UserAPIKeyAuth:
    def __init__(self, **fields: Any) -> None:
        self.__dict__.update(fields)


def fake_litellm_types() -> types.ModuleType:
    """The four names the hook takes from `litellm.proxy._types`, with the attributes it uses."""
    mod = types.ModuleType("litellm.proxy._types")
    mod.LitellmUserRoles = types.SimpleNamespace(PROXY_ADMIN="proxy_admin", INTERNAL_USER="internal_user")
    mod.ProxyErrorTypes = types.SimpleNamespace(auth_error="auth_error")
    mod.ProxyException = ProxyException
    mod.UserAPIKeyAuth = UserAPIKeyAuth
    return mod


@pytest.fixture
def auth(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """The hook imported as LiteLLM imports it: from the ConfigMap's files, with both keys set."""
    spec = litellm.GatewaySpec(
        namespace="llm", image="litellm", rate_limits=(litellm.RateLimit("Qwen3-8B", rpm=3, tpm=1000),),
        backends=(litellm.Backend("qwen3-8b", "Qwen3-8B", "http://qwen3-8b-api.llm.svc:8000/v1", "qwen3-8b-key"),),
    )
    for name, text in litellm.config_files(spec).items():
        (tmp_path / name).write_text(text)
    for name in ("litellm", "litellm.proxy"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    monkeypatch.setitem(sys.modules, "litellm.proxy._types", fake_litellm_types())
    monkeypatch.setenv(litellm.MASTER_KEY_ENV, MASTER)
    monkeypatch.setenv(litellm.APP_KEY_ENV, APP)
    where = importlib.util.spec_from_file_location(litellm.AUTH_MODULE, tmp_path / f"{litellm.AUTH_MODULE}.py")
    assert where is not None and where.loader is not None
    module = importlib.util.module_from_spec(where)
    where.loader.exec_module(module)
    return module


def call(auth: types.ModuleType, path: str, key: str | None) -> Any:
    request = types.SimpleNamespace(url=types.SimpleNamespace(path=path))
    return asyncio.run(auth.user_api_key_auth(request, key))


def test_the_shipped_hook_is_the_repository_file() -> None:
    shipped = litellm.config_files(litellm.GatewaySpec(namespace="llm", image="litellm", backends=(
        litellm.Backend("m", "M", "http://m-api.llm.svc:8000/v1", "m-key"),)))[f"{litellm.AUTH_MODULE}.py"]
    assert shipped == (Path(litellm.__file__).parent / "files" / litellm.AUTH_FILE).read_text()


def test_the_master_key_is_admin_with_the_model_limits(auth: types.ModuleType) -> None:
    who = call(auth, "/key/generate", f"Bearer {MASTER}")
    assert who.user_role == "proxy_admin" and who.api_key == MASTER
    assert who.metadata == {"model_rpm_limit": {"Qwen3-8B": 3}, "model_tpm_limit": {"Qwen3-8B": 1000}}


def test_the_app_key_reaches_only_the_model_api(auth: types.ModuleType) -> None:
    assert call(auth, "/v1/chat/completions/", APP).user_role == "internal_user"
    with pytest.raises(ProxyException) as refused:
        call(auth, "/key/generate", APP)
    assert refused.value.code == 403


@pytest.mark.parametrize("key", [None, "", "Bearer ", "Bearer sk-wrong", MASTER + "x"])
def test_a_missing_or_wrong_key_gets_401(auth: types.ModuleType, key: str | None) -> None:
    with pytest.raises(ProxyException) as refused:
        call(auth, "/v1/models", key)
    assert refused.value.code == 401


FAKE_SERVER = """\
import logging, os, sys
logging.getLogger("sglang").warning("server_args={'api_key': '%s'}", sys.argv[-1])
RAN.append((list(sys.argv), os.environ.get("SGLANG_API_KEY")))
"""


@pytest.fixture
def launch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture):
    """Run the launcher module in this process, in front of a stand-in `sglang.launch_server` that
    logs its last argument and records its argv and environment; returns what it recorded."""
    (tmp_path / "sglang").mkdir()
    (tmp_path / "sglang" / "__init__.py").write_text("")
    (tmp_path / "sglang" / "launch_server.py").write_text("from builtins import RAN\n" + FAKE_SERVER)
    monkeypatch.syspath_prepend(str(tmp_path))
    ran: list[tuple[list[str], str | None]] = []
    monkeypatch.setattr("builtins.RAN", ran, raising=False)
    factory = logging.getLogRecordFactory()

    def run(argv: list[str], key: str) -> list[tuple[list[str], str | None]]:
        monkeypatch.setenv("SGLANG_API_KEY", key)
        monkeypatch.setattr(sys, "argv", ["-c", *argv])
        try:
            with caplog.at_level(logging.WARNING, logger="sglang"):
                importlib.import_module("render.files.sglang_launch")
        finally:
            logging.setLogRecordFactory(factory)
            for name in [n for n in sys.modules if n == "render.files.sglang_launch" or n.startswith("sglang")]:
                del sys.modules[name]
        return ran

    return run


def test_the_launcher_hands_the_key_to_sglang_inside_the_interpreter(launch, caplog) -> None:
    key = "sk-" + "s3cr3t" * 6
    args = list(engine_process(make_spec(engine="sglang"), "server").args)
    ((argv, env_key),) = launch(args, key)
    assert argv[1:] == [*args, "--api-key", key]  # runpy puts the module's file in argv[0]
    assert env_key is None  # gone before the engine's worker processes inherit the environment
    assert "server_args={'api_key': '<redacted>'}" in caplog.messages and key not in caplog.text


def test_the_launcher_refuses_an_empty_key(launch) -> None:
    with pytest.raises(SystemExit, match="SGLANG_API_KEY is empty"):
        launch(["--port", "30000"], "")


def test_the_command_runs_the_repository_file() -> None:
    command = engine_process(make_spec(engine="sglang"), "server").command
    assert command == ("python3", "-c", (Path(sglang.__file__).parents[1] / "files" / sglang.LAUNCHER_FILE).read_text())
