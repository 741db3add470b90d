"""The OpenWebUI renderer (render/webui.py)."""

from __future__ import annotations


def test_webui_never_fetches_its_embedding_model_at_start():
    """OpenWebUI 0.12.4 loads RAG_EMBEDDING_MODEL from Hugging Face at start unless OFFLINE_MODE is
    'true' (compared lower-case), which also sets HF_HUB_OFFLINE and turns every *_AUTO_UPDATE off."""
    from render import webui

    spec = webui.WebuiSpec(namespace="llm", image="ghcr.io/open-webui/open-webui:v0.12.4",
                           openai_base_url="http://gw:4000/v1", openai_key=webui.SecretRef("k", "key"))
    env = {e["name"]: e.get("value") for e in webui.env(spec)}
    assert env["OFFLINE_MODE"].lower() == "true"
    assert "RAG_EMBEDDING_MODEL_AUTO_UPDATE" not in env or env["RAG_EMBEDDING_MODEL_AUTO_UPDATE"].lower() != "true"


def test_an_openai_backend_leaves_no_ollama_url_for_the_ui_to_probe():
    """With the Ollama API off, OLLAMA_BASE_URL is set all the same: the image's `/ollama` default makes
    OpenWebUI 0.12.4 resolve host.docker.internal and probe two ports at every start (config.py)."""
    from render import webui

    spec = webui.WebuiSpec(namespace="llm", image="ghcr.io/open-webui/open-webui:v0.12.4",
                           openai_base_url="http://gw:4000/v1", openai_key=webui.SecretRef("k", "key"))
    env = {e["name"]: e.get("value") for e in webui.env(spec)}
    assert env["ENABLE_OLLAMA_API"] == "False"
    assert env["OLLAMA_BASE_URL"] not in ("", "/ollama")
    assert env["OLLAMA_BASE_URL"].startswith("http://127.0.0.1:")


def test_every_approved_user_sees_the_served_models():
    """OpenWebUI 0.12.4 hides models without an access grant from everybody but admins unless
    BYPASS_MODEL_ACCESS_CONTROL is 'true' (env.py; utils/models.py get_filtered_models)."""
    from render import webui

    for spec in (webui.WebuiSpec(namespace="llm", image="i", openai_base_url="http://gw:4000/v1",
                                 openai_key=webui.SecretRef("k", "key")),
                 webui.WebuiSpec(namespace="llm", image="i", openai_base_url=None, openai_key=None,
                                 ollama_base_url="http://ollama:11434")):
        env = {e["name"]: e.get("value") for e in webui.env(spec)}
        assert env["BYPASS_MODEL_ACCESS_CONTROL"].lower() == "true"


def test_sign_ups_are_closed_but_the_first_visitor_still_becomes_admin():
    """ENABLE_SIGNUP=False: OpenWebUI 0.12.4 lets the first user sign up regardless (routers/auths.py
    signup) and refuses everybody after; the admin adds people."""
    from render import webui

    spec = webui.WebuiSpec(namespace="llm", image="i", openai_base_url="http://gw:4000/v1",
                           openai_key=webui.SecretRef("k", "key"))
    env = {e["name"]: e.get("value") for e in webui.env(spec)}
    assert env["ENABLE_SIGNUP"] == "False"
    assert "ENABLE_LOGIN_FORM" not in env, "the login form (and so the first sign-up) stays on"
