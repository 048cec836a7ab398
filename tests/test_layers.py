"""Lower layers never import upper ones; the command line starts without the heavy libraries."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def _modules_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return {line.split(".")[0] for line in out.stdout.split()}


SRC = ROOT / "src" / "calfrisk"


def _modules(*packages: str) -> list[str]:
    """Every module of these subpackages (or top-level modules), by dotted name."""
    found = []
    for package in packages:
        path = SRC / package.replace(".", "/")
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path.with_suffix(".py")]
        for file in files:
            parts = file.relative_to(SRC.parent).with_suffix("").parts
            found.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


SIMULATOR = _modules(
    "config", "simulate", "exceptions", "factors", "schema", "io", "tables", "engine", "storage"
)
LEARNING = _modules("learn", "predict", "readers", "figures")
#: What ``calfrisk predict`` with a model directory uses: none of it may pull in the slow imports.
PREDICT_PATH = [
    "calfrisk.cli",
    "calfrisk.cli.terminal",
    "calfrisk.config",
    "calfrisk.learn",
    "calfrisk.predict",
    "calfrisk.predict.persist",
    "calfrisk.predict.profile",
    "calfrisk.predict.records",
    "calfrisk.predict.scoring",
    "calfrisk.readers",
]

#: The foundations: what the simulator and everything after it may build on.
_BASE = {"factors", "config", "exceptions", "schema", "io", "tables", "engine", "storage", "_lazy"}
#: What each part of calfrisk may import from calfrisk, in the order of the data flow. A part not
#: listed (top-level modules such as ``exceptions``) is a foundation everything may use.
ALLOWED = {
    "exceptions": set(),
    "factors": set(),
    "schema": {"factors"},  # a trait's column
    "_lazy": set(),
    "io": {"exceptions"},
    "engine": {"exceptions"},
    "storage": {"exceptions", "io"},
    "config": {"factors", "exceptions", "_lazy"},  # a trait's effect
    "tables": {"config", "exceptions", "schema", "storage"},
    "readers": {"exceptions", "schema", "_lazy"},
    # A real cohort: read by the readers, written as a cohort folder the learning steps read.
    "ingest": {"exceptions", "factors", "schema", "storage", "tables", "readers", "_lazy"},
    "simulate": _BASE,
    "learn": _BASE | {"simulate"},
    "figures": {"learn", "exceptions", "schema"},
    "predict": {"factors", "config", "exceptions", "schema", "io", "readers", "learn", "_lazy"},
    # A study: worlds simulated, models trained and scored, a model saved for a resumed run.
    "study": _BASE | {"simulate", "learn", "predict", "figures"},
    "tracking": _BASE | {"readers", "simulate", "learn", "predict", "figures", "study"},
}


def _imports(module: str) -> list[tuple[str, bool]]:
    """The calfrisk modules ``module`` imports, each with whether at module level (not in a function)."""
    path = SRC.parent / (module.replace(".", "/") + ".py")
    if not path.exists():
        path = SRC.parent / module.replace(".", "/") / "__init__.py"
    tree = ast.parse(path.read_text())
    top = {id(node) for node in tree.body}
    top |= {id(n) for node in tree.body if isinstance(node, ast.If) for n in node.body}  # TYPE_CHECKING
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("calfrisk"):
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            target = next(n for n in reversed(names) if n in ALL or n == node.module)
            found.append((target, id(node) in top))
        elif isinstance(node, ast.Import):
            found += [(a.name, id(node) in top) for a in node.names if a.name.startswith("calfrisk")]
    return found


ALL = set(
    _modules(
        *sorted(
            {
                p.stem if p.is_file() else p.name
                for p in SRC.iterdir()
                if p.suffix == ".py" or (p / "__init__.py").exists()
            }
        )
    )
)


def _part(module: str) -> str:
    return module.split(".")[1] if "." in module else module


@pytest.mark.parametrize("module", sorted(ALL - {"calfrisk", "calfrisk.__main__"}))
def test_each_part_imports_only_the_parts_before_it_in_the_flow(module: str) -> None:
    part = _part(module)
    if part == "cli":
        return  # the command line may use every part
    allowed = ALLOWED[part] | {part}
    wrong = sorted({target for target, _ in _imports(module) if _part(target) not in allowed})
    assert not wrong, f"{module} imports {wrong}"


def test_no_import_cycle_between_modules() -> None:
    graph = {m: {t for t, at_top in _imports(m) if at_top and t in ALL and t != m} for m in ALL}
    # A package's __init__ re-exports lazily: importing it imports nothing, so it is no edge.
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            assert state.get(nxt) != 1, "import cycle: " + " -> ".join([*path, node, nxt])
            if nxt not in state:
                visit(nxt, [*path, node])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [])


@pytest.fixture(scope="module")
def imported():
    """What importing each module of the layer tests loads, each in a fresh interpreter, two at a
    time (each probe is a second or two of imports on one core)."""
    from concurrent.futures import ThreadPoolExecutor

    modules = sorted(set(SIMULATOR) | set(LEARNING) | set(PREDICT_PATH))
    with ThreadPoolExecutor(max_workers=2) as pool:
        yield {m: pool.submit(_modules_after, f"import {m}") for m in modules}


@pytest.mark.slow
@pytest.mark.parametrize("module", SIMULATOR)
def test_simulator_layers_import_no_learning_tracking_or_cli_library(module: str, imported) -> None:
    # distributed too: Dask is an optional extra, imported only when asked for.
    found = imported[module].result() & {"mlflow", "click", "rich", "sklearn", "distributed"}
    assert not found


@pytest.mark.slow
@pytest.mark.parametrize("module", LEARNING)
def test_learning_layers_do_not_import_tracking_or_cli_libraries(module: str, imported) -> None:
    # rich is not checked here: scikit-learn >= 1.9 imports it for its progress callbacks.
    found = imported[module].result() & {"mlflow", "click", "distributed"}
    assert not found


@pytest.mark.slow
def test_a_threaded_simulation_and_training_never_import_dask(tmp_path) -> None:
    # The threaded engine works where the optional Dask extra is not installed.
    loaded = _modules_after(
        "from calfrisk.config import load_cohort_config, load_train_config\n"
        "from calfrisk.simulate import simulate_cohort\n"
        "from calfrisk.learn.train import train_models\n"
        "from calfrisk.tables import open_cohort\n"
        "cfg = load_cohort_config(overrides={'cohort': {'n_athletes': 120, 'n_days': 90},"
        " 'injury': {'enrichment': 9.0}})\n"
        f"simulate_cohort(cfg, {str(tmp_path / 'c')!r})\n"
        "keep = {'negative_rate': 1.0}\n"
        "tiny = {'models': {'gbm': {'params': {'n_estimators': 5}}}, 'latent': [],"
        " 'sampling': {'train': keep, 'test': keep},"
        " 'evaluation': {'n_boot': 2, 'folds_below': 0}, 'data': {'min_history_days': 14}}\n"
        f"data = open_cohort({str(tmp_path / 'c')!r})\n"
        "train_models(data, load_train_config(overrides=tiny), models=['gbm'])"
    )
    assert "calfrisk" in loaded and not loaded & {"distributed", "dask"}


@pytest.mark.slow
def test_cli_help_does_not_import_numerical_libraries() -> None:
    loaded = _modules_after(
        "import sys\nfrom calfrisk.cli.commands import main\nsys.argv = ['calfrisk', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass"
    )
    assert not loaded & {"numpy", "pandas", "pyarrow", "mlflow", "joblib"}


@pytest.mark.slow
@pytest.mark.parametrize("module", PREDICT_PATH)
def test_predict_path_imports_nothing_slow(module: str, imported) -> None:
    # mlflow (about a second), numba (the simulator's compiler), skops (imports every estimator),
    # shap, matplotlib (only for --plot) and the device-file readers (only for such files). pyarrow
    # is not listed: pandas 3 imports it for its string dtype.
    slow = {"mlflow", "numba", "skops", "shap", "matplotlib", "fitdecode", "gpxpy", "tcxreader"}
    assert not imported[module].result() & slow


def test_no_function_outside_the_kernel_is_longer_than_about_80_lines() -> None:
    """One function, one job: bodies (docstrings aside) fit a screen. The numba kernel is exempt:
    its day loop is compiled as one unit (see calfrisk.simulate.kernel)."""
    long = []
    for path in sorted(SRC.rglob("*.py")):
        if path.name == "kernel.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                first = node.body[0]
                docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                start = first.end_lineno + 1 if docstring and len(node.body) > 1 else first.lineno
                if node.end_lineno - start + 1 > 80:
                    long.append(f"{path.relative_to(SRC)}:{node.lineno} {node.name}")
    assert not long, long
