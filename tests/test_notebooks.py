"""The notebooks run top to bottom, and every figure they show reaches the reader as an image."""

from __future__ import annotations

import re

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import ROOT

# Each notebook simulates, trains and plots: minutes, not seconds.
pytestmark = pytest.mark.slow

NOTEBOOKS = sorted(p for p in (ROOT / "notebooks").glob("*.ipynb") if not p.stem.endswith("_executed"))

#: How a matplotlib figure prints when no front end turned it into an image: ``<Figure size 900x700
#: with 3 Axes>`` (also as ``matplotlib.figure.Figure``, or a subclass such as ``SubFigure``).
FIGURE_AS_TEXT = re.compile(r"<(?:[\w.]+\.)?(?:Sub)?Figure\b[^>]*>")


def figures_shown_as_text(notebook: nbformat.NotebookNode) -> list[str]:
    """Each output of an executed notebook that shows a figure as its text form, by cell number."""
    found = []
    for number, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            text = data.get("text/plain", "") if "data" in output else output.get("text", "")
            text = "".join(text) if isinstance(text, list) else text
            has_image = any(kind.startswith("image/") for kind in data)
            if FIGURE_AS_TEXT.search(text) and not has_image:
                found.append(f"cell {number}: {text.strip()[:80]}")
    return found


def _notebook(*cells: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in cells])


def _execute(notebook: nbformat.NotebookNode, folder) -> nbformat.NotebookNode:
    resources = {"metadata": {"path": folder}}
    return NotebookClient(notebook, timeout=600, kernel_name="python3", resources=resources).execute()


def _execute_file(path) -> nbformat.NotebookNode:
    return _execute(nbformat.read(path, as_version=4), str(path.parent))


@pytest.fixture(scope="module")
def executed(request):
    """Every notebook executed two at a time, in separate processes, started at the first test.

    Much of a notebook's time is single-threaded (pandas, plotting, the kernel's start): two side by
    side on two cores take about two thirds of the time one after the other. The longest start first.
    """
    from concurrent.futures import ProcessPoolExecutor

    # Only the notebooks whose tests were selected (by ``-k`` or a test id).
    selected = {
        item.callspec.params["path"]
        for item in request.session.items
        if hasattr(item, "callspec") and "path" in item.callspec.params
    }
    longest_first = sorted(selected, key=lambda p: NOTEBOOK_SECONDS.get(p.stem, 60), reverse=True)
    with ProcessPoolExecutor(max_workers=2) as pool:
        yield {path: pool.submit(_execute_file, path) for path in longest_first}


#: About how long each notebook takes alone on two cores (seconds), to start the longest first.
NOTEBOOK_SECONDS = {
    "02_model_comparison": 90,
    "05_study_design": 70,
    "01_feature_importance": 60,
    "04_real_cohort": 45,
    "03_runner_walkthrough": 8,
}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_shows_every_figure_as_an_image(path, executed) -> None:
    notebook = executed[path].result()
    assert figures_shown_as_text(notebook) == []
    images = sum(
        any(kind.startswith("image/") for kind in output.get("data", {}))
        for cell in notebook.cells
        for output in cell.get("outputs", [])
    )
    # Every notebook is built around its figures; one that shows none lost them.
    assert images >= 1, path.name


def test_the_figure_check_catches_a_figure_shown_as_text(tmp_path) -> None:
    """The defect the check exists for: a bare Figure displayed with no inline backend configured."""
    shown = _notebook(
        "from IPython.display import display\nfrom matplotlib.figure import Figure\n"
        "figure = Figure()\nfigure.add_subplot().plot([0, 1])\ndisplay(figure)"
    )
    assert len(figures_shown_as_text(_execute(shown, str(tmp_path)))) == 1
    fixed = _notebook("%matplotlib inline", shown.cells[0].source)
    assert figures_shown_as_text(_execute(fixed, str(tmp_path))) == []
