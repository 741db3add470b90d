"""The command lines the stack renders, parsed by the engines' own argument parsers at the pinned
releases (`make engines-venv`: the vLLM and SGLang wheels of catalog/images.py ENGINE_VERSIONS).

SGLang: its real `ServerArgs.add_cli_args` parser runs on the rendered arguments (see
tests/engine_parsers/sglang_parse.py), with the LWS variables expanded as the kubelet would and the
key appended as the launcher does; the parsed values are checked. vLLM: every flag of the rendered
command must be an option string the pinned `vllm serve` parser registers, read from the wheel's
source (tests/engine_parsers/vllm_flags.py), and choice values must be among its Literal choices;
every VLLM_* variable the pods set must be one vllm/envs.py reads.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from catalog import quantization
from render.engines import sglang
from render.engines.workloads import workload
from catalog.images import ENGINE_VERSIONS
from checks.engine_images import cuda_major

from tests.engine_parsers.vllm_flags import env_default, env_names, literal_choices, options
from render.engines.loading import Streaming, cache_subpath
from render.mirror import MirrorSpec

from .helpers import containers, env_of, make_spec, r1

ROOT = Path(__file__).resolve().parents[3]
ENGINES = ROOT / ".venv-engines"
KUBELET_ENV = {"LWS_LEADER_ADDRESS": "deepseek-r1-0.deepseek-r1.llm", "LWS_GROUP_SIZE": "2", "LWS_WORKER_INDEX": "1"}


def engine_src(name: str) -> Path:
    """The unpacked wheel of the pinned release; never a silent skip."""
    src = ENGINES / "src" / f"{name}-{ENGINE_VERSIONS[name]}"
    if not (src / name / "__init__.py").exists():
        raise FileNotFoundError(f"{src} is missing: run `make engines-venv` (`make test` does) to fetch the "
                                f"{name} {ENGINE_VERSIONS[name]} wheel")
    return src


def expand(args: list[str]) -> list[str]:
    """The kubelet's `$(VAR)` expansion with the values LWS injects into a worker of a 2-node group."""
    return [re.sub(r"\$\(([A-Z_]+)\)", lambda m: KUBELET_ENV[m.group(1)], a) for a in args]


def sglang_parse(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ENGINES / "bin" / "python"), str(ROOT / "tests" / "engine_parsers" / "sglang_parse.py"),
                           str(engine_src("sglang"))], input=json.dumps(argv), capture_output=True, text=True,
                          timeout=120)  # fmt: skip


def sglang_argv(c: dict[str, Any]) -> list[str]:
    """What SGLang's parser receives: the container args, plus `--api-key` when the launcher runs."""
    args = expand(c["args"])
    if c["command"] == ["python3", "-c", sglang.launcher()]:
        args += ["--api-key", "k3y"]
    else:
        assert c["command"] == ["python3", "-m", "sglang.launch_server"]
    return args


STREAM = Streaming(mirror=MirrorSpec(bucket="tke-llm-weights-1250000000", region="ap-shanghai",
                                     endpoint="https://cos.ap-shanghai.myqcloud.com", prefix="tke-llm"),
                   concurrency=16, memory_limit_bytes=40_000_000_000)
"""A model streamed from the mirror (render/engines/loading.py)."""

SGLANG_CASES = {
    "single": make_spec(engine="sglang", gpus_per_node=8, max_num_seqs=8, trust_remote_code=True),
    "options": make_spec(engine="sglang", prefix_caching=False, chunked_prefill=False, max_batched_tokens=4096,
                         quantization="fp8", dtype="half", extra_args=("--log-requests",)),
    "multi-node": r1("sglang", max_model_len=65536, max_num_seqs=32),
    "stream": r1("sglang", stream=STREAM, compile_cache=cache_subpath("sglang", "deepseek-r1")),
    "network-fs": r1("sglang", network_fs=True, compile_cache=cache_subpath("sglang", "deepseek-r1")),
}  # fmt: skip


@pytest.mark.parametrize("case", SGLANG_CASES)
def test_sglang_parses_every_rendered_command_line(case: str) -> None:
    spec = SGLANG_CASES[case]
    for c in containers(workload(spec)):
        out = sglang_parse(sglang_argv(c))
        assert out.returncode == 0, out.stderr[-2000:]
        ns = json.loads(out.stdout)
        if spec.stream is not None:
            assert ns["model_path"] == spec.stream.mirror.url(spec.model_dir) and ns["load_format"] == "runai_streamer"
            assert json.loads(ns["model_loader_extra_config"]) == {"concurrency": 16, "memory_limit": 40_000_000_000,
                                                                   "distributed": True}
        else:
            assert ns["model_path"] == f"/models/{spec.model_dir}" and ns["load_format"] == "auto"
        assert ns["weight_loader_prefetch_checkpoints"] is spec.network_fs
        assert ns["tp_size"] == spec.nodes * spec.gpus_per_node
        assert ns["mem_fraction_static"] == spec.gpu_memory_fraction
        assert ns["enable_metrics"] is True and ns["watchdog_timeout"] == sglang.WATCHDOG_SECONDS
        assert ns["context_length"] == spec.max_model_len and ns["dtype"] == spec.dtype
        assert ns["max_running_requests"] == spec.max_num_seqs
        assert ns["trust_remote_code"] is spec.trust_remote_code
        assert ns["quantization"] == spec.quantization
        assert ns["disable_radix_cache"] is (not spec.prefix_caching)
        if not spec.chunked_prefill:
            assert ns["chunked_prefill_size"] == -1 and ns["max_prefill_tokens"] == spec.max_batched_tokens
        if spec.extra_args:
            assert ns["log_requests"] is True
        if spec.nodes > 1:
            assert (ns["nnodes"], ns["node_rank"]) == (2, 1)
            assert ns["dist_init_addr"] == f"{KUBELET_ENV['LWS_LEADER_ADDRESS']}:{sglang.DIST_INIT_PORT}"
        serves = "--port" in c["args"]
        assert (ns["api_key"] == "k3y") is serves and (ns["port"] == 30000 or not serves)


def test_sglang_parser_refuses_an_unknown_flag() -> None:
    """The harness really parses: an option SGLang does not register exits 2 with argparse's error."""
    out = sglang_parse(["--model-path", "/m", "--no-such-flag", "1"])
    assert out.returncode == 2 and "unrecognized arguments: --no-such-flag" in out.stderr


VLLM_CASES = {
    "single": make_spec(),
    "options": make_spec(prefix_caching=False, chunked_prefill=False, quantization="fp8", trust_remote_code=True,
                         scale_out=True),
    "multi-node": r1("vllm", max_model_len=16384),
    "stream": r1("vllm", stream=STREAM, compile_cache=cache_subpath("vllm", "deepseek-r1")),
    "network-fs": make_spec(gpus_per_node=4, network_fs=True, compile_cache=cache_subpath("vllm", "qwen3-14b")),
}


@pytest.mark.parametrize("case", VLLM_CASES)
def test_vllm_command_lines_use_only_registered_flags(case: str) -> None:
    src = engine_src("vllm")
    registered = options(src)
    for c in containers(workload(VLLM_CASES[case])):
        spec = VLLM_CASES[case]
        source = spec.stream.mirror.url(spec.model_dir) if spec.stream else f"/models/{spec.model_dir}"
        assert c["command"][:3] == ["vllm", "serve", source]
        flags = [a for a in c["command"][3:] if a.startswith("--")]
        unknown = sorted(set(flags) - registered)
        assert not unknown, f"vllm {ENGINE_VERSIONS['vllm']} does not register {unknown}"
        args = c["command"]
        if "--distributed-executor-backend" in args:
            backend = args[args.index("--distributed-executor-backend") + 1]
            assert backend in literal_choices(src, "DistributedExecutorBackend") and backend == "mp"
        if "--load-format" in args:
            fmt = args[args.index("--load-format") + 1]
            assert fmt in literal_choices(src, "LoadFormats", "vllm/model_executor/model_loader/__init__.py")
            assert fmt == "runai_streamer"
            extra = json.loads(args[args.index("--model-loader-extra-config") + 1])
            allowed = _assigned_set(src, "vllm/model_executor/model_loader/runai_streamer_loader.py", "allowed_keys")
            assert set(extra) <= allowed and extra["distributed"] is True
        if "--safetensors-load-strategy" in args:
            strategy = args[args.index("--safetensors-load-strategy") + 1]
            assert strategy in literal_choices(src, "SafetensorsLoadStrategy", "vllm/config/load.py")


def _assigned_set(src: Path, module: str, name: str) -> set[str]:
    """A set literal assigned to `name` anywhere in `module` (read with `ast`)."""
    import ast

    for node in ast.walk(ast.parse((src / module).read_text())):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return set(ast.literal_eval(node.value))
    raise LookupError(f"{name} not in {module}")


def test_vllm_flag_reader_knows_what_vllm_does_not_register() -> None:
    registered = options(engine_src("vllm"))
    assert {"--nnodes", "--node-rank", "--master-addr", "--master-port", "--headless", "--no-enable-prefix-caching"} <= registered
    assert not {"--tp", "--enable-metrics", "--ray-address"} & registered


def test_vllm_pods_set_only_variables_vllm_reads() -> None:
    """A variable vLLM renamed or dropped would be ignored without a word (vllm/envs.py `environment_variables`)."""
    known = env_names(engine_src("vllm"))
    assert {"VLLM_API_KEY", "VLLM_HOST_IP", "VLLM_NO_USAGE_STATS", "VLLM_CACHE_ROOT"} <= known and "VLLM_NO_SUCH_VARIABLE" not in known
    rendered = {name for spec in VLLM_CASES.values() for c in containers(workload(spec)) for name in env_of(c)}
    unknown = sorted(n for n in rendered if n.startswith("VLLM_") and n not in known)
    assert not unknown, f"vllm {ENGINE_VERSIONS['vllm']} does not read {unknown}"


def test_unsuffixed_vllm_tag_is_the_cuda_release_the_pinned_wheel_builds_by_default() -> None:
    """VLLM_MAIN_CUDA_VERSION (vllm/envs.py) is the CUDA release of the unsuffixed wheel and image tags."""
    main = str(env_default(engine_src("vllm"), "VLLM_MAIN_CUDA_VERSION"))
    assert cuda_major(f"vllm/vllm-openai:v{ENGINE_VERSIONS['vllm']}") == int(main.split(".")[0])


def _assigned(src: Path, module: str, name: str) -> list[str]:
    """The literal list assigned to `name` at the top of `module` (read with `ast`, not imported)."""
    import ast

    for node in ast.parse((src / module).read_text()).body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                return list(ast.literal_eval(node.value))
    raise LookupError(f"{name} not in {module}")


def test_the_quantization_methods_config_accepts_are_the_pinned_engines() -> None:
    """catalog/quantization.py: vLLM's `QuantizationMethods` less its deprecated ones, SGLang's parser choices."""
    module = "vllm/model_executor/layers/quantization/__init__.py"
    src = engine_src("vllm")
    deprecated = _assigned(src, module, "DEPRECATED_QUANTIZATION_METHODS")
    assert tuple(deprecated) == quantization.VLLM_DEPRECATED
    known = [q for q in literal_choices(src, "QuantizationMethods", module) if q not in deprecated]
    assert quantization.VLLM == tuple(known)
    assert quantization.SGLANG == tuple(_assigned(engine_src("sglang"), "sglang/srt/arg_groups/choices.py",
                                                  "QUANTIZATION_CHOICES"))
    out = sglang_parse(["--model-path", "/m", "--quantization", "awq_marlin"])
    assert out.returncode == 0, out.stderr
    refused = sglang_parse(["--model-path", "/m", "--quantization", "torchao"])
    assert refused.returncode == 2 and "invalid choice" in refused.stderr
