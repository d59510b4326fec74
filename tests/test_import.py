"""Importing laaos: ``from laaos.NAME import store`` for a log ``./laaos/NAME.py``."""

import importlib.util
import os
import re
import subprocess
import sys
import textwrap

import pytest

SUBMODULES = ["files", "cli", "helpers", "errors", "torch", "many", "store", "runs", "provenance", "view", "frames",
              "tidy"]


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
# the log importer's machinery; dataclasses, with inspect, ast, dis and tokenize, when a
# dataclass is stored or a record class is asked for its fields; signal and threading,
# when a store installs its handlers; the backend, with the parser and its json scanner,
# when the first store is made or log loaded).
NOT_ON_IMPORT = [
    "dataclasses", "inspect", "ast", "dis", "tokenize", "signal", "threading", "base64", "json", "fcntl",
    "laaos._speedups", "laaos._pure", "laaos._engine", "laaos._writer", "laaos._parser", "laaos._grammar",
    "laaos._literals", "laaos._json",
    "concurrent.futures", "multiprocessing", "pickle", "glob", "platform", "socket", "getpass",
    "importlib.abc", "importlib.util", "importlib.resources", "tempfile", "subprocess", "argparse",
    "laaos.many", "laaos.provenance", "laaos.cli", "laaos.recover", "laaos.diagnosis", "laaos.follow",
    # the notebook view and the pandas frames
    "html", "laaos.view", "laaos.frames", "laaos.tidy", "pandas", "numpy",
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


def test_the_first_load_imports_its_backend_and_not_the_other(backend, backend_env):
    modules = imported_after("import laaos\nassert laaos.safe_load_str('store = {}\\n') == {}\n"
                             f"assert laaos.BACKEND == {backend!r}", backend_env)
    ours, other = ["laaos._speedups", "laaos._pure"][:: 1 if backend == "cython" else -1]
    assert ours in modules and "laaos._parser" in modules
    assert other not in modules
    if backend == "cython":  # (the extension has its own engine and writer)
        assert "laaos._engine" not in modules


def test_the_public_names_are_there_and_import_their_modules_when_used(backend_env):
    modules = imported_after("import laaos\nassert set(laaos.__all__) <= set(dir(laaos))\n"
                             "f, m, r, R = laaos.follow, laaos.load_many, laaos.recover, laaos.Recovery\n"
                             "import laaos.follow, laaos.recover\n"
                             "assert (laaos.follow, laaos.recover) == (f, r) and callable(f) and callable(r)\n"
                             "assert all(getattr(laaos, n) is not None for n in laaos.__all__)", backend_env)
    assert {"laaos.many", "laaos.follow", "laaos.recover", "concurrent.futures"} <= modules


def test_the_notebook_view_and_the_frames_import_their_modules_when_used(tmp_path, backend_env):
    log = tmp_path / "run.py"
    log.write_text("store = {'losses': [0.5, 0.25]}\n")
    modules = imported_after(f"import laaos\nresult = laaos.load({str(log)!r})\n"
                             "assert 'n=2' in result._repr_html_()", backend_env)
    assert {"html", "laaos.view", "laaos.tidy"} <= modules
    assert [m for m in ("laaos.frames", "pandas", "numpy", "laaos.many") if m in modules] == []


def test_one_command_imports_its_own_modules_only(tmp_path, backend, backend_env):
    log = tmp_path / "run.py"
    log.write_text("store = {'losses': [0.5]}\n")
    modules = imported_after(f"from laaos.cli import main\nassert main(['show', {str(log)!r}]) == 0", backend_env)
    assert "laaos.cli.show" in modules
    others = ["laaos.cli.export", "laaos.cli.plot", "laaos.cli.rewrite", "laaos.cli.follow", "laaos.cli.check",
              "laaos.recover", "laaos.diagnosis", "laaos.many", "laaos.provenance", "concurrent.futures",
              "glob", "dataclasses", "inspect", "signal", "fcntl", "shutil", "zlib", "bz2", "lzma",
              "laaos._pure" if backend == "cython" else "laaos._speedups"]
    assert [m for m in others if m in modules] == []


def test_a_store_opens_and_records_its_session_without_datetime_platform_or_socket(tmp_path, backend_env):
    modules = imported_after(f"import laaos\nwith laaos.open_file_store('run', prefix={str(tmp_path)!r} + '/'):\n"
                             "    pass", backend_env)
    assert "laaos.provenance" in modules
    assert [m for m in ("datetime", "platform", "socket", "getpass", "termios", "concurrent.futures")
            if m in modules] == []
    (log,) = tmp_path.iterdir()
    import getpass

    import laaos

    session = laaos.load(log).sessions[0]
    assert session["time"].endswith("+00:00") and session["python"] == sys.version.split()[0]
    assert session["user"] == getpass.getuser()


def test_the_record_classes_are_still_dataclasses_to_dataclasses():
    import dataclasses
    import pickle

    import laaos
    from laaos.runs import Record

    result = laaos.LoadResult({"a": 1}, "run.py", 1, 1, 13, 13, 0, 0)
    assert dataclasses.is_dataclass(result) and dataclasses.is_dataclass(laaos.LoadResult)
    assert [f.name for f in dataclasses.fields(result)] == list(laaos.LoadResult.__match_args__) == [
        "store", "path", "statements", "lines", "size", "valid_bytes", "dropped_bytes", "dropped_statements",
        "skipped", "tail_line", "legacy_floats", "keys"]
    assert repr(result) == ("LoadResult(store={'a': 1}, path='run.py', statements=1, lines=1, size=13, "
                            "valid_bytes=13, dropped_bytes=0, dropped_statements=0, skipped=[], tail_line=0, "
                            "legacy_floats=0, keys=None)")
    assert dataclasses.asdict(result)["skipped"] == []
    assert result.skipped is not laaos.LoadResult({}, "", 0, 0, 0, 0, 0, 0).skipped
    other = dataclasses.replace(result, path="other.py")
    assert other != result
    assert other == laaos.LoadResult({"a": 1}, "other.py", 1, 1, 13, 13, 0, 0, [], 0, 0, None)
    assert pickle.loads(pickle.dumps(result)) == result and result != 1
    with pytest.raises(TypeError):
        hash(result)

    record = Record("mark", 3, {"label": "best"}, 10, 40)
    assert repr(record) == "Record(kind='mark', line=3, info={'label': 'best'}, offset=10, end=40)"
    assert [f.name for f in dataclasses.fields(Record)] == ["kind", "line", "info", "offset", "end"]
    assert dataclasses.replace(record, line=4) == Record("mark", 4, {"label": "best"}, 10, 40)
    assert Record("session", 1).info == {} and pickle.loads(pickle.dumps(record)) == record
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.line = 5
    with pytest.raises(dataclasses.FrozenInstanceError):
        del record.kind
    assert hash(Record("mark", 3, None)) == hash(("mark", 3, None, 0, 0))
    handler = laaos.Dataclasses2DictHandler()
    assert handler.supports(record) and not handler.supports(Record) and not handler.supports({})
    assert handler.repr(record, repr, None) == ("{'kind': 'mark', 'line': 3, 'info': {'label': 'best'}, "
                                                "'offset': 10, 'end': 40}")


def test_a_store_that_only_writes_compiles_none_of_the_parser_s_patterns(tmp_path, backend_env):
    code = f"""\
        import re
        import laaos
        with laaos.open_file_store("run", "", prefix={str(tmp_path)!r} + "/") as root:
            root["losses"] = [0.5]
            root["losses"].append(0.25)
            root["cfg"] = {{"lr": 0.1, "name": "a\\\\b"}}
        from laaos import _literals, _parser
        print(sorted(n for m in (_literals, _parser) for n, v in vars(m).items() if isinstance(v, re.Pattern)))
        print(laaos.load({str(tmp_path / "run.py")!r}).store)  # (and the patterns work once compiled)
        """
    out = run(code, tmp_path, backend_env).splitlines()
    assert out == ["[]", "{'losses': [0.5, 0.25], 'cfg': {'lr': 0.1, 'name': 'a\\\\b'}}"]


def test_without_the_extension_the_first_use_says_so_where_it_is_required(tmp_path):
    import shutil

    import laaos

    # laaos without its compiled extension, as an install without a compiler leaves it
    shutil.copytree(os.path.dirname(laaos.__file__), tmp_path / "laaos",
                    ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAAOS_")}
    env["PYTHONPATH"] = str(tmp_path)
    code = ("import laaos\ntry:\n    print(laaos.BACKEND)\nexcept ImportError as e:\n    print(e)\n"
            "try:\n    print(laaos.safe_load_str('store = {}\\n'))\nexcept ImportError as e:\n    print(e)\n")
    assert run(code, tmp_path, env).splitlines() == ["python", "{}"]
    required = run(code, tmp_path, dict(env, LAAOS_REQUIRE_EXTENSIONS="1")).splitlines()
    assert len(required) == 2 and required[0] == required[1]
    # (with why: the ImportError of the extension's import)
    assert required[0].startswith("LAAOS_REQUIRE_EXTENSIONS=1 but the laaos._speedups extension did not "
                                  "import (cannot import name '_speedups' from ")
    assert required[0].endswith("); reinstall laaos with a C++ compiler and Cython available")


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


@pytest.mark.parametrize("module, says", [
    ("laaos.integrations.lightning", "needs Lightning: pip install 'laaos[lightning]' (No module named 'lightning"),
    ("laaos.integrations.pytorch_lightning",
     "needs pytorch_lightning: pip install pytorch-lightning (No module named 'pytorch_lightning"),
])
def test_a_lightning_integration_without_its_package_says_what_to_install(module, says):
    package = module.rsplit(".", 1)[1]
    if importlib.util.find_spec(package) is not None:
        pytest.skip(f"{package} is installed")
    with pytest.raises(ImportError, match=re.escape(f"{module} {says}")):
        importlib.import_module(module)
