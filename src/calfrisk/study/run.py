"""Run a study: check the whole design first, run every replicate as an independent task, resume.

:func:`plan_study` resolves every world and setting before anything is written: a bad design is one
line naming the scenario and key. :func:`run_study` then runs the tasks on an engine
(:mod:`calfrisk.engine`, threads or Dask, as ``simulate`` does):

- ``power-rNNNN``: a replicate of the power analysis (:func:`calfrisk.study.power.power_replicate`);
- ``model_auc-nN-rNNNN``: a model trained and scored on a cohort of ``N`` runners
  (:func:`calfrisk.study.development.model_auc_replicate`);
- ``transport-SCENARIO-rNNNN``: the base models scored on a replicate of a scenario's world
  (:func:`calfrisk.study.transport.score_scenario`), after the base models are trained once.

Each finished task's rows are written at once to ``OUT/parts/`` (atomically), and the trained base
models to ``OUT/models/``. A study interrupted and run again with the same design and ``OUT`` runs
only the tasks without a part; ``OUT/design.json`` records the design, and another design refuses
the folder. The results (``results.parquet``, ``summary.json``, the plots) are gathered from the
parts, sorted, so they are the same bytes whatever the engine, the workers and the interruptions.
"""

from __future__ import annotations

import functools
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from calfrisk.config import CohortConfig, TrainConfig, load_train_config
from calfrisk.config.study import StudyDesign
from calfrisk.engine import Engine
from calfrisk.exceptions import InputError, ParameterError
from calfrisk.io import atomic_write_bytes, atomic_write_text
from calfrisk.study.scenarios import World, base_world, cohort_seed, resolve_worlds
from calfrisk.study.transport import BaseModels, with_cohort

__all__ = ["StudyPlan", "StudyResult", "check_study_folder", "plan_study", "run_study"]

DESIGN_FILE = "design.json"


@dataclass(frozen=True)
class StudyPlan:
    """A design resolved: its worlds, training settings and tasks (key -> what to run)."""

    design: StudyDesign
    base: CohortConfig
    worlds: dict[str, World]
    train: TrainConfig
    tasks: dict[str, tuple]
    record: dict = field(default_factory=dict)


@dataclass(frozen=True)
class StudyResult:
    """What :func:`run_study` gathered: every row, the summary, and what ran now or before."""

    results: pd.DataFrame
    summary: dict
    out_dir: Path
    ran: list[str]
    resumed: list[str]


def _train_config(design: StudyDesign) -> TrainConfig:
    try:
        cfg = load_train_config(overrides=design.train)
    except InputError as exc:
        raise InputError(f"train: {exc}") from None
    wanted = {"sweep.models": design.sweep.models if design.sweep else []}
    if design.power is not None and design.power.model_auc.replicates:
        wanted["power.model_auc.model"] = [design.power.model_auc.model]
    for key, names in wanted.items():
        unknown = [n for n in names if n not in cfg.models]
        if unknown:
            raise InputError(f"{key}: unknown model {unknown[0]!r} (configured: {', '.join(cfg.models)})")
    return cfg


def _tasks(design: StudyDesign, worlds: dict[str, World]) -> dict[str, tuple]:
    tasks: dict[str, tuple] = {}
    if design.power is not None:
        power = design.power
        for r in range(power.replicates):
            tasks[f"power-r{r:04d}"] = ("power", power.scenario, r, None)
        for n in power.model_auc.runners:
            for r in range(power.model_auc.replicates):
                tasks[f"model_auc-n{n}-r{r:04d}"] = ("model_auc", power.scenario, r, n)
    if design.sweep is not None:
        for name in worlds:
            for r in range(design.sweep.replicates):
                tasks[f"transport-{name}-r{r:04d}"] = ("transport", name, r, None)
    return tasks


def plan_study(design: StudyDesign, design_path: str | Path | None = None) -> StudyPlan:
    """Resolve and check everything a study needs, before any work.

    Raises
    ------
    InputError
        Naming the scenario and key, or the design's key, at fault.
    """
    worlds = resolve_worlds(design, design_path)
    train = _train_config(design)
    record = {
        "design": design.model_dump(mode="json"),
        "worlds": {
            name: {"description": w.description, "overrides": w.overrides} for name, w in worlds.items()
        },
        "train": train.model_dump(mode="json"),
    }
    return StudyPlan(design, base_world(design, design_path), worlds, train, _tasks(design, worlds), record)


def _task_world(plan: StudyPlan, kind: str, scenario: str, replicate: int, size: int | None):
    design, world = plan.design, plan.worlds[scenario].config
    if kind == "power":
        power = design.power
        seed = cohort_seed(design.seed, "power", replicate)
        return with_cohort(world, max(power.runners), max(power.days), seed)
    if kind == "model_auc":
        seed = cohort_seed(design.seed, "model_auc", replicate, size)
        return with_cohort(world, size, max(design.power.days), seed)
    sweep = design.sweep
    return with_cohort(world, sweep.eval_runners, sweep.days, cohort_seed(design.seed, "sweep", replicate))


def _run_task(plan: StudyPlan, base: BaseModels | None, item: tuple[str, tuple]):
    """One task, anywhere (a thread or a Dask worker): its key, rows and scored days."""
    key, (kind, scenario, replicate, size) = item
    world = _task_world(plan, kind, scenario, replicate, size)
    if kind == "power":
        from calfrisk.study.power import power_replicate

        power = plan.design.power
        rows = power_replicate(world, power.runners, power.days, power.alpha, replicate)
        rows.insert(0, "scenario", scenario)
        rows.insert(0, "analysis", "power")
        return key, rows, None
    if kind == "model_auc":
        from calfrisk.study.development import model_auc_replicate

        rows = model_auc_replicate(world, plan.train, plan.design.power.model_auc.model, replicate)
        rows.insert(1, "scenario", scenario)
        return key, rows, None
    from calfrisk.study.transport import score_scenario

    rows, predictions = score_scenario(
        world,
        base,
        plan.train,
        importance_repeats=plan.design.sweep.importance_repeats,
        scenario=scenario,
        replicate=replicate,
    )
    return key, rows, predictions


def _parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def _record_text(plan: StudyPlan) -> str:
    return json.dumps(plan.record, indent=2, sort_keys=True) + "\n"


def check_study_folder(plan: StudyPlan, out_dir: str | Path, *, overwrite: bool = False) -> bool:
    """Whether ``out_dir`` holds this design's study already (to resume), checked before any work.

    Raises
    ------
    ParameterError
        If it is a file, or holds another design's study or other files, and not ``overwrite``.
    """
    out = Path(out_dir)
    marker = out / DESIGN_FILE
    if out.exists() and not out.is_dir():
        raise ParameterError("out_dir", out, "is a file, not a folder")
    if marker.is_file():
        if marker.read_text(encoding="utf-8") == _record_text(plan):
            return True
        if not overwrite:
            raise ParameterError("out_dir", out, "holds another study's results (`overwrite` replaces them)")
    elif out.exists() and any(out.iterdir()) and not overwrite:
        raise ParameterError("out_dir", out, "not empty and not a study's folder (`overwrite` replaces it)")
    return False


def _open_folder(out: Path, plan: StudyPlan, overwrite: bool) -> None:
    """Create ``out`` for this design, or reopen it to resume; refuse another design's folder."""
    if check_study_folder(plan, out, overwrite=overwrite):
        return
    if overwrite and out.exists():
        import shutil

        shutil.rmtree(out)
    (out / "parts").mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / DESIGN_FILE, _record_text(plan))


def _base_models(plan: StudyPlan, out: Path, engine: Engine | None, say: Callable[[str], None]) -> BaseModels:
    """The base models: trained once and saved, then always read back (a resumed study scores with
    the very same objects as an uninterrupted one)."""
    from calfrisk.predict.persist import load_model, save_model
    from calfrisk.study.transport import train_base_models

    sweep, folder = plan.design.sweep, out / "models"
    metrics_file = folder / "metrics.json"
    if not metrics_file.is_file():
        say("training the base models")
        seed = cohort_seed(plan.design.seed, "train", 0)
        world = with_cohort(plan.base, sweep.train_runners, sweep.days, seed)
        trained = train_base_models(world, plan.train, sweep.models, engine=engine)
        for name, (model, metadata) in trained.models.items():
            save_model(model, folder / name, metadata, overwrite=True)
        atomic_write_text(metrics_file, json.dumps(trained.metrics, indent=2, sort_keys=True, default=float))
    metrics = json.loads(metrics_file.read_text(encoding="utf-8"))
    return BaseModels({name: load_model(folder / name) for name in sweep.models}, metrics)


def run_study(
    plan: StudyPlan,
    out_dir: str | Path,
    *,
    engine: Engine | None = None,
    overwrite: bool = False,
    progress: Callable[[str], None] | None = None,
) -> StudyResult:
    """Run a planned study into ``out_dir``, resuming the tasks a previous run left unfinished.

    Parameters
    ----------
    plan : StudyPlan
        From :func:`plan_study`.
    out_dir : str or Path
        The study's folder: new, empty, or this design's from an interrupted run.
    engine : Engine, optional
        Where the tasks run (default: threads, one per core).
    overwrite : bool, default=False
        Replace a folder holding another design's study.
    progress : callable, optional
        Called with a line of text as each step starts and each task ends.

    Returns
    -------
    StudyResult
    """
    from calfrisk.study.summary import gather, write_outputs

    say = progress or (lambda line: None)
    out = Path(out_dir)
    _open_folder(out, plan, overwrite)
    parts = out / "parts"
    done = {p.name.removesuffix(".parquet") for p in parts.glob("*.parquet") if ".days" not in p.name}
    todo = [(key, task) for key, task in plan.tasks.items() if key not in done]
    base = _base_models(plan, out, engine, say) if plan.design.sweep is not None else None
    engine = engine or Engine("threads", n_jobs=-1)
    ran = []
    for _, (key, rows, predictions) in engine.map(functools.partial(_run_task, plan, base), todo):
        if predictions is not None:  # before the rows: a part's rows mark its task done
            atomic_write_bytes(parts / f"{key}.days.parquet", _parquet_bytes(predictions))
        atomic_write_bytes(parts / f"{key}.parquet", _parquet_bytes(rows))
        ran.append(key)
        say(f"{len(done) + len(ran)}/{len(plan.tasks)} {key}")
    say("gathering")
    results, summary = gather(plan, out, base)
    write_outputs(out, results, summary)
    return StudyResult(results, summary, out, sorted(ran), sorted(k for k in plan.tasks if k in done))
