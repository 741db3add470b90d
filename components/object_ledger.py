"""The (kind, namespace, name) of every Kubernetes object a program renders, and a gate that holds back
every resource registration until that whole set has been checked.

Pulumi sends pending registrations even when the program raises, so every resource constructed inside
`gated` depends on one gate output that opens only when the check passes: a refused stack registers
nothing. Components record through `components.k8s.apply`; outside `gated` nothing is held. The SDK
internals this relies on (pulumi 3.272.0): docs/pulumi-behaviour.md.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import pulumi

ObjectId = tuple[str, str, str]
"""(kind, namespace or "" for cluster-scoped objects, name)."""

_current: ContextVar[Ledger | None] = ContextVar("tke_llm_object_ledger", default=None)


class Ledger:
    def __init__(self) -> None:
        self.objects: list[ObjectId] = []
        self.closed = False

    def add(self, obj: ObjectId) -> None:
        if self.closed:
            # An object rendered after the check (e.g. inside an Output.apply) would escape it.
            raise RuntimeError(f"{obj[0]} {obj[2]!r} was rendered after the stack's objects were checked; "
                               "render every Kubernetes object while the program builds the stack")
        self.objects.append(obj)


def record(kind: str, namespace: str, name: str) -> None:
    ledger = _current.get()
    if ledger is not None:
        ledger.add((kind, namespace, name))


def _done(value: object) -> asyncio.Future:
    fut = asyncio.get_event_loop().create_future()
    fut.set_result(value)
    return fut


@contextmanager
def gated(check: Callable[[list[ObjectId]], Exception | None]) -> Iterator[Ledger]:
    """Record the objects rendered inside the block and hold every resource registered inside it
    until the block has ended and `check(objects)` has returned None. The error `check` returns, or
    the block raises, is raised here and is what every held registration fails with."""
    verdict: asyncio.Future = asyncio.get_event_loop().create_future()
    gate = pulumi.Output(set(), verdict, is_known=_done(True), is_secret=_done(False))

    def hold(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult:
        return pulumi.ResourceTransformationResult(
            args.props, pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(depends_on=gate)))

    pulumi.runtime.register_stack_transformation(hold)
    ledger = Ledger()
    token = _current.set(ledger)
    try:
        yield ledger
        problem = check(ledger.objects)
    except Exception as err:
        problem = err
    except BaseException:  # interrupted: release the held registrations as failed, never leave them waiting
        _quiet(held := RuntimeError("the program was interrupted before its resources were checked"))
        verdict.set_exception(held)
        raise
    finally:
        ledger.closed = True
        _current.reset(token)
    if problem is None:
        verdict.set_result([])
        return
    _quiet(problem)
    verdict.set_exception(problem)
    raise problem


def _quiet(problem: Exception) -> None:
    """Every held registration fails with `problem`, and so do the futures of its outputs, which
    nothing awaits once the program has stopped: asyncio would print the same error once per future
    when they are collected. It is reported once, as the program's error; other errors still print."""
    loop = asyncio.get_event_loop()
    previous = loop.get_exception_handler()

    def handler(loop: asyncio.AbstractEventLoop, context: dict) -> None:
        if context.get("exception") is problem:
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)
