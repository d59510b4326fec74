"""The example notebook, executed by a real Jupyter kernel."""

import base64
import shutil
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="running the notebook needs nbformat, nbclient and ipykernel")
nbclient = pytest.importorskip("nbclient", reason="running the notebook needs nbclient")
pytest.importorskip("ipykernel", reason="running the notebook needs a Jupyter kernel (ipykernel)")
pytest.importorskip("seaborn", reason="the notebook plots with seaborn")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_the_sweep_notebook_runs_and_shows_the_view_the_frame_and_a_plot(tmp_path, backend, backend_env):
    for name in ("sweep.ipynb", "sweep.py"):
        shutil.copy(EXAMPLES / name, tmp_path / name)
    notebook = nbformat.read(tmp_path / "sweep.ipynb", as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell("print(laaos.BACKEND)"))  # (the kernel's backend)
    client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute(env=dict(backend_env, MPLBACKEND="module://matplotlib_inline.backend_inline"))
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    outputs = [{k: v for out in cell.outputs for k, v in out.get("data", {}).items()} for cell in code]
    assert not [out for cell in code for out in cell.outputs if out.output_type == "error"]

    sweep_html = outputs[0]["text/html"]
    assert "4 runs" in sweep_html and sweep_html.count("<svg") == 4 * 3  # metrics.step, .loss and .w per run
    assert "<script" not in sweep_html
    for lr in ("0.01", "0.03", "0.1", "0.3"):
        assert f"lr{lr}.py" in sweep_html

    log_html = outputs[1]["text/html"]
    assert "1 session" in log_html and "list of 100 dicts" in log_html and "n=100 last=99 min=0 max=99" in log_html

    frame_html = outputs[2]["text/html"]
    assert "config.lr" in frame_html and "metrics.loss" in frame_html and "runs/sweep/lr0.3.py" in frame_html

    assert outputs[3]["image/png"]  # the seaborn plot
    assert base64.b64decode(outputs[3]["image/png"]).startswith(b"\x89PNG")
    assert code[-1].outputs[0]["text"] == f"{backend}\n"
