"""README.md's examples run as written: every ```python block, in order and in one
namespace, in a folder where the main job (``python examples/train.py``) and the sweep
example (``python examples/sweep.py``) have run, as a new user would run them.  A block
that holds ``...`` in its code (not in a comment) is a sketch (it needs a cluster, a
model, your paths): it is compiled, not run; so is a block that imports a training framework
(torch, Lightning, transformers) that is not installed: the quick suite runs without them,
and `pip install ".[test,lightning,transformers]" && pytest tests/test_readme.py` runs them
all (.ci/run does)."""

import ast
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

pytestmark = pytest.mark.skipif(not (ROOT / "examples" / "train.py").exists(), reason="needs the source tree")

# Each block compiled with README's line numbers, so that a failure names its line there.
RUNNER = r"""
import json, sys
namespace = {"__name__": "__main__"}
for line, source, sketch in json.load(sys.stdin):
    code = compile("\n" * (line - 1) + source, "README.md", "exec")
    if not sketch:
        exec(code, namespace)
"""


def python_blocks(text):
    """(first line, source) of each ```python block."""
    for match in re.finditer(r"^```python\n(.*?)^```", text, re.M | re.S):
        yield text.count("\n", 0, match.start(1)) + 1, match.group(1)


FRAMEWORKS = {"torch", "lightning", "pytorch_lightning", "transformers"}


def is_sketch(source):
    return any(isinstance(node, ast.Constant) and node.value is Ellipsis for node in ast.walk(ast.parse(source)))


def missing_frameworks(source):
    """The training frameworks ``source`` imports that are not installed."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return sorted(name for name in names & FRAMEWORKS if importlib.util.find_spec(name) is None)


def run(args, cwd, stdin=None):
    proc = subprocess.run([sys.executable, *args], cwd=cwd, input=stdin, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, f"{args}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


# One run is enough: the blocks run in a child process on the backend a user gets.
@pytest.mark.parametrize("backend", ["python"], indirect=True)
def test_the_python_blocks_run_after_the_main_job_and_the_sweep_example(backend, tmp_path):
    pytest.importorskip("pandas")  # the pandas recipe (pandas comes with the test extra)
    blocks = [(line, source, is_sketch(source) or bool(missing_frameworks(source)))
              for line, source in python_blocks(README.read_text("utf-8"))]
    assert sum(not sketch for _, _, sketch in blocks) >= 6, blocks
    run([str(ROOT / "examples" / "train.py")], tmp_path)
    run([str(ROOT / "examples" / "sweep.py")], tmp_path)
    out = run(["-c", RUNNER], tmp_path, stdin=json.dumps(blocks))
    assert '{"run": {"tags": ["baseline", "v2"]}, "seed": 1}' in out


def test_the_cli_transcripts_show_the_output_of_every_command():
    text = README.read_text("utf-8")
    for block in re.findall(r"^```\n(.*?)^```", text, re.M | re.S):
        lines = block.splitlines()
        for i, line in enumerate(lines):
            if line.startswith("$ "):
                assert i + 1 < len(lines) and not lines[i + 1].startswith("$ "), f"no output shown for {line!r}"
