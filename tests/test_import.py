"""Importing laaos: ``from laaos.NAME import store`` for a log ``./laaos/NAME.py``."""

import subprocess
import sys
import textwrap

import pytest

SUBMODULES = ["files", "cli", "helpers", "errors", "torch", "many", "store", "runs", "provenance"]


def run(code, cwd, env):
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_a_log_named_after_any_submodule_says_how_to_load_it(tmp_path, backend_env):
    (tmp_path / "laaos").mkdir()
    for name in SUBMODULES + ["mnist"]:
        (tmp_path / "laaos" / f"{name}.py").write_text(f"store = {{'name': {name!r}}}\n")
    out = run(f"""\
        for name in {SUBMODULES + ["mnist"]!r}:
            try:
                exec(f"from laaos.{{name}} import store")
                print(name, "loaded", store)
            except ImportError as e:
                print(name, "ImportError", e)
        """, tmp_path, backend_env)
    lines = dict(line.split(" ", 1) for line in out.splitlines())
    for name in SUBMODULES:
        assert lines[name] == (f"ImportError laaos.{name} is a module of laaos itself, so `from laaos.{name} "
                               f"import store` cannot load your log laaos/{name}.py: load it with "
                               f"laaos.safe_load('laaos/{name}.py')")
    assert lines["mnist"] == "loaded {'name': 'mnist'}"


@pytest.mark.parametrize("name", ["files", "cli"])
def test_a_missing_attribute_of_a_submodule_is_the_usual_error(tmp_path, backend_env, name):
    out = run(f"""\
        import laaos.{name} as m
        try:
            m.store
        except AttributeError as e:
            print(e)
        try:
            from laaos.{name} import nope
        except ImportError as e:
            print(e)
        print(m.__loader__ is m.__spec__.loader, type(m.__loader__).__name__)
        """, tmp_path, backend_env)
    assert out.splitlines() == [f"module 'laaos.{name}' has no attribute 'store'",
                                f"cannot import name 'nope' from 'laaos.{name}' ({out.split('(')[1].split(')')[0]})",
                                "True SourceFileLoader"]
