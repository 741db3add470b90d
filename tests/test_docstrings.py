"""Docstrings stay short: at most 8 lines each (module, class, function and attribute docstrings) in the
program's folders. A docstring keeps the why; research notes (upstream paths, versions, sources) live in
the topic pages of docs/ it links to (docs/index.md lists them)."""

from __future__ import annotations

import ast
from typing import Iterator

from .conftest import ROOT

FOLDERS = ("config", "catalog", "derive", "checks", "render", "components", "program", "preview", "e2e", "measure", "policy")
MAX_LINES = 8


def _is_str(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)


def docstrings(tree: ast.Module) -> Iterator[tuple[str, ast.Expr]]:
    """(owner, string statement) for every docstring: the first statement of a module, class or function,
    and an attribute docstring (a string statement right after an assignment)."""
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if not isinstance(body, list) or not body:
            continue
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and _is_str(body[0]):
            yield getattr(node, "name", "<module>"), body[0]
        for prev, stmt in zip(body, body[1:]):
            if isinstance(prev, (ast.Assign, ast.AnnAssign)) and _is_str(stmt):
                target = prev.targets[0] if isinstance(prev, ast.Assign) else prev.target
                yield f"attribute {ast.unparse(target)}", stmt


def test_every_docstring_is_at_most_eight_lines():
    files = [p for folder in FOLDERS for p in sorted((ROOT / folder).rglob("*.py"))]
    assert len(files) > 50, "the program's folders were not found"
    long = []
    for path in files:
        for owner, stmt in docstrings(ast.parse(path.read_text(), filename=str(path))):
            lines = stmt.end_lineno - stmt.lineno + 1
            if lines > MAX_LINES:
                long.append(f"{path.relative_to(ROOT)}:{stmt.lineno} {owner}: {lines} lines")
    assert not long, (
        f"docstrings longer than {MAX_LINES} lines (keep the why, move the notes to docs/<topic>.md "
        "and link it):\n" + "\n".join(long)
    )


def test_the_checker_sees_every_kind_of_docstring():
    src = '"""m\n\n\n\n\n\n\n\n"""\nX = 1\n"""a"""\nclass C:\n    """c"""\n    y: int\n    """b"""\n    def f(self):\n        """f"""\n'
    found = {owner: stmt.end_lineno - stmt.lineno + 1 for owner, stmt in docstrings(ast.parse(src))}
    assert found == {"<module>": 9, "attribute X": 1, "C": 1, "attribute y": 1, "f": 1}
