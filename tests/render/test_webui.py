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
