"""Read a model's safetensors from object storage with the real Run:ai Model Streamer, as vLLM's and SGLang's
`runai_streamer` loaders do, and print what it read as JSON. Run in .venv-streamer, in exactly the
environment under test (endpoint, addressing style, keys).

Usage: `python streamer_read.py s3://<bucket>/<prefix>` prints {"files": {name: {"size", "sha256", "tensors":
{tensor: sha256}}}, "pulled": {name: sha256}}. The streamer's native library (libstreamer.so with the S3
backend libstreamers3.so, runai-model-streamer 0.17.1) lists the prefix and reads every tensor as one
range, as SafetensorsStreamer does: an 8-byte header length, the JSON header, then each tensor's
`data_offsets`. Its package `__init__` imports torch only for the tensor views (safetensors_streamer.py),
so the native layer is loaded without it (docs/cold-start.md, "How it is proven"). The config and tokenizer
files come through `runai_model_streamer_s3.files.pull_files`, the boto3 path vLLM's
ModelConfig.maybe_pull_model_tokenizer_for_runai takes.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import struct
import sys
import tempfile
import types
from pathlib import Path

import numpy as np


def _native():
    """`runai_model_streamer.libstreamer.libstreamer` without the package's torch-importing `__init__`."""
    spec = importlib.util.find_spec("runai_model_streamer")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("runai-model-streamer is not installed in this interpreter")
    package = types.ModuleType("runai_model_streamer")
    package.__path__ = list(spec.submodule_search_locations)
    sys.modules["runai_model_streamer"] = package
    from runai_model_streamer.libstreamer import libstreamer  # noqa: PLC0415  (after the bare package)

    return libstreamer


def _read(lib, streamer, path: str, ranges: list[tuple[int, int]]) -> list[bytes]:
    """One submission of `ranges` (offset, size) of `path`; every range must come back Success."""
    buffers = [np.empty(max(size, 1), dtype=np.uint8) for _, size in ranges]
    sid = lib.runai_request(streamer, [path], [len(ranges)], [o for o, _ in ranges], [s for _, s in ranges],
                            [b.ctypes.data for b in buffers])
    pending = len(ranges)
    while pending:
        got = lib.runai_response(streamer, 60_000)
        if got is None:
            raise SystemExit("the streamer finished before every range was read")
        code, submission, _, index, _ = got
        if code != 0 or submission != sid:
            raise SystemExit(f"range {index} of {path}: {lib.runai_response_str(code)}")
        pending -= 1
    return [b[:size].tobytes() for b, (_, size) in zip(buffers, ranges)]


def main(prefix: str) -> None:
    lib = _native()
    streamer = lib.runai_start()
    out: dict = {"files": {}, "pulled": {}}
    try:
        listed: list[tuple[str, int]] = []
        lib.runai_list_files(streamer, prefix, lambda p, s: listed.append((p, s)), allow_patterns=["*.safetensors"])
        for path, size in sorted(listed):
            (head,) = _read(lib, streamer, path, [(0, 8)])
            (length,) = struct.unpack("<Q", head)
            (text,) = _read(lib, streamer, path, [(8, length)])
            header = {k: v for k, v in json.loads(text).items() if k != "__metadata__"}
            names = sorted(header)
            base = 8 + length
            spans = [(base + header[n]["data_offsets"][0], header[n]["data_offsets"][1] - header[n]["data_offsets"][0])
                     for n in names]
            data = _read(lib, streamer, path, spans)
            out["files"][path.rsplit("/", 1)[1]] = {
                "size": size,
                "sha256": hashlib.sha256(head + text + b"".join(data)).hexdigest(),
                "tensors": {n: hashlib.sha256(d).hexdigest() for n, d in zip(names, data)},
            }
    finally:
        lib.runai_end(streamer)
    from runai_model_streamer_s3.files.files import pull_files  # noqa: PLC0415  (boto3, like vLLM's config pull)

    with tempfile.TemporaryDirectory() as tmp:
        pull_files(prefix, tmp, ignore_pattern=["*.safetensors"])
        out["pulled"] = {str(p.relative_to(tmp)): hashlib.sha256(p.read_bytes()).hexdigest()
                         for p in sorted(Path(tmp).rglob("*")) if p.is_file()}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
