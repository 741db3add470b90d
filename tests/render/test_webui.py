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
