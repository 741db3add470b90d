"""LoRA adapters across the stack (checks/adapters.py, the preflight's adapter memory, the owned LoRA
flags): each refusal names the adapter's key; what is accepted reaches the engine, the download Job, the
gateway and the stack's `models` output."""

from __future__ import annotations

import yaml

from checks import checked
from checks.preflight import preflight

from tests.conftest import existing_config, gateway_config_name, render_raw, tke_config

from .helpers import R1_7B, errors

HF_ADAPTER = {"kind": "huggingface", "repo": "org/r1-sql-lora", "revision": "0123456789abcdef0123456789abcdef01234567"}


def adapter(name: str, rank: int = 16, **source) -> dict:
    return {"name": name, "source": {**HF_ADAPTER, **source}, "rank": rank}


def test_an_adapter_name_may_not_be_a_served_name_or_another_adapter():
    other = {**R1_7B, "name": "other", "servedName": "Other", "adapters": [adapter("sql")]}
    found = errors(tke_config(models=[{**R1_7B, "adapters": [adapter("Other"), adapter("sql")]}, other]))
    assert "tke-llm:models[0].adapters[0].name: 'Other' is already the servedName of models[1]: every adapter is a " \
           "model name at the gateway; rename it" in found
    assert any(f.startswith("tke-llm:models[1].adapters[0].name: 'sql' is already adapters[1] of models[0]")
               for f in found), found


def test_adapters_are_refused_where_they_cannot_be_served():
    ollama = {"name": "r1", "servedName": "r1", "engine": "ollama", "pool": "gpu",
              "source": {"kind": "ollama", "tag": "deepseek-r1:7b"}, "adapters": [adapter("sql")]}
    assert any(f.startswith("tke-llm:models[0].adapters: Ollama serves no LoRA adapters")
               for f in errors(existing_config(models=[ollama])))
    sglang = {**R1_7B, "engine": "sglang", "adapters": [adapter("sql")]}
    assert any(f.startswith("tke-llm:models[0].adapters: SGLang serves an adapter as `R1-7B:<adapter>`")
               for f in errors(tke_config(gateway="none", models=[sglang])))
    checked(tke_config(gateway="none", models=[{**R1_7B, "adapters": [adapter("sql")]}]))  # vLLM serves the name itself


def test_malformed_adapters_are_refused_in_config():
    cases = {
        "adapters[1].name": [adapter("sql"), adapter("sql")],
        "adapters[0].name": [adapter("bad:name")],
        "adapters[0].source": [{**adapter("sql"), "source": {**HF_ADAPTER, "tokenSecret": "hf"}}],
        "adapters[0].source.revision": [adapter("sql", revision="main")],
        "adapters[0].rank": [adapter("sql", rank=1024)],
    }
    for key, adapters in cases.items():
        found = errors(tke_config(models=[{**R1_7B, "adapters": adapters}]))
        assert any(f.startswith(f"tke-llm:models[0].{key}") for f in found), (key, found)
    found = errors(tke_config(models=[{**R1_7B, "settings": {"maxModelLen": 16384, "maxLoras": 2}}]))
    assert any(f.startswith("tke-llm:models[0].settings.maxLoras: maxLoras sizes") for f in found), found


def test_lora_flags_in_extra_args_are_owned():
    found = errors(tke_config(models=[{**R1_7B, "settings": {"maxModelLen": 16384, "extraArgs": ["--enable-lora"]}}]))
    assert any(f.startswith("tke-llm:models[0].settings.extraArgs[0]: --enable-lora is set by the program")
               for f in found), found


def test_preflight_counts_the_adapters_gpu_memory():
    """R1-Distill-Qwen-7B on one A10 at 16k fits with four rank-16 adapters (less KV cache); four rank-512
    slots (~16 GiB per GPU by the upper bound) leave none."""
    base = {**R1_7B, "adapters": [adapter(f"a{i}") for i in range(4)]}
    fits = preflight(checked(tke_config(models=[base])))
    (row,) = fits.capacity
    assert row.verdict == "fits"
    plain = preflight(checked(tke_config(models=[R1_7B]))).capacity[0]
    assert row.sequences < plain.sequences, "adapter slots take KV cache"
    many = {**R1_7B, "adapters": [adapter(f"a{i}", rank=512) for i in range(4)]}
    found = errors(tke_config(models=[many]))
    assert any(f.startswith("tke-llm:models[0].adapters: the LoRA slots (") and "lower settings.maxLoras" in f
               for f in found), found


def test_rate_limits_and_fallbacks_may_name_an_adapter():
    checked(tke_config(models=[{**R1_7B, "adapters": [adapter("sql")]}],
                       gateway={"rateLimits": [{"model": "sql", "rpm": 10}],
                                "fallbacks": [{"model": "sql", "to": ["R1-7B"]}]}))


def test_an_accepted_adapter_reaches_the_engine_the_download_and_the_gateway():
    plan = render_raw(tke_config(models=[{**R1_7B, "adapters": [adapter("sql", rank=8)]}]))
    args = plan.manifest("Deployment", "r1-7b")["spec"]["template"]["spec"]["containers"][0]["command"]
    assert "--enable-lora" in args
    assert '"name":"sql","path":"/models/huggingface/org/r1-sql-lora/0123456789abcdef0123456789abcdef01234567"' \
        in args[args.index("--lora-modules") + 1]
    jobs = [r.manifest for r in plan.k8s_objects if r.manifest["kind"] == "Job"
            and r.manifest["metadata"]["name"].startswith("download-")]
    env = {e["name"]: e.get("value") for e in jobs[0]["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["ADAPTER_0_ID"] == "org/r1-sql-lora" and env["ADAPTER_0_DIR"].startswith("huggingface/org/r1-sql-lora/")
    entries = yaml.safe_load(plan.manifest("ConfigMap", gateway_config_name(plan))["data"]["config.yaml"])["model_list"]
    base, sql = entries
    assert sql["model_name"] == "sql" and sql["litellm_params"]["model"] == "openai/sql"
    assert sql["litellm_params"]["api_base"] == base["litellm_params"]["api_base"]
    assert sql["litellm_params"]["api_key"] == base["litellm_params"]["api_key"]
    assert plan.outputs["models"] == ["R1-7B", "sql"]
