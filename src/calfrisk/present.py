"""A forecast as the user sees it: JSON records, a flat CSV table, or a terminal report.

JSON and CSV go to stdout and stay machine-readable; notes and the disclaimer then go to stderr.
The terminal report (rich) shows everything on stdout. rich is imported only for it.
"""

from __future__ import annotations

import json
import math

import pandas as pd

from calfrisk.advice import DISCLAIMER
from calfrisk.predict import TOP_DRIVERS, Forecast

__all__ = ["forecast_csv", "forecast_json", "forecast_records", "print_forecast"]


def _number(value: float, digits: int = 6) -> float | None:
    return None if value is None or not math.isfinite(value) else round(float(value), digits)


def forecast_records(forecast: Forecast) -> list[dict]:
    """One JSON-ready object per day: ``athlete_id``, ``date``, ``risk``, ``band``, ``drivers``, ...

    Each driver has ``factor``, ``contribution`` (log-odds, relative to the average training day),
    ``odds_ratio`` (``exp(contribution)``) and ``advice``.
    """
    by_day = {date: group for date, group in forecast.drivers.groupby("date", sort=False)}
    records = []
    for day in forecast.days.itertuples(index=False):
        drivers = by_day.get(day.date, pd.DataFrame(columns=forecast.drivers.columns))
        records.append(
            {
                "athlete_id": day.athlete_id,
                "date": pd.Timestamp(day.date).date().isoformat(),
                "risk": _number(day.risk, 8),
                "horizon_days": int(day.horizon_days),
                "vs_usual": _number(day.vs_usual, 3),
                "vs_average": _number(day.vs_average, 3),
                "band": day.band,
                "km_7d": _number(day.km_7d, 2),
                "acwr": _number(day.acwr, 3),
                "drivers": [
                    {
                        "factor": d.factor,
                        "contribution": _number(d.contribution, 4),
                        "odds_ratio": _number(d.odds_ratio, 3),
                        "advice": d.advice,
                    }
                    for d in drivers.itertuples(index=False)
                ],
            }
        )
    return records


def forecast_json(forecast: Forecast) -> str:
    """The records of :func:`forecast_records` as indented JSON."""
    return json.dumps(forecast_records(forecast), indent=2, ensure_ascii=False) + "\n"


def forecast_csv(forecast: Forecast) -> str:
    """A flat table: one row per day; driver k in ``driver_<k>_factor``, ``_contribution``, ``_advice``."""
    rows = []
    for record in forecast_records(forecast):
        row = {k: v for k, v in record.items() if k != "drivers"}
        for k in range(TOP_DRIVERS):
            driver = record["drivers"][k] if k < len(record["drivers"]) else {}
            row[f"driver_{k + 1}_factor"] = driver.get("factor", "")
            row[f"driver_{k + 1}_contribution"] = driver.get("contribution")
            row[f"driver_{k + 1}_advice"] = driver.get("advice", "")
        rows.append(row)
    return pd.DataFrame(rows).to_csv(index=False, lineterminator="\n")


def print_forecast(forecast: Forecast, skipped: dict[str, int]) -> None:
    """Terminal report: the days' risk, the drivers of the last day, notes and the disclaimer."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

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
            f"{day.risk * 100:.2f} %",
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
