"""A forecast as records: JSON, a flat CSV table, or the rows the served model answers with.

The command line writes JSON and CSV to stdout, machine-readable, and notes and the disclaimer to
stderr; its terminal report is :func:`calfrisk.cli.terminal.print_forecast`.
"""

from __future__ import annotations

import json
import math

import pandas as pd

from calfrisk.predict.scoring import TOP_DRIVERS, Forecast

__all__ = ["forecast_csv", "forecast_json", "forecast_records"]


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
