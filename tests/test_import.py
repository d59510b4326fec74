"""Importing laaos: ``from laaos.NAME import store`` for a log ``./laaos/NAME.py``."""

import os
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


# ---- what `import laaos` and one command import ------------------------------------------

# Modules a store, the loader and the public names do not need: each is imported at first
# use (the sweep loader's process pools, provenance's probes, the command line, recovery,
# the log importer's machinery).
NOT_ON_IMPORT = [
    "concurrent.futures", "multiprocessing", "pickle", "glob", "platform", "socket", "getpass",
    "importlib.abc", "importlib.util", "importlib.resources", "tempfile", "subprocess", "argparse",
    "laaos.many", "laaos.provenance", "laaos.cli", "laaos.recover", "laaos.diagnosis", "laaos.follow",
]


def imported_after(code, env):
    """The modules in ``sys.modules`` after ``code`` in a fresh interpreter without
    ``site`` (whose own imports would hide ours)."""
    import laaos

    root = os.path.dirname(os.path.dirname(os.path.abspath(laaos.__file__)))
    env = dict(env, PYTHONPATH=root)
    # (run in the folder laaos was imported from: with -S, the working directory is the
    # only other place on sys.path, and a checkout's laaos/ there has no extension)
    proc = subprocess.run([sys.executable, "-S", "-c", code + "\nimport sys\nprint(' '.join(sys.modules))"],
                          env=env, capture_output=True, text=True, timeout=60, cwd=root)
    assert proc.returncode == 0, proc.stderr
    return set(proc.stdout.splitlines()[-1].split())


def test_import_laaos_leaves_heavy_modules_out(backend_env):
    modules = imported_after("import laaos\nimport laaos.store, laaos.loader", backend_env)
    assert "laaos.store" in modules and "laaos.loader" in modules
    assert [m for m in NOT_ON_IMPORT if m in modules] == []


def test_the_public_names_are_there_and_import_their_modules_when_used(backend_env):
    modules = imported_after("import laaos\nassert set(laaos.__all__) <= set(dir(laaos))\n"
                             "f, m, r, R = laaos.follow, laaos.load_many, laaos.recover, laaos.Recovery\n"
                             "import laaos.follow, laaos.recover\n"
                             "assert (laaos.follow, laaos.recover) == (f, r) and callable(f) and callable(r)\n"
                             "assert all(getattr(laaos, n) is not None for n in laaos.__all__)", backend_env)
    assert {"laaos.many", "laaos.follow", "laaos.recover", "concurrent.futures"} <= modules


def test_one_command_imports_its_own_modules_only(tmp_path, backend_env):
    log = tmp_path / "run.py"
    log.write_text("store = {'losses': [0.5]}\n")
    modules = imported_after(f"from laaos.cli import main\nassert main(['show', {str(log)!r}]) == 0", backend_env)
    assert "laaos.cli.show" in modules
    others = ["laaos.cli.export", "laaos.cli.plot", "laaos.cli.rewrite", "laaos.cli.follow", "laaos.cli.check",
              "laaos.recover", "laaos.diagnosis", "laaos.many", "laaos.provenance", "concurrent.futures"]
    assert [m for m in others if m in modules] == []


def test_a_store_opens_and_records_its_session_without_datetime_platform_or_socket(tmp_path, backend_env):
    modules = imported_after(f"import laaos\nwith laaos.open_file_store('run', prefix={str(tmp_path)!r} + '/'):\n"
                             "    pass", backend_env)
    assert "laaos.provenance" in modules
    assert [m for m in ("datetime", "platform", "socket", "concurrent.futures") if m in modules] == []
    (log,) = tmp_path.iterdir()
    import laaos

    session = laaos.load(log).sessions[0]
    assert session["time"].endswith("+00:00") and session["python"] == sys.version.split()[0]


def test_import_laaos_imports_no_training_framework(tmp_path, backend_env):
    # With site-packages on the path (unlike ``imported_after``), where the frameworks are
    # installed; ``laaos.integrations`` is imported only by name.
    code = ("import sys, laaos, laaos.store, laaos.loader, laaos.files\n"
            "s = laaos.open_file_store('run', prefix='')\ns['x'] = 1\ns.close()\n"
            "print(' '.join(sys.modules))")
    modules = set(run(code, tmp_path, backend_env).split())
    assert "laaos.store" in modules
    frameworks = ["torch", "lightning", "pytorch_lightning", "transformers", "accelerate", "numpy",
                  "laaos.integrations"]
    assert [m for m in frameworks if m in modules] == []
