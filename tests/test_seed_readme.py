"""The original README's example runs verbatim and writes exactly the file it shows."""

import subprocess
import sys
import textwrap

SEED_EXAMPLE = textwrap.dedent(
    """\
    from blackhc.laaos import create_file_store, safe_load_store
    store = create_file_store('test', suffix='')

    store['losses'] = []
    losses = store['losses']

    for i in range(1, 10):
        losses.append(1/i)

    store.close()
    """
)

SEED_FILE = """\
store = {}
store['losses']=[]
store['losses'].append(1.0)
store['losses'].append(0.5)
store['losses'].append(0.3333333333333333)
store['losses'].append(0.25)
store['losses'].append(0.2)
store['losses'].append(0.16666666666666666)
store['losses'].append(0.14285714285714285)
store['losses'].append(0.125)
store['losses'].append(0.1111111111111111)
"""


def test_seed_example_writes_the_file_and_all_three_load_paths_read_it(tmp_path, backend_env):
    # In the project root ./laaos/ is the package itself, so run in a temporary folder.
    (tmp_path / "example.py").write_text(SEED_EXAMPLE)
    subprocess.run([sys.executable, "example.py"], cwd=tmp_path, env=backend_env, check=True)
    assert (tmp_path / "laaos" / "test.py").read_text() == SEED_FILE
    expected = {"losses": [1 / i for i in range(1, 10)]}
    loader = textwrap.dedent(
        """\
        from blackhc.laaos import safe_load_store
        from laaos import safe_load
        from laaos.test import store
        import laaos.store  # a real submodule still wins over a log file's name
        assert callable(laaos.store.Store)
        print(repr((safe_load('laaos/test.py'), safe_load_store('laaos/test.py'), store)))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", loader], cwd=tmp_path, env=backend_env, check=True, capture_output=True, text=True
    ).stdout
    assert eval(out) == (expected, expected, expected)  # our own output, not a log
