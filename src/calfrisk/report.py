"""Terminal output: progress bars and summary tables (rich), kept out of the library layers."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from calfrisk.config import CohortConfig
from calfrisk.simulate import CohortSummary

__all__ = ["cohort_summary_table", "print_cohort_summary", "progress_bar"]


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


def print_cohort_summary(summary: CohortSummary, cfg: CohortConfig, out_dir: Path) -> None:
    """Print the cohort summary and where its tables are."""
    console = Console(file=sys.stdout)
    console.print(cohort_summary_table(summary, cfg))
    console.print(f"Tables written to {out_dir}: athletes, training_log, injuries, truth (Parquet).")
