"""The UI people use, for real: OpenWebUI (the PyPI release of the pinned image, .venv-webui) started with
the environment the plan renders for its container, in front of the real LiteLLM proxy with the rendered
config and stand-in engines, used through headless chromium: the first user signs up as admin, sees the
gateway's models, chats and reads the streamed answer; a restart with the same Secret and volume keeps the
session and the history. With Ollama and `gateway: none` the UI speaks Ollama's API. Nothing it does
leaves loopback. Everything listens on 127.0.0.1; every wait is bounded; every process is stopped.
"""

from __future__ import annotations

import ipaddress
import shutil
from typing import Any

import pytest
from selenium.webdriver.common.by import By

from render import webui

from tests.behaviour.helpers import OLLAMA, POOLS, SGLANG, VLLM
from tests.conftest import ROOT, existing_config, render_raw, tke_config
from tests.standins import browser
from tests.standins.engine import StandinEngine
from tests.standins.gateway import running_proxy
from tests.standins.net import request
from tests.standins.webui import STARTUP_SECONDS, RunningWebui, running_webui, ui_container

ARTEFACTS = ROOT / "build" / "webui"
ADMIN = ("Admin", "admin@example.com", "a-long-test-password-1")
MEMBER = {"name": "Member", "email": "member@example.com", "password": "another-long-password-2"}
LOCAL_NAMES = {"localhost", "127.0.0.1", "::1", "None", ""}


def off_loopback(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The connects to and name lookups of anything but this machine's loopback (unix sockets are local)."""
    out = []
    for r in records:
        host = str(r["address"][0]) if r["event"] == "connect" and isinstance(r["address"], list) else \
            r.get("host", "")
        if r["event"] == "connect" and not isinstance(r["address"], list):
            continue
        if host in LOCAL_NAMES:
            continue
        try:
            if ipaddress.ip_address(host.split("%")[0]).is_loopback:
                continue
        except ValueError:
            pass
        out.append(r)
    return out


def startup_budget(plan: Any) -> int:
    probe = ui_container(plan)["startupProbe"]
    return probe["periodSeconds"] * probe["failureThreshold"]


def ui_api(ui: RunningWebui, path: str, tok: str) -> dict[str, Any]:
    status, body = request(f"{ui.base}{path}", tok)
    assert status == 200, (path, status, body)
    return body


def member_models(ui: RunningWebui, admin_token: str) -> dict[str, Any]:
    """What a second person sees: the first sign-up turns sign-ups off (routers/auths.py), so the admin adds
    them as a user (Admin Panel, Users; here its API); they sign in; the models the UI then offers them."""
    status, self_signup = request(f"{ui.base}/api/v1/auths/signup", None, MEMBER)
    status_add, added = request(f"{ui.base}/api/v1/auths/add", admin_token, {**MEMBER, "role": "user"})
    assert status_add == 200, added
    status_in, member = request(f"{ui.base}/api/v1/auths/signin", None,
                                {"email": MEMBER["email"], "password": MEMBER["password"]})
    assert status_in == 200 and member["role"] == "user", member
    models = [m["id"] for m in ui_api(ui, "/api/models", member["token"])["data"]]
    return {"self_signup_status": status, "models": models}


@pytest.fixture(scope="module")
def gateway_run(tmp_path_factory):
    """Two models behind the gateway; the UI started, used in the browser, restarted on the same Secret and
    volume, used again. Returns what was seen, for the tests below to judge."""
    plan = render_raw(tke_config(nodePools=POOLS, models=[VLLM, SGLANG]))
    work = tmp_path_factory.mktemp("webui")
    volume = work / "volume"
    seen: dict[str, Any] = {"plan": plan, "volume": volume}
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    with running_proxy(plan, work / "gateway", engine_options={"token_latency": 0.05}) as gw, \
            browser.chromium(work / "profile") as page:
        seen["gateway"] = gw
        with running_webui(plan, work / "start1", volume, backend=gw.base) as ui:
            seen["ui"] = ui
            browser.requested_urls(page)
            browser.sign_up_first_admin(page, ui.base, *ADMIN)
            seen["listed"] = browser.listed_models(page)
            seen["answer_text"] = browser.send(page, "Say hello", f"hello from {VLLM['servedName']}")
            seen["chat_url"] = page.current_url
            page.save_screenshot(str(ARTEFACTS / "chat.png"))
            seen["token"] = browser.token(page)
            seen["ui_models"] = [m["id"] for m in ui_api(ui, "/api/models", seen["token"])["data"]]
            seen["openai_config"] = ui_api(ui, "/openai/config", seen["token"])
            seen["ollama_config"] = ui_api(ui, "/ollama/config", seen["token"])
            seen["browser_urls"] = browser.requested_urls(page)
            seen["member"] = member_models(ui, seen["token"])
            with browser.chromium(work / "member-profile") as member_page:
                browser.sign_in(member_page, ui.base, MEMBER["email"], MEMBER["password"])
                seen["member"]["listed"] = browser.listed_models(member_page)
            seen["network"] = ui.network()
        shutil.rmtree(work / "start1" / "cwd")  # a new pod: nothing of the old container survives but the volume
        with running_webui(plan, work / "start2", volume, backend=gw.base, port=seen["ui"].port) as ui2:
            seen["ui2"] = ui2
            page.get(seen["chat_url"])
            browser.wait(page, lambda d: d.find_elements(By.ID, "chat-container") or "/auth" in d.current_url)
            seen["after_restart_url"] = page.current_url
            seen["after_restart_text"] = page.find_element(By.TAG_NAME, "body").text
            if "/auth" not in page.current_url:
                browser.wait(page, lambda d: f"hello from {VLLM['servedName']}" in d.find_element(By.TAG_NAME,
                                                                                                   "body").text)
                seen["after_restart_text"] = page.find_element(By.TAG_NAME, "body").text
            seen["token_after_restart_ok"] = request(f"{ui2.base}/api/v1/auths/", seen["token"])[0] == 200
            seen["signup_after_restart"] = request(f"{ui2.base}/api/v1/auths/signup", None,
                                                   {**MEMBER, "email": "stranger@example.com"})[0]
            seen["network2"] = ui2.network()
        yield seen


def test_the_first_user_signs_up_sees_the_gateway_models_and_reads_the_streamed_answer(gateway_run):
    gw = gateway_run["gateway"]
    status, body = request(f"{gw.base}/v1/models", gw.keys["app"])
    assert status == 200
    served = sorted(m["id"] for m in body["data"])
    assert served == sorted([VLLM["servedName"], SGLANG["servedName"]])
    assert sorted(gateway_run["listed"]) == served, "the selector lists what the gateway serves with the app key"
    assert sorted(gateway_run["ui_models"]) == served
    assert f"hello from {VLLM['servedName']}" in gateway_run["answer_text"]
    engine = gw.engines[VLLM["servedName"]]
    streamed = [c for c in engine.calls if c["prompt"].endswith("user:Say hello")]
    assert streamed and streamed[0]["stream"], "the UI streamed the answer through the gateway"
    assert (ARTEFACTS / "chat.png").stat().st_size > 10_000


def test_a_user_the_admin_adds_sees_every_model_the_gateway_serves(gateway_run):
    """OpenWebUI shows a model without an access grant to admins only (utils/models.py get_filtered_models):
    without BYPASS_MODEL_ACCESS_CONTROL everybody but the first user would see an empty model list."""
    assert gateway_run["member"]["self_signup_status"] == 403, "after the first admin, only the admin adds people"
    assert sorted(gateway_run["member"]["models"]) == sorted([VLLM["servedName"], SGLANG["servedName"]])
    assert sorted(gateway_run["member"]["listed"]) == sorted([VLLM["servedName"], SGLANG["servedName"]])


def test_sign_ups_stay_closed_after_the_first_admin_even_across_a_restart(gateway_run):
    """The first sign-up closes sign-ups only in memory when the stack owns the settings
    (ENABLE_PERSISTENT_CONFIG=False, models/config.py upsert): ENABLE_SIGNUP=False keeps them closed."""
    assert gateway_run["member"]["self_signup_status"] == 403
    assert gateway_run["signup_after_restart"] == 403, "a restart must not open sign-ups to anyone"


def test_the_ui_calls_the_gateway_with_the_app_key_not_the_admin_key(gateway_run):
    gw, ui = gateway_run["gateway"], gateway_run["ui"]
    assert ui.env["OPENAI_API_KEY"] == gw.keys["app"]
    assert ui.env["OPENAI_API_KEY"] != gw.keys["master"]
    assert gateway_run["openai_config"]["ENABLE_OPENAI_API"] is True
    assert gateway_run["ollama_config"]["ENABLE_OLLAMA_API"] is False


def test_nothing_leaves_loopback_during_start_and_chat(gateway_run):
    assert off_loopback(gateway_run["network"]) == [], "the UI reached beyond loopback (first start and chat)"
    assert off_loopback(gateway_run["network2"]) == [], "the UI reached beyond loopback (restart)"
    assert any(r["event"] == "connect" for r in gateway_run["network"]), "the audit hook saw the UI's connects"
    base = gateway_run["ui"].base
    foreign = [u for u in gateway_run["browser_urls"] if not u.startswith((base, "data:", "blob:"))]
    assert foreign == [], "the page loaded nothing from outside the UI"
    for run in ("ui", "ui2"):
        assert gateway_run[run].started_in < min(STARTUP_SECONDS, startup_budget(gateway_run["plan"]))


def test_a_restart_with_the_same_secret_keeps_the_session_and_the_history(gateway_run):
    assert "/auth" not in gateway_run["after_restart_url"], "the session survived the restart"
    assert gateway_run["token_after_restart_ok"]
    assert f"hello from {VLLM['servedName']}" in gateway_run["after_restart_text"]
    assert gateway_run["ui2"].env["DATA_DIR"] == str(gateway_run["volume"])
    assert (gateway_run["volume"] / "webui.db").is_file(), "accounts and chats are on the volume"


@pytest.fixture(scope="module")
def ollama_run(tmp_path_factory):
    """One Ollama model and `gateway: none`: the UI in front of a stand-in speaking Ollama's API."""
    plan = render_raw(existing_config(models=[OLLAMA], gateway="none"))
    work = tmp_path_factory.mktemp("webui-ollama")
    engine = StandinEngine(OLLAMA["servedName"], api="ollama", token_latency=0.05)
    seen: dict[str, Any] = {"plan": plan, "engine": engine}
    try:
        with running_webui(plan, work / "start", work / "volume", backend=engine.base) as ui, \
                browser.chromium(work / "profile") as page:
            seen["ui"] = ui
            browser.sign_up_first_admin(page, ui.base, *ADMIN)
            seen["listed"] = browser.listed_models(page)
            seen["answer_text"] = browser.send(page, "Say hello", f"hello from {OLLAMA['servedName']}")
            page.save_screenshot(str(ARTEFACTS / "chat-ollama.png"))
            tok = browser.token(page)
            seen["openai_config"] = ui_api(ui, "/openai/config", tok)
            seen["ollama_config"] = ui_api(ui, "/ollama/config", tok)
            seen["network"] = ui.network()
            yield seen
    finally:
        engine.close()


def test_with_ollama_and_no_gateway_the_ui_speaks_ollamas_api_with_the_openai_api_off(ollama_run):
    env = ollama_run["ui"].env
    assert env["ENABLE_OPENAI_API"] == "False" and env["ENABLE_OLLAMA_API"] == "True"
    assert ollama_run["openai_config"]["ENABLE_OPENAI_API"] is False
    assert ollama_run["ollama_config"]["ENABLE_OLLAMA_API"] is True
    assert ollama_run["listed"] == [OLLAMA["servedName"]]
    assert f"hello from {OLLAMA['servedName']}" in ollama_run["answer_text"]
    paths = {c["path"] for c in ollama_run["engine"].calls}
    assert "/api/chat" in paths and not any(p.startswith("/v1") for p in paths)
    assert off_loopback(ollama_run["network"]) == []

