"""LoRA adapters on the engines (render/engines/lora.py): the flags, read back by the pinned engines' own
parsers (SGLang's real parser; vLLM's registered options, its `--max-lora-rank` choices and its own
`LoRAParserAction` run from the wheel's source), the name the gateway sends, and local-disk mounts."""

from __future__ import annotations

import argparse
import ast
import dataclasses
import json
from collections.abc import Sequence
from typing import Any

import pytest

from render.engines import workload
from render.engines.lora import Lora, LoraAdapter, engine_model, vllm_rank

from tests.engine_parsers.vllm_flags import literal_choices, options
from .helpers import LOCAL, containers, make_spec, pod_templates, r1
from .test_engine_parsers import engine_src, sglang_argv, sglang_parse

LORA = Lora(adapters=(LoraAdapter("sql", "huggingface/org/sql-lora/abc123", 16),
                      LoraAdapter("chat", "modelscope/org/chat-lora/v2", 40)), max_loras=1)


def _vllm_lora_action() -> type[argparse.Action]:
    """vLLM 0.34.0's own `LoRAParserAction` and `LoRAModulePath`, executed from the wheel's source (the
    modules around them import torch, so only these two definitions are taken, with `ast`)."""
    src = engine_src("vllm")
    ns: dict[str, Any] = {"argparse": argparse, "json": json, "Sequence": Sequence, "dataclass": dataclasses.dataclass}
    for module, name in (("vllm/entrypoints/openai/models/protocol.py", "LoRAModulePath"),
                         ("vllm/entrypoints/common/cli_args.py", "LoRAParserAction")):
        (node,) = [n for n in ast.parse((src / module).read_text()).body if isinstance(n, ast.ClassDef) and n.name == name]
        exec(compile(ast.Module(body=[node], type_ignores=[]), module, "exec"), ns)  # noqa: S102 (upstream source)
    return ns["LoRAParserAction"]


def _after(args: list[str], flag: str) -> list[str]:
    i = args.index(flag) + 1
    out = []
    while i < len(args) and not args[i].startswith("--"):
        out.append(args[i])
        i += 1
    return out


@pytest.mark.parametrize("spec", [make_spec(lora=LORA), r1("vllm", lora=LORA)], ids=["deployment", "lws"])
def test_vllm_loads_every_adapter_with_vllms_own_flags_and_parser(spec):
    registered = options(engine_src("vllm"))
    ranks = [int(r) for r in literal_choices(engine_src("vllm"), "MaxLoRARanks", "vllm/config/lora.py")]
    action = _vllm_lora_action()
    parser = argparse.ArgumentParser()
    parser.add_argument("--lora-modules", type=str, nargs="+", action=action)
    for c in containers(workload(spec)):
        args = c["command"]
        flags = {"--enable-lora", "--max-loras", "--max-lora-rank", "--max-cpu-loras", "--lora-modules"}
        assert flags <= set(args) and flags <= registered
        assert args[args.index("--max-loras") + 1] == "1" and args[args.index("--max-cpu-loras") + 1] == "2"
        rank = int(args[args.index("--max-lora-rank") + 1])
        assert rank in ranks and rank == 64, "the smallest of vLLM's choices that holds rank 40"
        modules = parser.parse_args(["--lora-modules", *_after(args, "--lora-modules")]).lora_modules
        assert [(m.name, m.path, m.base_model_name) for m in modules] == [
            ("sql", "/models/huggingface/org/sql-lora/abc123", spec.served_name),
            ("chat", "/models/modelscope/org/chat-lora/v2", spec.served_name)]


def test_vllm_rank_rounds_up_to_its_choices():
    ranks = [int(r) for r in literal_choices(engine_src("vllm"), "MaxLoRARanks", "vllm/config/lora.py")]
    assert [vllm_rank(r) for r in (1, 2, 8, 9, 300, 512)] == [1, 8, 8, 16, 320, 512]
    assert all(vllm_rank(r) in ranks for r in range(1, 513))


@pytest.mark.parametrize("spec", [make_spec(engine="sglang", lora=LORA), r1("sglang", lora=LORA)],
                         ids=["single", "multi-node"])
def test_sglang_parses_the_adapters(spec):
    for c in containers(workload(spec)):
        out = sglang_parse(sglang_argv(c))
        assert out.returncode == 0, out.stderr[-2000:]
        ns = json.loads(out.stdout)
        assert ns["enable_lora"] is True and ns["max_lora_rank"] == 40
        assert ns["max_loras_per_batch"] == 2, "one adapter plus the base-only requests"
        # `<name>=<path>`, split once on '=' by sglang/srt/arg_groups/lora_hook.py into LoRARef(name, path).
        assert ns["lora_paths"] == ["sql=/models/huggingface/org/sql-lora/abc123",
                                    "chat=/models/modelscope/org/chat-lora/v2"]


def test_the_gateway_asks_each_engine_for_the_adapter_by_the_name_it_registers():
    assert engine_model("vllm", "Qwen3-8B", "sql") == "sql"
    assert engine_model("sglang", "DeepSeek-R1", "sql") == "DeepSeek-R1:sql"
    with pytest.raises(ValueError):
        engine_model("ollama", "r1", "sql")


def test_local_disks_mount_each_adapter_directory_beside_the_weights():
    for tpl in pod_templates(workload(make_spec(volume=LOCAL, lora=LORA))):
        pod, c = tpl["spec"], tpl["spec"]["containers"][0]
        assert {"name": "lora-1", "hostPath": {"path": "/data/models/modelscope/org/chat-lora/v2", "type": "Directory"}} \
            in pod["volumes"]
        assert {"name": "lora-1", "mountPath": "/models/modelscope/org/chat-lora/v2", "readOnly": True} in c["volumeMounts"]
    shared = pod_templates(workload(make_spec(lora=LORA)))[0]["spec"]
    assert [v["name"] for v in shared["volumes"]] == ["model", "shm"], "the shared claim already holds them"


def test_lora_refuses_what_the_engines_would():
    with pytest.raises(ValueError, match="relative"):
        LoraAdapter("a", "/abs", 8)
    with pytest.raises(ValueError, match="each name once"):
        Lora(adapters=(LoraAdapter("a", "x/y", 8), LoraAdapter("a", "x/z", 8)), max_loras=1)
    with pytest.raises(ValueError, match="Ollama"):
        make_spec(engine="ollama", lora=LORA)
