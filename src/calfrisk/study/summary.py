"""A study's parts gathered: ``results.parquet``, ``summary.json`` and the plots.

The summary's keys: ``power`` (effect -> runners -> the share of replicates that detected it, at the
longest follow-up), ``power_by_days``, ``runners_for_80_percent_power``, ``type1`` (each covariate
without an effect -> the share of replicates that called it significant; ``type1_interval`` its
exact binomial 95 % interval), ``coverage`` and ``bias`` of the rate model's estimates (the largest
cohort, longest follow-up), ``model_auc`` and ``riley`` (:mod:`calfrisk.study.development`), and
``transport`` (scenario -> model -> figures on that world, pooled over replicates, with
``skill_change_vs_reference``: the chance-corrected ROC AUC's change from the reference scenario, the
first without overrides, and a ``verdict``).
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from calfrisk.io import atomic_write_bytes, atomic_write_text
from calfrisk.study.transport import TRANSPORT_METRICS, transport_figures

__all__ = ["gather", "summarise", "write_outputs"]

_SORT = ["analysis", "scenario", "replicate", "model", "effect", "n_runners", "n_days"]
_Z = 1.959963984540054


def _read_parts(parts: Path, days: bool) -> dict[str, pd.DataFrame]:
    pattern = "*.days.parquet" if days else "*.parquet"
    found = sorted(p for p in parts.glob(pattern) if days or not p.name.endswith(".days.parquet"))
    return {p.name.split(".")[0]: pd.read_parquet(p) for p in found}


def gather(plan, out: Path, base) -> tuple[pd.DataFrame, dict]:
    """Every part of the plan's tasks in one sorted frame, and the summary."""
    parts = _read_parts(out / "parts", days=False)
    frames = [parts[key] for key in plan.tasks if key in parts]
    results = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=_SORT)
    for column in _SORT:
        if column not in results.columns:
            results[column] = pd.NA
    for column in ("replicate", "n_runners", "n_days"):  # NaN where an analysis has none
        results[column] = results[column].astype("Int64")
    results = results.sort_values(_SORT, kind="stable", na_position="first").reset_index(drop=True)
    results = results[_SORT + sorted(c for c in results.columns if c not in _SORT)]
    days = _read_parts(out / "parts", days=True)
    return results, summarise(results, plan, days, base)


def _power(rows: pd.DataFrame, alpha: float) -> dict[str, object]:
    if rows.empty:
        return {}
    longest = rows["n_days"].max()
    largest = rows[(rows["n_runners"] == rows["n_runners"].max()) & (rows["n_days"] == longest)]
    detected = rows.assign(detected=rows["detected"].fillna(False).astype(bool))
    share = detected.groupby(["n_days", "effect", "n_runners"], sort=True)["detected"].mean()
    effects = [
        e for e in dict.fromkeys(rows["effect"]) if (rows.loc[rows["effect"] == e, "true_log_hr"] != 0).any()
    ]
    nulls = [e for e in dict.fromkeys(rows["effect"]) if e not in effects]
    by_days = {
        str(d): {
            e: {str(n): float(share[d, e, n]) for n in sorted(rows["n_runners"].unique())} for e in effects
        }
        for d in sorted(rows["n_days"].unique())
    }
    power = by_days[str(longest)]
    at_80 = {e: next((int(n) for n, p in power[e].items() if p >= 0.8), None) for e in effects}
    type1, interval = {}, {}
    for e in nulls:
        calls = (largest.loc[largest["effect"] == e, "p_value"] < alpha).to_numpy()
        type1[e] = float(calls.mean())
        interval[e] = _binomial_interval(int(calls.sum()), len(calls))
    estimable = largest.dropna(subset=["estimate"])
    coverage = estimable.groupby("effect", sort=False)["covered"].mean().astype(float)
    bias = (estimable["estimate"] - estimable["true_log_hr"]).groupby(estimable["effect"], sort=False).mean()
    strains = rows.groupby(["n_runners", "n_days"])["strains"].mean()
    return {
        "power": power,
        "power_by_days": by_days,
        "runners_for_80_percent_power": at_80,
        "type1": type1,
        "type1_interval": interval,
        "coverage": {e: float(v) for e, v in coverage.items()},
        "bias": {e: float(v) for e, v in bias.items()},
        "strains": {f"{n}x{d}": float(v) for (n, d), v in strains.items()},
        "alpha": alpha,
        "replicates": int(rows["replicate"].nunique()),
    }


def _binomial_interval(k: int, n: int) -> list[float]:
    from scipy.stats import binomtest

    ci = binomtest(k, n).proportion_ci(0.95, method="exact")
    return [float(ci.low), float(ci.high)]


def _model_auc(rows: pd.DataFrame, parameters: int | None) -> dict[str, object]:
    if rows.empty:
        return {}
    from calfrisk.study.development import riley_comparison

    by_size = {}
    for n, group in rows.groupby("n_runners", sort=True):
        by_size[str(int(n))] = {
            "roc_auc_mean": float(group["roc_auc"].mean()),
            "roc_auc_sd": float(group["roc_auc"].std(ddof=1)) if len(group) > 1 else float("nan"),
            "roc_auc_min": float(group["roc_auc"].min()),
            "roc_auc_max": float(group["roc_auc"].max()),
            "oracle_roc_auc_mean": float(group["oracle_roc_auc"].mean()),
            "roc_auc_skill_vs_oracle_mean": float(group["roc_auc_skill_vs_oracle"].mean()),
            "strains_mean": float(group["strains"].mean()),
            "replicates": len(group),
        }
    return {"model_auc": by_size, "riley": riley_comparison(rows, parameters)}


def _pooled(plan, scenario: str, days: dict[str, pd.DataFrame], base) -> dict[str, dict[str, float]]:
    """A scenario's figures over all its replicates' days at once (athletes kept apart by replicate)."""
    from calfrisk.learn.train import evaluate_predictions

    frames = []
    for r in range(plan.design.sweep.replicates):
        frame = days[f"transport-{scenario}-r{r:04d}"].copy()
        frame["athlete_id"] = frame["athlete_id"].astype(np.int64) + r * 1_000_000_000
        frames.append(frame)
    names = list(base.models)
    rate = float(next(iter(base.models.values()))[1]["positive_rate"])
    world = plan.worlds[scenario].config
    metrics, _, _ = evaluate_predictions(
        pd.concat(frames, ignore_index=True),
        names,
        plan.train,
        train_rate=rate,
        enrichment=world.injury.enrichment,
    )
    oracle = metrics["oracle"]["roc_auc"]
    return {name: {"oracle_roc_auc": oracle, **transport_figures(metrics, name)} for name in names}


def _transport(plan, results: pd.DataFrame, days: dict[str, pd.DataFrame], base) -> dict[str, object]:
    if plan.design.sweep is None:
        return {}
    rows = results[results["analysis"] == "transport"]
    figures: dict[str, dict[str, dict[str, float]]] = {}
    for scenario in plan.worlds:
        mine = rows[rows["scenario"] == scenario]
        if plan.design.sweep.replicates > 1:
            figures[scenario] = _pooled(plan, scenario, days, base)
        else:
            keep = ["oracle_roc_auc", *(f"{m}{s}" for m in TRANSPORT_METRICS for s in ("", "_low", "_high"))]
            figures[scenario] = {r["model"]: {k: float(r[k]) for k in keep} for _, r in mine.iterrows()}
    reference = next((n for n, w in plan.worlds.items() if not w.overrides), None)
    ranks = _importance(results)
    for scenario, models in figures.items():
        for name, f in models.items():
            f["importance_top3"] = ranks.get((scenario, name), pd.Series(dtype=float)).index[:3].tolist()
            if reference is None:
                continue
            f.update(_change(f, figures[reference][name]))
            f["importance_rank_correlation"] = _rank_correlation(ranks, (scenario, name), (reference, name))
            f["verdict"] = _verdict(f, figures[reference][name])
    return {"transport": figures, "reference_scenario": reference}


def _half_width(f: dict, metric: str) -> float:
    return (f[f"{metric}_high"] - f[f"{metric}_low"]) / 2


def _change(f: dict, ref: dict) -> dict[str, float]:
    """The skill's change from the reference, with an interval from the two intervals as if
    independent: conservative, for common random numbers make the two worlds' errors alike."""
    metric = "roc_auc_skill_vs_oracle"
    change = f[metric] - ref[metric]
    half = math.hypot(_half_width(f, metric), _half_width(ref, metric))
    return {
        "skill_change_vs_reference": change,
        "skill_change_low": change - half,
        "skill_change_high": change + half,
    }


def _moved(f: dict, ref: dict, metric: str) -> bool:
    """Whether ``metric`` moved from the reference's beyond the two intervals combined."""
    return abs(f[metric] - ref[metric]) > math.hypot(_half_width(f, metric), _half_width(ref, metric))


def _verdict(f: dict, ref: dict) -> str:
    """``transports``, or what broke against the reference world: the model's own flaws there (a
    slope off 1 already) are not the scenario's doing."""
    broken = []
    if f["skill_change_high"] < 0:
        broken.append("ranks worse")
    if _moved(f, ref, "calibration_slope"):
        broken.append("calibration slope moved")
    if _moved(f, ref, "calibration_intercept"):
        broken.append("risk level moved")
    return "transports" if not broken else "breaks: " + ", ".join(broken)


def _importance(results: pd.DataFrame) -> dict[tuple[str, str], pd.Series]:
    rows = results[results["analysis"] == "importance"]
    mean = rows.groupby(["scenario", "model", "effect"])["importance"].mean()
    return {
        (s, m): group.droplevel([0, 1]).sort_values(ascending=False, kind="stable")
        for (s, m), group in mean.groupby(level=[0, 1])
    }


def _rank_correlation(ranks: dict, a: tuple[str, str], b: tuple[str, str]) -> float:
    if a not in ranks or b not in ranks:
        return float("nan")
    joined = pd.concat([ranks[a], ranks[b]], axis=1, join="inner")
    return float(joined.rank().corr(method="pearson").iloc[0, 1])


def summarise(results: pd.DataFrame, plan, days: dict[str, pd.DataFrame], base) -> dict[str, object]:
    """The summary (see the module docstring) of a study's results."""
    summary: dict[str, object] = {"study": plan.design.name, "seed": plan.design.seed}
    if plan.design.power is not None:
        power = plan.design.power
        summary.update(_power(results[results["analysis"] == "power"], power.alpha))
        summary.update(_model_auc(results[results["analysis"] == "model_auc"], power.model_auc.parameters))
    summary.update(_transport(plan, results, days, base))
    return summary


def _clean(value: object) -> object:
    """JSON-ready: NaN becomes null, numpy numbers plain numbers."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_outputs(out: Path, results: pd.DataFrame, summary: dict) -> None:
    """``results.parquet``, ``summary.json``, ``power.png`` and ``transport.png``, each atomically."""
    from calfrisk.study.figures import power_figure, transport_figure

    buffer = io.BytesIO()
    results.to_parquet(buffer, index=False)
    atomic_write_bytes(out / "results.parquet", buffer.getvalue())
    atomic_write_text(out / "summary.json", json.dumps(_clean(summary), indent=2) + "\n")
    for name, make in (("power.png", power_figure), ("transport.png", transport_figure)):
        figure = make(summary)
        if figure is None:
            continue
        image = io.BytesIO()
        # No timestamp in the file: the same study gives the same bytes.
        figure.savefig(image, format="png", dpi=110, metadata={"Software": None})
        atomic_write_bytes(out / name, image.getvalue())
