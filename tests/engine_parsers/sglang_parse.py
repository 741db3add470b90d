"""Parse a command line with SGLang's own argument parser, from its wheel, without a GPU stack.

Usage: `python sglang_parse.py <unpacked wheel dir> < argv.json`, in .venv-engines. Prints the parsed namespace as
JSON, or exits 2 with argparse's own error. The wheel's `sglang` package is imported from the unpacked
sources; its top-level `__init__` (the frontend language, which imports everything) is bypassed by
registering a bare package object, and GPU / runtime libraries the argument definitions import but
never call (torch, numpy, PIL, triton, zmq) resolve to inert stubs. The parser itself,
`ServerArgs.add_cli_args`, is SGLang's code, unchanged.
"""

from __future__ import annotations

import abc
import argparse
import importlib.abc
import importlib.machinery
import json
import sys
import types

STUBBED = {"torch", "numpy", "PIL", "triton", "zmq"}
HIDDEN = {"npu", "hpu"}
"""Accelerator namespaces whose mere presence (`hasattr(torch, "npu")`) switches SGLang's platform."""


class _Meta(abc.ABCMeta):
    def __getattr__(cls, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _make(name)

    def __getitem__(cls, key):
        return cls

    def __or__(cls, other):
        return cls

    __ror__ = __or__

    def __int__(cls):
        return 0

    __index__ = __int__

    def __float__(cls):
        return 0.0

    def __iter__(cls):
        return iter(())


def _make(name: str) -> type:
    return _Meta(name, (_Stub,), {})


class _Stub(metaclass=_Meta):
    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, *args, **kwargs):
        if len(args) == 1 and callable(args[0]) and not kwargs:
            return args[0]  # used as a decorator
        return _make("result")()

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _make(name)()

    def __iter__(self):
        return iter(())

    def __bool__(self):
        return False

    def __getitem__(self, key):
        return _make("item")()

    def __int__(self):
        return 0

    __index__ = __int__

    def __float__(self):
        return 0.0

    def __radd__(self, other):
        return other

    def __add__(self, other):
        return self

    def __eq__(self, other):
        return isinstance(other, _Stub)

    def __hash__(self):
        return 0


class _StubModule(types.ModuleType):
    def __getattr__(self, name):
        if name == "__version__":
            return "2.11.0"
        if name.startswith("__") or name in HIDDEN:
            raise AttributeError(name)
        return _make(name)


class _StubFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in STUBBED:
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None

    def create_module(self, spec):
        module = _StubModule(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module):
        pass


def main(wheel: str) -> None:
    argv = json.load(sys.stdin)
    sys.meta_path.insert(0, _StubFinder())
    sys.path.insert(0, wheel)
    package = types.ModuleType("sglang")
    package.__path__ = [f"{wheel}/sglang"]
    sys.modules["sglang"] = package
    from sglang.srt.server_args import ServerArgs

    parser = argparse.ArgumentParser(prog="sglang serve")
    ServerArgs.add_cli_args(parser)
    namespace = parser.parse_args(argv)
    print(json.dumps(vars(namespace), default=str))


if __name__ == "__main__":
    main(sys.argv[1])
