"""Train and evaluate every configured model on a simulated cohort, against the oracle.

The flow: tables ─► daily panel ─► past-only features (once) ─► labels ─► athlete-disjoint split
(held-out test athletes; athlete-grouped folds inside training) ─► each model fitted on the training
athletes ─► scored on the test athletes, beside the Monte Carlo oracle on the same athlete-days.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.pipeline import Pipeline
from sklearn.utils._param_validation import InvalidParameterError

from calfrisk.config import CohortConfig, TrainConfig, load_cohort_config
from calfrisk.evaluate import (
    athlete_bootstrap,
    athlete_folds,
    expected_calibration_error,
    held_out_athletes,
    reliability_table,
    score,
)
from calfrisk.features import DailyWindow, LoadFeatures, athlete_zscores
from calfrisk.labels import strain_labels
from calfrisk.model import build_model
from calfrisk.panel import PROFILE_COLUMNS, daily_panel
from calfrisk.schema import TABLES, InputError

__all__ = [
    "TrainResult",
    "cohort_features",
    "learning_curve",
    "load_cohort",
    "model_metadata",
    "train_models",
]

#: Latent columns of the athletes table that replace the test scores in ``<model>_latent``.
LATENT_SWAP = {"glute_test_score": "latent_glute_strength", "calf_test_score": "latent_calf_strength"}
_REQUIRED = {
    "athletes": ["athlete_id", *PROFILE_COLUMNS],
    "training_log": [
        "athlete_id",
        "date",
        "distance_km",
        "duration_min",
        "elevation_gain_m",
        "session_type",
        "shoe_id",
    ],
    "injuries": ["athlete_id", "date"],
    "truth": ["athlete_id", "date", "in_layoff"],
    "shoes": ["athlete_id", "shoe_id", "km"],
}


def load_cohort(data_dir: str | Path) -> tuple[dict[str, pd.DataFrame], CohortConfig | None]:
    """Read a simulated cohort's tables (and its config, when present), checking what training needs.

    Raises
    ------
    InputError
        If the folder, a table, a column or any rows are missing.
    """
    root = Path(data_dir)
    if not root.is_dir():
        raise InputError(f"--data {root}: no such folder")
    tables = {}
    for name in TABLES:
        path = root / f"{name}.parquet"
        if not path.exists():
            raise InputError(f"--data {root}: no {name}.parquet (expected the output of calfrisk simulate)")
        try:
            tables[name] = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises several types for unreadable files
            raise InputError(f"{path}: not a readable Parquet table ({type(exc).__name__})") from None
        missing = [c for c in _REQUIRED[name] if c not in tables[name].columns]
        if missing:
            raise InputError(f"{path}: missing column(s) {', '.join(missing)}")
        if name not in ("injuries", "shoes") and tables[name].empty:
            raise InputError(f"{path}: no rows")
    config = root / "config.yaml"
    return tables, (load_cohort_config(config) if config.exists() else None)


@dataclass
class TrainResult:
    """What a training run produced: fitted models, test predictions, metrics."""

    metrics: dict[str, object]
    predictions: pd.DataFrame  # test athlete-days: athlete_id, date, label, one column per model, oracle
    bootstrap: pd.DataFrame
    reliability: dict[str, pd.DataFrame]
    pipelines: dict[str, Pipeline]
    timings: dict[str, float] = field(default_factory=dict)
    reference: dict[str, object] = field(default_factory=dict)  # the training days, for predict
    test_features: pd.DataFrame | None = None  # features of the test athlete-days, rows as predictions


def cohort_features(tables: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame, LoadFeatures]:
    """A cohort's daily panel, its feature table (same rows) and the fitted feature transformer."""
    panel = daily_panel(
        tables["training_log"],
        tables["athletes"],
        tables["injuries"],
        days=tables["truth"],
        shoe_start_km=tables["shoes"],
    )
    transformer = LoadFeatures().fit(panel)
    features = pd.DataFrame(
        transformer.transform(panel), index=panel.index, columns=transformer.get_feature_names_out()
    )
    return panel, features, transformer


def train_models(
    tables: dict[str, pd.DataFrame],
    cfg: TrainConfig,
    *,
    cohort: CohortConfig | None = None,
    models: list[str] | None = None,
    progress: Callable[[str], None] | None = None,
    train_fraction: float = 1.0,
) -> TrainResult:
    """Fit every configured model on the training athletes and score it on the held-out ones.

    Parameters
    ----------
    tables : dict of DataFrame
        The cohort's tables (:func:`load_cohort`).
    cfg : TrainConfig
        Models, splits, oracle and evaluation settings.
    cohort : CohortConfig, optional
        The cohort's simulator config; without it the oracle is skipped.
    models : list of str, optional
        Train only these of the configured models.
    progress : callable, optional
        Called with the name of each step as it starts.
    train_fraction : float, default=1.0
        Share of the training athletes to fit on (a nested, seeded subset: a smaller fraction's
        athletes are among a larger one's). The test athletes stay the same, which makes a
        learning curve (:func:`learning_curve`).

    Returns
    -------
    TrainResult
    """
    say = progress or (lambda step: None)
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    names = list(cfg.models) if models is None else models
    for name in names:
        if name not in cfg.models:
            raise InputError(f"--models: unknown model {name!r} (configured: {', '.join(cfg.models)})")
    say("features")
    panel, X, transformer = cohort_features(tables)
    labels = strain_labels(
        tables["truth"],
        tables["injuries"],
        horizon=cfg.data.horizon_days,
        min_history_days=cfg.data.min_history_days,
    )
    keep = labels["eligible"].to_numpy()
    # The Lovdal protocol: the raw daily metrics of the last 7 days ("day approach"), each
    # standardised per athlete over all of the athlete's days so far (eligible or not), past-only.
    zscored = None
    if "lovdal" in names:
        window = DailyWindow().set_output(transform="pandas").fit_transform(panel)
        zscored = athlete_zscores(window, panel["athlete_id"].to_numpy(), panel["date"].to_numpy())
        zscored = zscored[keep].reset_index(drop=True)
    X, y = X[keep].reset_index(drop=True), labels["label"].to_numpy()[keep]
    athlete = panel["athlete_id"].to_numpy()[keep]
    dates = panel["date"].to_numpy()[keep]
    if not keep.any():
        span = int(panel.groupby("athlete_id")["date"].nunique().max()) if len(panel) else 0
        raise InputError(
            f"training data: no eligible day: a day needs {cfg.data.min_history_days} days before it "
            f"(data.min_history_days) and {cfg.data.horizon_days} after it (data.horizon_days), and "
            f"the longest athlete record is {span} days"
        )
    if y.sum() == 0:
        raise InputError("training data: no strain onset among the eligible days; nothing to learn")
    train, test = held_out_athletes(athlete, cfg.data.test_fraction, cfg.data.seed)
    if not 0.0 < train_fraction <= 1.0:
        raise InputError(f"train_fraction: {train_fraction} is not in (0, 1]")
    if train_fraction < 1.0:
        pool = np.unique(athlete[train])
        order = np.random.default_rng(cfg.data.seed).permutation(pool)
        kept = order[: max(cfg.data.n_folds, round(train_fraction * len(pool)))]
        train = train[np.isin(athlete[train], kept)]
    folds = athlete_folds(athlete[train], cfg.data.n_folds)
    timings["features_s"] = time.perf_counter() - clock

    latent = X.copy()
    profile = tables["athletes"].set_index("athlete_id")
    for observed, hidden in LATENT_SWAP.items():
        if hidden in profile.columns:
            latent[observed] = profile.loc[athlete, hidden].to_numpy()
    runs = [(name, name, zscored if name == "lovdal" else X) for name in names]
    if all(hidden in profile.columns for hidden in LATENT_SWAP.values()):
        runs += [(f"{name}_latent", name, latent) for name in cfg.latent if name in names]
    predictions = pd.DataFrame({"athlete_id": athlete[test], "date": dates[test], "label": y[test]})
    pipelines: dict[str, Pipeline] = {}
    for label, name, data in runs:
        say(f"fit {label}")
        spec = cfg.models[name]
        start = time.perf_counter()
        estimator = build_model(name, spec.calibration, dict(spec.params), folds)
        try:
            estimator.fit(data.iloc[train], y[train])
        except (InvalidParameterError, ValueError) as exc:
            raise InputError(f"models.{name}.params: {exc}") from None
        predictions[label] = estimator.predict_proba(data.iloc[test])[:, 1]
        timings[f"fit_{label}_s"] = time.perf_counter() - start
        if data is X:
            features = clone(transformer).fit(panel.head(1)).set_output(transform="pandas")
            pipelines[label] = Pipeline([("features", features), ("classifier", estimator)])

    if cohort is not None:
        say("oracle")
        from calfrisk.oracle import oracle_risk

        start = time.perf_counter()
        test_ids = np.unique(athlete[test])
        oracle = oracle_risk(
            cohort,
            test_ids,
            horizon=cfg.data.horizon_days,
            n_rollouts=cfg.oracle.n_rollouts,
            random_state=cfg.data.seed,
        )
        oracle = oracle.set_index(["athlete_id", "date"])["risk"]
        keys = pd.MultiIndex.from_arrays([predictions["athlete_id"], pd.to_datetime(predictions["date"])])
        predictions["oracle"] = oracle.reindex(keys).to_numpy()
        timings["oracle_s"] = time.perf_counter() - start

    say("evaluate")
    model_columns = [label for label, _, _ in runs]
    scored = {c: predictions[c].to_numpy() for c in [*model_columns, "oracle"] if c in predictions}
    yt = predictions["label"].to_numpy()
    boot = athlete_bootstrap(
        yt,
        scored,
        predictions["athlete_id"].to_numpy(),
        n_boot=cfg.evaluation.n_boot,
        random_state=cfg.data.seed,
        relative_to="oracle" if "oracle" in scored else None,
        n_bins=cfg.evaluation.ece_bins,
    )
    metrics: dict[str, object] = {"models": {}}
    for column, p in scored.items():
        entry = score(yt, p)
        entry["ece"] = expected_calibration_error(yt, p, cfg.evaluation.ece_bins)
        ci = boot[boot["model"] == column].set_index("metric")
        entry["ci"] = {m: [float(ci.loc[m, "low"]), float(ci.loc[m, "high"])] for m in ci.index}
        if "oracle" in scored and column != "oracle":
            entry["roc_auc_fraction_of_oracle"] = float(ci.loc["roc_auc_fraction", "estimate"])
        if column == "oracle":
            metrics["oracle"] = entry
        else:
            metrics["models"][column] = entry
    if "gbm" in scored:
        # predict's bands (low, elevated, high against the average day) checked against outcomes.
        from calfrisk.predict import band_outcomes

        enrichment = cohort.injury.enrichment if cohort is not None else 1.0
        bands = band_outcomes(yt, scored["gbm"], float(y[train].mean()), enrichment)
        records = bands.astype(object).where(bands.notna(), None).to_dict(orient="records")  # JSON: null
        metrics["bands"] = {"gbm": records}
    metrics.update(
        n_test_athletes=len(np.unique(athlete[test])),
        n_train_athletes=len(np.unique(athlete[train])),
        n_train_rows=len(train),
        n_test_rows=len(test),
        positive_rate=float(y.mean()),
        horizon_days=cfg.data.horizon_days,
    )
    reference = {
        # What predict substitutes for a value a runner did not give, and its yardstick of risk.
        "feature_medians": {c: float(v) for c, v in X.iloc[train].median().items()},
        "positive_rate": float(y[train].mean()),
        "min_history_days": cfg.data.min_history_days,
        "horizon_days": cfg.data.horizon_days,
    }
    timings["total_s"] = time.perf_counter() - clock
    reliability = {c: reliability_table(yt, p, cfg.evaluation.ece_bins) for c, p in scored.items()}
    test_features = X.iloc[test].reset_index(drop=True)
    return TrainResult(metrics, predictions, boot, reliability, pipelines, timings, reference, test_features)


def model_metadata(
    result: TrainResult, cohort: CohortConfig | None, data_dir: str | Path, model: str = "gbm"
) -> dict[str, object]:
    """What a model directory records beside the model: all that ``calfrisk predict`` needs.

    The training days' reference values (:attr:`TrainResult.reference`), the model's metrics, and
    the cohort's enrichment factor (its strain rate was multiplied by it; predict divides it out).
    """
    return {
        **result.reference,
        "model": model,
        "metrics": result.metrics["models"].get(model, {}),
        "enrichment": cohort.injury.enrichment if cohort is not None else 1.0,
        "data": str(data_dir),
    }


def learning_curve(
    tables: dict[str, pd.DataFrame],
    cfg: TrainConfig,
    *,
    fractions: tuple[float, ...] = (0.25, 0.5, 1.0),
    models: list[str] | None = None,
    oracle_auc: float | None = None,
    on_result: Callable[[float, TrainResult], None] | None = None,
) -> pd.DataFrame:
    """Each model's test ROC AUC when trained on growing, nested shares of the training athletes.

    Parameters
    ----------
    tables : dict of DataFrame
        The cohort's tables.
    cfg : TrainConfig
        As for :func:`train_models`; the test athletes are the same at every size.
    fractions : tuple of float
        Shares of the training athletes.
    models : list of str, optional
        Models to fit (default: all configured, without the latent variants).
    oracle_auc : float, optional
        The oracle's ROC AUC on the same test athletes (from a full run), to express each AUC
        as a fraction of it.
    on_result : callable, optional
        Called with each fraction and its :class:`TrainResult`, e.g. to track it as an MLflow run.

    Returns
    -------
    DataFrame
        ``fraction``, ``n_train_athletes``, ``n_train_rows``, ``model``, ``roc_auc``, ``ci_low``,
        ``ci_high``, and ``fraction_of_oracle`` when ``oracle_auc`` is given.
    """
    cfg = cfg.model_copy(update={"latent": []})
    rows = []
    for fraction in fractions:
        result = train_models(tables, cfg, models=models, train_fraction=fraction)
        if on_result is not None:
            on_result(fraction, result)
        for model, entry in result.metrics["models"].items():
            low, high = entry["ci"]["roc_auc"]
            row = {
                "fraction": fraction,
                "n_train_athletes": result.metrics["n_train_athletes"],
                "n_train_rows": result.metrics["n_train_rows"],
                "model": model,
                "roc_auc": entry["roc_auc"],
                "ci_low": low,
                "ci_high": high,
            }
            if oracle_auc is not None:
                row["fraction_of_oracle"] = entry["roc_auc"] / oracle_auc
            rows.append(row)
    return pd.DataFrame(rows)
