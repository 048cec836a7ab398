"""Terminal output: progress bars and summary tables (rich), kept out of the library layers."""

from __future__ import annotations

import contextlib
import math
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from calfrisk.schema import OUTCOMES, TABLES

if TYPE_CHECKING:  # pandas costs `calfrisk simulate` ~0.25 s to import, numba `calfrisk predict` more
    import pandas as pd

    from calfrisk.config import CohortConfig
    from calfrisk.predict.scoring import Forecast
    from calfrisk.simulate import CohortSummary

__all__ = [
    "cohort_summary_table",
    "print_cohort_summary",
    "print_comparison",
    "print_forecast",
    "print_training",
    "progress_bar",
]


@contextlib.contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr; yields ``advance(done, total)``. Silent when stderr is no terminal."""
    console = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task(label, total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance


@contextlib.contextmanager
def step_progress() -> Iterator[Callable[[str], None]]:
    """Show each step of a long run with a spinner and its elapsed time; yields ``start(step)``.

    On a terminal every finished step stays listed with its duration; otherwise each step is one
    plain line on stderr when it finishes.
    """
    import time

    console = Console(stderr=True)
    current: dict[str, object] = {}
    if not console.is_terminal:
        # Plain lines, and no Progress at all: even disabled, rich 13.7's writes a newline on exit,
        # which would come before a one-line error.
        def finish_line() -> None:
            if current:
                seconds = time.perf_counter() - current["start"]
                console.print(f"  {current['step']} {seconds:.1f} s", highlight=False)

        def start_line(step: str) -> None:
            finish_line()
            current.update(step=step, start=time.perf_counter())

        yield start_line
        finish_line()
        return
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console) as bar:

        def finish() -> None:
            if current:
                bar.update(current["task"], completed=1, total=1)

        def start(step: str) -> None:
            finish()
            current.update(step=step, start=time.perf_counter(), task=bar.add_task(step, total=None))

        yield start
        finish()


def cohort_summary_table(summary: CohortSummary, cfg: CohortConfig) -> Table:
    """The figures of a simulated cohort as a two-column table."""
    s = summary
    enrichment = cfg.injury.enrichment
    table = Table(title="Simulated cohort", show_header=False, title_justify="left")
    table.add_column("figure")
    table.add_column("value", justify="right")
    rows = [
        ("athletes x days", f"{s.n_athletes:,} x {s.n_days:,} = {s.athlete_days:,} athlete-days"),
        ("running sessions", f"{s.running_days:,}"),
        ("km per athlete-week", f"{7 * s.total_km / s.athlete_days:.1f}"),
        ("running hours", f"{s.running_hours:,.0f}"),
        ("days in a strain layoff", f"{1 - s.at_risk_days / s.athlete_days:.1%}"),
        ("calf strains (grade 1/2/3)", f"{s.strains:,} ({'/'.join(str(g) for g in s.strains_by_grade)})"),
        ("expected strains (sum of hazards)", f"{s.expected_strains:,.1f}"),
        ("strains per 1000 running hours", f"{s.strains_per_1000h:.2f}"),
        (f"  / enrichment {enrichment:g} (real-world scale)", f"{s.strains_per_1000h / enrichment:.2f}"),
        (
            f"running days followed by a strain within {s.horizon_days} days",
            f"{s.positive_share:.2%} of {s.running_days_with_horizon:,}",
        ),
    ]
    for name, value in rows:
        table.add_row(name, value)
    return table


def print_cohort_summary(summary: CohortSummary, cfg: CohortConfig, out_dir: str | Path) -> None:
    """Print the cohort summary and where its tables are."""
    console = Console(file=sys.stdout)
    console.print(cohort_summary_table(summary, cfg))
    console.print(f"Tables written to {out_dir}: {', '.join(TABLES)} (Parquet).")


def print_evaluation(validation: object, run_id: str | None) -> None:
    """Print an external validation as a training run's report, then what the cohort lacked."""
    print_training(validation, run_id)
    metrics = validation.metrics  # type: ignore[attr-defined]
    console = Console(file=sys.stdout)
    missing = metrics["coverage"]["missing"]
    if missing:
        console.print(
            f"The cohort gives no value of {', '.join(missing)}: the model treats them as missing "
            "(the booster's branch for missing values).",
            highlight=False,
        )
    if metrics.get("model_outcome", "calf strain") != metrics.get("outcome", "calf strain"):
        console.print(
            f"The model predicts {OUTCOMES[metrics['model_outcome']]}; the cohort's injuries are "
            f"{OUTCOMES[metrics['outcome']]}: the figures measure how one predicts the other.",
            highlight=False,
        )


def print_import(cohort: object, out_dir: str | Path, mapping_path: Path | None) -> None:
    """Print what an import read, what it left out and why, and where the cohort is."""
    m = cohort.manifest
    console = Console(file=sys.stdout)
    table = Table(title="Imported cohort", show_header=False, title_justify="left")
    table.add_column("figure")
    table.add_column("value", justify="right")
    counts = m["counts"]
    table.add_row("runners imported", f"{counts['runners']:,}")
    table.add_row("runners left out", f"{len(m['skipped']):,}")
    table.add_row("sessions", f"{counts['sessions']:,}")
    table.add_row("injuries", f"{counts['injuries']:,} ({m['outcome']})")
    console.print(table)
    for runner, reason in m["skipped"].items():
        console.print(f"left out: {runner}: {reason}", markup=False, highlight=False)
    for note in m["notes"]:
        console.print(f"note: {note}", markup=False, highlight=False)
    if m["outcome"] != "calf strain":
        plural = OUTCOMES[m["outcome"]]
        console.print(f"The injuries are {plural}, not calf strains: models trained on them say so.")
    tables = ", ".join(t for t in TABLES if t != "truth")
    console.print(f"Cohort written to {out_dir}: {tables} (Parquet), manifest.json.")
    if mapping_path is not None:
        console.print(f"Pseudonym mapping written to {mapping_path}: keep it apart from the cohort.")


def _fmt(value: float) -> str:
    return "-" if value != value else f"{value:.3f}"  # NaN: not available


def _with_ci(entry: dict, metric: str, digits: int = 3, signed: bool = False) -> str:
    """A metric with its bootstrap interval, or "-" where the run has none (no oracle)."""
    value = entry.get(metric)
    if value is None or value != value:
        return "-"
    low, high = entry.get("ci", {}).get(metric, (float("nan"), float("nan")))
    form = f"{'+' if signed else ''}.{digits}f"
    return (
        f"{value:{form}} ({low:{form}} to {high:{form}})"
        if signed
        else f"{value:{form}} ({low:{form}}-{high:{form}})"
    )


def print_training(result: object, run_id: str | None) -> None:
    """Print a training run's test metrics, one row per model, the oracle last, and its timings."""
    metrics = result.metrics  # type: ignore[attr-defined]
    title = f"Held-out athletes: {metrics['n_test_athletes']:,} ({metrics['n_test_rows']:,} days)"
    scheme = metrics.get("evaluation", {})
    if scheme.get("scheme") == "k-fold":
        title += f", {scheme['folds']}-fold cross-validation by athlete"
    elif scheme.get("scheme") == "holdout_last":
        title += f", the last {len(scheme['athletes'])} by id"
    rows = dict(metrics["models"])
    if metrics.get("oracle") is not None:
        rows["oracle"] = metrics["oracle"]
    ranking = Table(title=f"{title}: ranking")
    for column in ("model", "ROC AUC (95% CI)", "skill vs oracle (95% CI)", "AUC - gbm's (95% CI)"):
        ranking.add_column(column, justify="left" if column == "model" else "right")
    calibration = Table(title=f"{title}: calibration")
    for column in ("model", "log-loss skill", "intercept", "slope (95% CI)", "top decile obs./pred."):
        calibration.add_column(column, justify="left" if column == "model" else "right")
    for name, m in rows.items():
        ranking.add_row(
            name,
            _with_ci(m, "roc_auc"),
            _with_ci(m, "roc_auc_skill_vs_oracle"),
            _with_ci(m, "roc_auc_minus_gbm", signed=True),
        )
        top = (
            f"{m['top_decile_observed']:.2%} / {m['top_decile_predicted']:.2%}"
            if "top_decile_observed" in m
            else "-"
        )
        calibration.add_row(
            name,
            _fmt(m.get("log_loss_skill_vs_oracle", float("nan"))),
            _fmt(m.get("calibration_intercept", float("nan"))),
            _with_ci(m, "calibration_slope", digits=2),
            top,
        )
    console = Console(file=sys.stdout)
    console.print(ranking)
    console.print(
        "Skill: (AUC - 0.5) / (oracle's AUC - 0.5), 0 for a coin flip, 1 for the oracle. Intervals: "
        "athlete bootstrap, paired (the same resamples for every model).",
        highlight=False,
    )
    console.print(calibration)
    console.print(
        "Log-loss skill: the share of the oracle's gain over the base rate. A calibrated model has "
        "intercept 0 and slope 1; the top decile is the riskiest tenth of days.",
        highlight=False,
    )
    for model, bands in metrics.get("bands", {}).items():
        # predict's bands against what followed the held-out days (strain within the horizon).
        band_table = Table(title=f"{model}: predict's bands against what followed")
        for column in ("band", "days", "share", "predicted rate", "observed rate (95% CI)", "x average"):
            band_table.add_column(column, justify="left" if column == "band" else "right")
        for b in bands:
            observed = b["observed"]
            low, high = b.get("observed_low"), b.get("observed_high")
            interval = f" ({low:.2%}-{high:.2%})" if low is not None and high is not None else ""
            band_table.add_row(
                b["band"],
                f"{b['days']:,.0f}",
                f"{b['share']:.1%}",
                f"{b['predicted']:.2%}" if b["predicted"] is not None else "-",
                f"{observed:.2%}{interval}" if observed is not None else "-",
                f"{b['lift']:.2f}" if b["lift"] is not None else "-",
            )
        console.print(band_table)
    if metrics.get("oracle") is None:
        console.print(
            "No oracle: the cohort has no simulator behind it (imported), so skill against the oracle "
            "is not defined; compare the models with each other and with the rule baselines.",
            highlight=False,
        )
    outcome = metrics.get("outcome", "calf strain")
    if outcome != "calf strain":
        plural = OUTCOMES[outcome]
        console.print(f"The injuries are {plural}, not calf strains: so are these risks.", highlight=False)
    timings = ", ".join(f"{k.removesuffix('_s')} {v:.1f} s" for k, v in result.timings.items())  # type: ignore[attr-defined]
    console.print(f"Timings: {timings}")
    if run_id:
        console.print(f"MLflow run {run_id}")


_HEADERS = {
    "roc_auc": "ROC AUC",
    "roc_auc_skill_vs_oracle": "AUC skill",
    "log_loss_skill_vs_oracle": "LL skill",
    "calibration_intercept": "cal. int.",
    "calibration_slope": "cal. slope",
    "average_precision": "AP",
    "brier": "Brier",
    "ece": "ECE",
    "roc_auc_fraction_of_oracle": "AUC/oracle",
}


#: The columns of ``calfrisk compare``'s terminal table (``--format json`` has every metric).
_COMPARE_COLUMNS = (
    "run",
    "model",
    "data",
    "roc_auc",
    "roc_auc_skill_vs_oracle",
    "log_loss_skill_vs_oracle",
    "calibration_slope",
)


def print_comparison(frame: pd.DataFrame) -> None:
    """Print ``calfrisk compare``'s table (the data column shows the cohort folder's name).

    The headline columns fit a terminal; ``--format json`` gives every metric.
    """
    frame = frame[[c for c in _COMPARE_COLUMNS if c in frame.columns]]
    table = Table(title="Tracked runs")
    for column in frame.columns:
        table.add_column(
            _HEADERS.get(column, column), justify="left" if column in ("run", "model", "data") else "right"
        )
    for _, row in frame.iterrows():
        cells = []
        for column, value in row.items():
            if column == "data":
                cells.append(Path(str(value)).name)
            else:
                cells.append(str(value) if isinstance(value, str) else _fmt(float(value)))
        table.add_row(*cells)
    Console(file=sys.stdout).print(table)


def print_forecast(forecast: Forecast, skipped: dict[str, int]) -> None:
    """Terminal report: the days' risk, the drivers of the last day, notes and the disclaimer."""
    import pandas as pd
    from rich.markup import escape

    from calfrisk.predict.advice import DISCLAIMER

    # No automatic highlighting: it would colour numbers at random inside the advice.
    console = Console(highlight=False)
    days = forecast.days
    horizon = int(days["horizon_days"].iloc[0])
    table = Table(title=f"Risk of a calf strain within {horizon} days", title_justify="left")
    for column in ("date", "risk", "vs usual", "vs average", "band", "km 7 d", "A:C ratio"):
        table.add_column(column, justify="left" if column in ("date", "band") else "right")
    colour = {"low": "green", "elevated": "yellow", "high": "red"}
    for day in days.itertuples(index=False):
        table.add_row(
            pd.Timestamp(day.date).date().isoformat(),
            f"{day.risk * 100:.2f} %" if math.isfinite(day.risk) else "-",
            f"{day.vs_usual:.1f}x" if math.isfinite(day.vs_usual) else "-",
            f"{day.vs_average:.1f}x",
            f"[{colour[day.band]}]{day.band}[/]",
            f"{day.km_7d:.0f}",
            f"{day.acwr:.2f}",
        )
    console.print(table)
    last = days["date"].iloc[-1]
    drivers = forecast.drivers[forecast.drivers["date"] == last]
    when = pd.Timestamp(last).date().isoformat()
    if drivers.empty:
        console.print(f"Drivers on {when}: nothing raises the risk above an average training day.")
    else:
        console.print(f"[bold]What drives the risk on {when}[/] (odds against an average training day):")
        for d in drivers.itertuples(index=False):
            console.print(f"  {d.rank}. [bold]{d.factor}[/] x{d.odds_ratio:.2f}: {escape(d.advice)}")
    if skipped:
        listed = ", ".join(f"{n} {kind}" for kind, n in sorted(skipped.items()))
        console.print(f"[dim]Skipped (not running): {escape(listed)}[/]")
    for note in forecast.notes:
        console.print(f"[dim]Note: {escape(note)}[/]")
    console.print(f"[italic]{DISCLAIMER}[/]")


def print_study(result: object, run_id: str | None) -> None:
    """Print a study's answers: the runners each effect needs, the null factors' type I error, and
    what transports to each scenario's world."""
    summary = result.summary  # type: ignore[attr-defined]
    console = Console(file=sys.stdout)
    if summary.get("power"):
        table = Table(title="Power (longest follow-up)", title_justify="left")
        sizes = list(next(iter(summary["power"].values())))
        for column in ("effect", *sizes, "80 % from", "coverage"):
            table.add_column(column, justify="left" if column == "effect" else "right")
        for effect, power in summary["power"].items():
            need = summary["runners_for_80_percent_power"].get(effect)
            cover = summary["coverage"].get(effect)
            table.add_row(
                effect, *(f"{power[n]:.2f}" for n in sizes), "-" if need is None else f"{need:,}",
                "-" if cover is None else f"{cover:.2f}",
            )  # fmt: skip
        console.print(table)
        type1 = ", ".join(
            f"{f} {rate:.3f} ({low:.3f}-{high:.3f})"
            for f, rate in summary["type1"].items()
            for low, high in [summary["type1_interval"][f]]
        )
        console.print(f"Type I error (alpha {summary['alpha']}): {type1}", highlight=False)
    riley = summary.get("riley") or {}
    if "runners" in riley:
        console.print(
            f"Riley et al.'s minimum to develop a model (C {riley['cstatistic']:.3f}, outcome rate "
            f"{riley['prevalence']:.4f}, {riley['parameters']} parameters): {riley['n']:,} runner-days, "
            f"about {riley['runners']:,} runners",
            highlight=False,
        )
    if summary.get("transport"):
        table = Table(title="Transport: models trained on the base world", title_justify="left")
        for column in ("scenario", "model", "ROC AUC", "skill vs oracle", "slope", "verdict"):
            table.add_column(
                column, justify="right" if column in ("ROC AUC", "skill vs oracle", "slope") else "left"
            )
        for scenario, models in summary["transport"].items():
            for model, f in models.items():
                table.add_row(
                    scenario, model, f"{f['roc_auc']:.3f}",
                    f"{f['roc_auc_skill_vs_oracle']:.2f} ({f['roc_auc_skill_vs_oracle_low']:.2f}-"
                    f"{f['roc_auc_skill_vs_oracle_high']:.2f})",
                    f"{f['calibration_slope']:.2f}", f.get("verdict", ""),
                )  # fmt: skip
        console.print(table)
    where = f"Results in {result.out_dir}"  # type: ignore[attr-defined]
    console.print(where + (f"; MLflow run {run_id}" if run_id else ""), highlight=False)
