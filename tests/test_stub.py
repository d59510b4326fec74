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
            cls = getattr(ext, name)
            runtime = public(dir(cls))
            if name == "LogParser":  # its state is instance attributes
                runtime |= public(vars(cls()))
            assert public(members) == runtime, name


def test_stub_lists_the_parser_state():
    """The stub's LogParser names every public member and attribute of the parser."""
    from laaos._parser import LogParser

    parser = LogParser()
    runtime = public(dir(LogParser)) | public(vars(parser))
    assert public(stub_names()["LogParser"]) == runtime


@pytest.mark.parametrize("backend", ["cython"], indirect=True)
def test_twins_export_the_same_public_names(backend):
    pure, ext = _backend.python_impl, _backend.cython_impl
    assert set(pure.__all__) == public(n for n in dir(pure) if not inspect.ismodule(getattr(pure, n)))
    assert set(pure.__all__) == public(n for n in dir(ext) if not n.startswith("__"))


@pytest.mark.parametrize("backend", ["cython"], indirect=True)
def test_twins_export_the_same_names_and_signatures(backend):
    """laaos._pure and laaos._speedups: the same names, the same call signatures."""
    pure, ext = _backend.python_impl, _backend.cython_impl
    for name in pure.__all__:
        a, b = getattr(pure, name), getattr(ext, name)
        if inspect.isclass(a):
            for member in public(dir(a)):
                fa, fb = getattr(a, member), getattr(b, member)
                if callable(fa) and not isinstance(fa, property):
                    assert shape(fb) in (None, shape(fa)), f"{name}.{member}"
            fa, fb = a.__init__, b.__init__
        else:
            fa, fb = a, b
        assert shape(fb) in (None, shape(fa)), name


def shape(function):
    """Parameter names, kinds and defaults (annotations differ between the twins)."""
    try:
        sig = inspect.signature(function)
    except ValueError:  # a cdef class method without a text signature (binding=False)
        return None
    params = [(p.name, p.kind, p.default) for p in sig.parameters.values()]
    if [p[1] for p in params[1:]] == [inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD]:
        return None  # a slot wrapper's (self, /, *args, **kwargs) says nothing
    return params
