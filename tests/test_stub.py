"""The type stub of the Cython extension names what the extension has."""

import ast
import inspect
from pathlib import Path

import pytest

from laaos import _backend

STUB = Path(_backend.__file__).with_name("_speedups.pyi")


def stub_names():
    """{function name: None, class name: {member names}} declared in the stub."""
    names = {}
    for node in ast.parse(STUB.read_text()).body:
        if isinstance(node, ast.FunctionDef):
            names[node.name] = None
        elif isinstance(node, ast.ClassDef):
            members = set()
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    members.add(item.name)
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    members.add(item.target.id)
            names[node.name] = members
    return names


def public(names):
    return {n for n in names if not n.startswith("_")}


@pytest.mark.parametrize("backend", ["cython"], indirect=True)
def test_stub_matches_the_extension(backend):
    ext = _backend.cython_impl
    declared = stub_names()
    runtime = {n for n in public(dir(ext)) if callable(getattr(ext, n)) and not inspect.ismodule(getattr(ext, n))}
    assert set(declared) == runtime
    for name, members in declared.items():
        if members is not None:
            # LogParser.py is the pure parser it hands statements to: an internal.
            assert public(members) == public(dir(getattr(ext, name))) - {"py"}, name
