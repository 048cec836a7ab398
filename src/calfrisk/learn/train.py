"""Train and evaluate every configured model on a simulated cohort, against the oracle.

The flow, part by part of the cohort (:mod:`calfrisk.learn.stream`): daily panel ─► past-only
features ─► labels ─► athlete-disjoint split (a hash of the athlete) ─► case-control samples of
each side, weighted; then each model fitted on the training sample (athlete-grouped folds inside
it) ─► scored on the test sample with weighted metrics, beside the Monte Carlo oracle on the same
athlete-days.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.pipeline import Pipeline

from calfrisk.config import CohortConfig, TrainConfig
from calfrisk.engine import Engine
from calfrisk.exceptions import InputError, OracleCeilingError
from calfrisk.learn.bands import band_outcomes
from calfrisk.learn.estimators import build_model, check_model
from calfrisk.learn.evaluate import (
    athlete_bootstrap,
    athlete_folds,
    expected_calibration_error,
    reliability_table,
    score,
)
from calfrisk.learn.features import FEATURE_GROUPS, LoadFeatures
from calfrisk.learn.sampling import SPLIT_STREAM, stable_uniform
from calfrisk.learn.sklearn_compat import InvalidParameterError
from calfrisk.learn.stream import (
    LATENT_PREFIX,
    LATENT_SWAP,
    ZSCORE_PREFIX,
    SampledDays,
    cohort_features,
    sample_days,
)
from calfrisk.tables import CohortDataset

__all__ = [
    "ModelRun",
    "TrainResult",
    "TrainingData",
    "cohort_features",
    "evaluate_predictions",
    "fit_models",
    "learning_curve",
    "model_metadata",
    "model_runs",
    "oracle_column",
    "prepare_training_data",
    "train_models",
]

#: A cohort to train on: a checked cohort folder, read part by part, or its tables in memory.
CohortSource = CohortDataset | dict[str, pd.DataFrame]


@dataclass
class TrainResult:
    """What a training run produced: fitted models, test predictions, metrics.

    Attributes
    ----------
    metrics : dict
        Per model (and the oracle) the test metrics with athlete-bootstrap intervals, the bands
        checked against outcomes, and the run's sizes (:func:`evaluate_predictions`).
    predictions : DataFrame
        The test athlete-days: ``athlete_id``, ``date``, ``label``, one column per model, ``oracle``.
    bootstrap : DataFrame
        Every metric's bootstrap estimate and interval, per model.
    reliability : dict of DataFrame
        Each model's reliability table (predicted against observed rate per bin).
    pipelines : dict of Pipeline
        The fitted pipelines (features, then classifier) of the models that read the features.
    timings : dict of float
        Seconds per step.
    reference : dict
        The training days' yardsticks ``predict`` needs (feature medians, positive rate).
    test_features : DataFrame, optional
        Features of the test athlete-days, rows as ``predictions``.
    """

    metrics: dict[str, object]
    predictions: pd.DataFrame
    bootstrap: pd.DataFrame
    reliability: dict[str, pd.DataFrame]
    pipelines: dict[str, Pipeline]
    timings: dict[str, float] = field(default_factory=dict)
    reference: dict[str, object] = field(default_factory=dict)
    test_features: pd.DataFrame | None = None


@dataclass
class TrainingData:
    """The sampled eligible athlete-days of a cohort, their features and labels, split by athlete.

    Built by :func:`prepare_training_data`: the training rows first, then the test rows, each
    sorted by athlete and date; ``weight`` is each row's inverse inclusion probability.
    """

    sample: SampledDays
    transformer: LoadFeatures  # fitted
    example: pd.DataFrame  # a few daily-panel rows, to fit a pipeline's feature step on
    X: pd.DataFrame  # features
    y: np.ndarray  # 1 when a strain begins within the horizon
    weight: np.ndarray
    athlete: np.ndarray
    dates: np.ndarray
    train: np.ndarray  # row positions of the training athletes' days
    test: np.ndarray  # row positions of the held-out athletes' days
    folds: list  # athlete-grouped (train, calibration) folds within ``train``
    zscored: pd.DataFrame | None = None  # the Lovdal protocol's inputs, when asked for
    latent: pd.DataFrame | None = None  # the latent values behind the test scores, where known


@dataclass(frozen=True)
class ModelRun:
    """One model to fit: its result column, its config entry, and the table it reads."""

    label: str
    name: str
    data: pd.DataFrame
    reads_features: bool  # the feature table (so it ships as a features -> classifier pipeline)


def _nested_athletes(athlete: np.ndarray, fraction: float, seed: int, at_least: int) -> np.ndarray:
    """Rows of a nested share of the athletes: a smaller share's athletes are among a larger one's."""
    pool = np.unique(athlete)
    order = pool[np.argsort(stable_uniform(pool, None, seed, SPLIT_STREAM + 10), kind="stable")]
    return np.isin(athlete, order[: max(at_least, round(fraction * len(pool)))])


def prepare_training_data(
    source: CohortSource,
    cfg: TrainConfig,
    *,
    lovdal: bool = False,
    latent: bool = False,
    train_fraction: float = 1.0,
    n_jobs: int | None = None,
    engine: Engine | None = None,
    holdout: frozenset[str] | None = None,
    every_athlete: bool = False,
) -> TrainingData:
    """Features and labels of the sampled eligible days, held-out athletes apart, folds over the rest.

    Parameters
    ----------
    source : CohortDataset or dict of DataFrame
        A cohort folder (:func:`calfrisk.tables.open_cohort`, read part by part) or its tables.
    cfg : TrainConfig
        Labels (horizon, history), splits (test share, folds, seed) and sampling.
    lovdal : bool, default=False
        Also build the Lovdal protocol's inputs: the raw daily metrics of the last 7 days, each
        standardised per athlete over all of the athlete's days so far (eligible or not), past-only.
    latent : bool, default=False
        Also carry the simulator's latent strengths behind the test scores, where known.
    train_fraction : float, default=1.0
        Share of the training athletes to keep (a nested, seeded subset); the test athletes stay.
    n_jobs : int, optional
        Parts computed at once, on threads, without an ``engine``.
    engine : Engine, optional
        Where the parts are computed (:func:`calfrisk.engine.open_engine`).
    holdout : frozenset of str, optional
        The test athletes by id, instead of the hash split.
    every_athlete : bool, default=False
        Every athlete's days as training rows, sampled at ``sampling.test``'s rates, and no test
        rows: the rows a cross-validation splits (:func:`crossval_predictions`).

    Raises
    ------
    InputError
        If ``train_fraction`` is outside (0, 1], no day is eligible, or no eligible day has a strain.
    """
    if not 0.0 < train_fraction <= 1.0:
        raise InputError(f"train_fraction: {train_fraction} is not in (0, 1]")
    sample = sample_days(
        source, cfg, lovdal=lovdal, latent=latent, n_jobs=n_jobs, engine=engine, holdout=holdout,
        external=every_athlete,
    )  # fmt: skip
    if every_athlete:
        if not sample.test["label"].any():
            raise InputError("training data: no strain onset among the eligible days; nothing to learn")
        sample = replace(sample, train=sample.test, test=sample.test.iloc[:0])
    train_rows = sample.train
    if train_fraction < 1.0:
        athletes = train_rows["athlete_id"].to_numpy()
        train_rows = train_rows[_nested_athletes(athletes, train_fraction, cfg.data.seed, cfg.data.n_folds)]
    rows = pd.concat([train_rows, sample.test], ignore_index=True)
    n_train = len(train_rows)
    athlete = rows["athlete_id"].to_numpy()
    folds = calibration_folds(athlete[:n_train], rows["label"].to_numpy()[:n_train], cfg.data.n_folds)
    zscored = rows[sample.columns(ZSCORE_PREFIX)] if lovdal else None
    hidden = sample.columns(LATENT_PREFIX)
    return TrainingData(
        sample=sample,
        transformer=sample.transformer,
        example=sample.example,
        X=rows[sample.features],
        y=rows["label"].to_numpy(),
        weight=rows["weight"].to_numpy(),
        athlete=athlete,
        dates=rows["date"].to_numpy(),
        train=np.arange(n_train),
        test=np.arange(n_train, len(rows)),
        folds=folds,
        zscored=zscored.set_axis([c.removeprefix(ZSCORE_PREFIX) for c in zscored.columns], axis=1)
        if zscored is not None
        else None,
        latent=rows[hidden].set_axis([c.removeprefix(LATENT_PREFIX) for c in hidden], axis=1)
        if hidden
        else None,
    )


def calibration_folds(athlete: np.ndarray, labels: np.ndarray, n_folds: int, where: str = "") -> list:
    """Athlete-grouped (fit, calibration) folds of training rows, each with both classes.

    Raises
    ------
    InputError
        Naming the fold whose athletes have no strain onset (or no day without one).
    """
    folds = athlete_folds(athlete, n_folds)
    for k, (fit_rows, calibration_rows) in enumerate(folds, start=1):
        for part, positions in (("fit", fit_rows), ("calibration", calibration_rows)):
            if len(np.unique(labels[positions])) < 2:
                raise InputError(
                    f"training data{where}: the {part} athletes of calibration fold {k} of {n_folds} "
                    "have no strain onset (or no day without one); use more athletes, or fewer folds "
                    "(data.n_folds)"
                )
    return folds


def model_runs(data: TrainingData, cfg: TrainConfig, names: list[str]) -> list[ModelRun]:
    """The fits of a run: each named model on its table, then the latent variants.

    A latent variant (``<model>_latent``, for the models in ``cfg.latent``) reads the athletes'
    true glute and calf strength instead of their noisy test scores: the gap to it is what test
    noise costs. It runs only where the athletes table holds those columns (a simulated cohort).
    """
    runs = [
        ModelRun(name, name, data.zscored, False) if name == "lovdal" else ModelRun(name, name, data.X, True)
        for name in names
    ]
    if data.latent is not None and set(LATENT_SWAP) <= set(data.latent.columns):
        latent = data.X.copy()
        for observed in LATENT_SWAP:
            latent[observed] = data.latent[observed].to_numpy()
        runs += [ModelRun(f"{name}_latent", name, latent, False) for name in cfg.latent if name in names]
    return runs


def _fit(estimator: object, X: pd.DataFrame, y: np.ndarray, weight: np.ndarray | None) -> object:
    """Fit with sample weights (routed to a pipeline's last step), or none when all are 1."""
    if weight is None or np.all(weight == 1.0):
        return estimator.fit(X, y)
    if isinstance(estimator, Pipeline):
        return estimator.fit(X, y, **{f"{estimator.steps[-1][0]}__sample_weight": weight})
    return estimator.fit(X, y, sample_weight=weight)


def fit_models(
    data: TrainingData, runs: list[ModelRun], cfg: TrainConfig, say: Callable[[str], None]
) -> tuple[pd.DataFrame, dict[str, Pipeline], dict[str, float]]:
    """Fit each run on the training athletes; predict the held-out athletes' days.

    Returns
    -------
    predictions : DataFrame
        ``athlete_id``, ``date``, ``label`` and one probability column per run, test days only.
    pipelines : dict of Pipeline
        The runs that read the features, as features -> classifier pipelines.
    timings : dict of float
        Seconds per fit.

    Raises
    ------
    InputError
        Naming ``models.<name>.params`` when the estimator refuses its parameters.
    """
    test = data.test
    predictions = pd.DataFrame(
        {
            "athlete_id": data.athlete[test],
            "date": data.dates[test],
            "label": data.y[test],
            "weight": data.weight[test],
        }
    )
    pipelines: dict[str, Pipeline] = {}
    timings: dict[str, float] = {}
    for run in runs:
        say(f"fit {run.label}")
        spec = cfg.models[run.name]
        start = time.perf_counter()
        estimator = build_model(run.name, spec.calibration, dict(spec.params), data.folds)
        try:
            _fit(estimator, run.data.iloc[data.train], data.y[data.train], data.weight[data.train])
        except (InvalidParameterError, ValueError) as exc:
            raise InputError(f"models.{run.name}.params: {exc}") from None
        if len(test):
            predictions[run.label] = estimator.predict_proba(run.data.iloc[test])[:, 1]
        timings[f"fit_{run.label}_s"] = time.perf_counter() - start
        if run.reads_features:
            features = clone(data.transformer).fit(data.example.head(1)).set_output(transform="pandas")
            pipelines[run.label] = Pipeline([("features", features), ("classifier", estimator)])
    return predictions, pipelines, timings


def crossval_predictions(
    data: TrainingData, runs: list[ModelRun], cfg: TrainConfig, say: Callable[[str], None]
) -> tuple[pd.DataFrame, dict[str, Pipeline], dict[str, float]]:
    """Athlete-grouped k-fold cross-validation: each athlete's days predicted by models that never
    saw the athlete, pooled; then every model refitted on all athletes (the pipelines to keep).

    ``data`` holds every athlete's rows as training rows (:func:`prepare_training_data` with
    ``every_athlete``); the folds are ``evaluation.folds`` athlete groups of about equal days.
    Within each fold's training athletes the calibration folds are grouped by athlete as usual.

    Raises
    ------
    InputError
        Naming the fold whose training athletes cannot be calibrated (no strain in a calibration fold).
    """
    k = cfg.evaluation.folds
    everyone = data.train
    pooled, timings = [], {}
    for fold, (fit_rows, held_rows) in enumerate(athlete_folds(data.athlete[everyone], k), start=1):
        train, test = everyone[fit_rows], everyone[held_rows]
        folds = calibration_folds(
            data.athlete[train], data.y[train], cfg.data.n_folds, f" (fold {fold} of {k})"
        )
        fold_data = replace(data, train=train, test=test, folds=folds)
        predictions, _, fold_timings = fit_models(
            fold_data, runs, cfg, lambda step, f=fold: say(f"{step} {f}/{k}")
        )
        pooled.append(predictions)
        for key, seconds in fold_timings.items():
            timings[key] = timings.get(key, 0.0) + seconds
    predictions = pd.concat(pooled, ignore_index=True)
    predictions = predictions.sort_values(["athlete_id", "date"], kind="stable").reset_index(drop=True)
    final = replace(data, test=data.test[:0])
    _, pipelines, final_timings = fit_models(final, runs, cfg, lambda step: say(f"{step} (all athletes)"))
    timings.update({key.replace("fit_", "refit_"): seconds for key, seconds in final_timings.items()})
    return predictions, pipelines, timings


def _athlete_ids(source: CohortSource) -> np.ndarray:
    """Every athlete id of a cohort, read from its athletes table alone."""
    if isinstance(source, CohortDataset):
        from calfrisk.tables import read_part

        parts = [
            read_part(source.root, {"athletes": p["athletes"]}, {"athletes": ["athlete_id"]})
            for p in source.parts
        ]
        return np.concatenate([p["athletes"]["athlete_id"].to_numpy() for p in parts])
    return source["athletes"]["athlete_id"].to_numpy()


def evaluation_scheme(source: CohortSource, cfg: TrainConfig) -> dict[str, object]:
    """How a cohort's models are scored: the last athletes by id, k-fold, or the hash holdout.

    Returns ``{"scheme": "holdout_last", "athletes": [...]}``, ``{"scheme": "k-fold", "folds": k}``
    or ``{"scheme": "holdout", "test_fraction": f}``.

    Examples
    --------
    >>> from calfrisk.config import load_train_config
    >>> tables = {"athletes": pd.DataFrame({"athlete_id": ["2", "10", "1"]})}
    >>> evaluation_scheme(tables, load_train_config(overrides={"evaluation": {"holdout_last": 1}}))
    {'scheme': 'holdout_last', 'athletes': ['10']}
    >>> evaluation_scheme(tables, load_train_config())["scheme"]
    'k-fold'
    """
    ev = cfg.evaluation
    ids = _athlete_ids(source)
    if ev.holdout_last is not None:
        text = sorted({str(a) for a in ids}, key=lambda a: (0, int(a), a) if a.isdigit() else (1, 0, a))
        if ev.holdout_last >= len(text):
            raise InputError(
                f"evaluation.holdout_last: {ev.holdout_last} of {len(text)} athletes leaves none to train on"
            )
        return {"scheme": "holdout_last", "athletes": text[-ev.holdout_last :]}
    if len(np.unique(ids)) < ev.folds_below:
        return {"scheme": "k-fold", "folds": ev.folds}
    return {"scheme": "holdout", "test_fraction": cfg.data.test_fraction}


def oracle_column(
    predictions: pd.DataFrame, cohort: CohortConfig, cfg: TrainConfig, *, engine: Engine | None = None
) -> np.ndarray:
    """The Monte Carlo oracle's risk of each test athlete-day, replayed from the cohort's config."""
    from calfrisk.simulate.oracle import oracle_risk

    oracle = oracle_risk(
        cohort,
        np.unique(predictions["athlete_id"]),
        horizon=cfg.data.horizon_days,
        n_rollouts=cfg.oracle.n_rollouts,
        random_state=cfg.data.seed,
        days=predictions[["athlete_id", "date"]],
        engine=engine,
    )
    oracle = oracle.set_index(["athlete_id", "date"])["risk"]
    keys = pd.MultiIndex.from_arrays([predictions["athlete_id"], pd.to_datetime(predictions["date"])])
    return oracle.reindex(keys).to_numpy()


#: The bootstrap's paired figures against the oracle, by the names of the metrics JSON.
_VS_ORACLE = {
    "roc_auc_fraction": "roc_auc_fraction_of_oracle",
    "roc_auc_skill": "roc_auc_skill_vs_oracle",
    "log_loss_skill": "log_loss_skill_vs_oracle",
    "roc_auc_minus_reference": "roc_auc_minus_oracle",
}


def check_ceiling(metrics: dict) -> None:
    """Refuse a run where a model's ROC AUC exceeds the oracle's beyond the paired interval.

    Raises
    ------
    calfrisk.exceptions.OracleCeilingError
        Naming the model, both AUCs and the interval of their difference.
    """
    oracle = metrics.get("oracle")
    for name, entry in metrics["models"].items():
        low, high = entry.get("ci", {}).get("roc_auc_minus_oracle", (float("nan"), float("nan")))
        if oracle is not None and low > 0:
            raise OracleCeilingError(
                f"{name}: ROC AUC {entry['roc_auc']:.4f} is above the oracle's {oracle['roc_auc']:.4f} "
                f"beyond the paired bootstrap interval ({low:+.4f} to {high:+.4f}): a model cannot beat "
                "the oracle; look for a feature or label that sees the future"
            )


def evaluate_predictions(
    predictions: pd.DataFrame,
    columns: list[str],
    cfg: TrainConfig,
    *,
    train_rate: float,
    enrichment: float = 1.0,
) -> tuple[dict[str, object], pd.DataFrame, dict[str, pd.DataFrame]]:
    """Every model's test metrics with athlete-bootstrap intervals, against the oracle where present.

    Parameters
    ----------
    predictions : DataFrame
        The test days (:func:`fit_models`), with an ``oracle`` column when it was computed.
    columns : list of str
        The model columns to score.
    cfg : TrainConfig
        Bootstrap draws, calibration bins, seed.
    train_rate : float
        The training days' event rate: the average day ``predict``'s bands are drawn against.
    enrichment : float, default=1.0
        The cohort's enrichment, for the bands' real-world scale.

    Returns
    -------
    metrics : dict
        ``models`` (per model: ``roc_auc``, ``average_precision``, ``brier``, ``log_loss``,
        ``null_log_loss``, ``ece``, ``calibration_intercept``, ``calibration_slope``,
        ``top_decile_observed``, ``top_decile_predicted``, ``net_benefit_top5``; against the
        oracle ``roc_auc_skill_vs_oracle`` (chance-corrected), ``log_loss_skill_vs_oracle``,
        ``roc_auc_minus_oracle`` and ``roc_auc_fraction_of_oracle`` (the plain ratio, kept for
        continuity); against ``gbm``, ``roc_auc_minus_gbm``; ``ci``: each one's paired
        athlete-bootstrap interval), ``oracle``, and ``bands`` for ``gbm``.
    bootstrap : DataFrame
        Every metric's bootstrap estimate and interval.
    reliability : dict of DataFrame
        Each scored column's reliability table.
    """
    scored = {c: predictions[c].to_numpy() for c in [*columns, "oracle"] if c in predictions}
    yt = predictions["label"].to_numpy()
    w = predictions["weight"].to_numpy() if "weight" in predictions else None
    w = None if w is not None and np.all(w == 1.0) else w
    boot = athlete_bootstrap(
        yt,
        scored,
        predictions["athlete_id"].to_numpy(),
        n_boot=cfg.evaluation.n_boot,
        random_state=cfg.data.seed,
        relative_to="oracle" if "oracle" in scored else None,
        n_bins=cfg.evaluation.ece_bins,
        sample_weight=w,
        against="gbm" if "gbm" in scored else None,
    )
    metrics: dict[str, object] = {"models": {}}
    for column, p in scored.items():
        entry = score(yt, p, sample_weight=w)
        entry["ece"] = expected_calibration_error(yt, p, cfg.evaluation.ece_bins, sample_weight=w)
        ci = boot[boot["model"] == column].set_index("metric").rename(index=_VS_ORACLE)
        if column == "oracle":
            ci = ci.drop(index=list(_VS_ORACLE.values()), errors="ignore")
        for metric in ci.index.difference(list(entry)):
            entry[metric] = float(ci.loc[metric, "estimate"])
        entry["ci"] = {m: [float(ci.loc[m, "low"]), float(ci.loc[m, "high"])] for m in ci.index}
        if column == "oracle":
            metrics["oracle"] = entry
        else:
            metrics["models"][column] = entry
    if "gbm" in scored:
        # predict's bands (low, elevated, high against the average day) checked against outcomes.
        bands = band_outcomes(
            yt,
            scored["gbm"],
            train_rate,
            enrichment,
            sample_weight=w,
            athlete_ids=predictions["athlete_id"].to_numpy(),
            n_boot=cfg.evaluation.n_boot,
            random_state=cfg.data.seed,
        )
        records = bands.astype(object).where(bands.notna(), None).to_dict(orient="records")  # JSON: null
        metrics["bands"] = {"gbm": records}
    reliability = {
        c: reliability_table(yt, p, cfg.evaluation.ece_bins, sample_weight=w) for c, p in scored.items()
    }
    return metrics, boot, reliability


def train_models(
    source: CohortSource,
    cfg: TrainConfig,
    *,
    cohort: CohortConfig | None = None,
    models: list[str] | None = None,
    progress: Callable[[str], None] | None = None,
    train_fraction: float = 1.0,
    n_jobs: int | None = -1,
    engine: Engine | None = None,
) -> TrainResult:
    """Fit every configured model on the training athletes and score it on the held-out ones.

    The steps: :func:`prepare_training_data` (features, labels, split), :func:`model_runs`,
    :func:`fit_models`, the oracle on the test days (:func:`oracle_column`), and
    :func:`evaluate_predictions`.

    Parameters
    ----------
    source : CohortDataset or dict of DataFrame
        A cohort folder (:func:`calfrisk.tables.open_cohort`), read part by part, or the cohort's
        tables in memory (:func:`calfrisk.tables.load_cohort`).
    cfg : TrainConfig
        Models, splits, sampling, oracle and evaluation settings.
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
    n_jobs : int, optional
        Cohort parts and oracle chunks computed at once, on threads (default: one per core),
        without an ``engine``.
    engine : Engine, optional
        Where the parts and the oracle's chunks run (:func:`calfrisk.engine.open_engine`); the fits
        run in this process. The results are the same on every engine.

    Returns
    -------
    TrainResult

    Raises
    ------
    InputError
        Naming ``models`` for a model that is not configured, and as the steps raise.
    OracleCeilingError
        When a model's ROC AUC is above the oracle's beyond the paired interval (:func:`check_ceiling`).
    """
    say = progress or (lambda step: None)
    clock = time.perf_counter()
    names = list(cfg.models) if models is None else models
    unknown = [name for name in names if name not in cfg.models]
    if unknown:
        raise InputError(f"models: unknown model {unknown[0]!r} (configured: {', '.join(cfg.models)})")
    features = [feature for group in FEATURE_GROUPS.values() for feature in group]
    for name in names:
        check_model(name, cfg.models[name].calibration, dict(cfg.models[name].params), features)
    scheme = evaluation_scheme(source, cfg)
    crossval = scheme["scheme"] == "k-fold"
    say("features")
    data = prepare_training_data(
        source,
        cfg,
        lovdal="lovdal" in names,
        latent=bool(cfg.latent),
        train_fraction=train_fraction,
        n_jobs=n_jobs,
        engine=engine,
        holdout=frozenset(scheme["athletes"]) if scheme["scheme"] == "holdout_last" else None,
        every_athlete=crossval,
    )
    timings = {"features_s": time.perf_counter() - clock}
    return score_models(
        data, cfg, names, scheme=scheme, cohort=cohort, say=say, n_jobs=n_jobs, engine=engine, timings=timings
    )


def score_models(
    data: TrainingData,
    cfg: TrainConfig,
    names: list[str],
    *,
    scheme: dict[str, object],
    cohort: CohortConfig | None = None,
    say: Callable[[str], None] = lambda step: None,
    n_jobs: int | None = -1,
    engine: Engine | None = None,
    timings: dict[str, float] | None = None,
) -> TrainResult:
    """Fit the models on prepared data and score them: the steps of :func:`train_models` after the
    features (:func:`model_runs`, :func:`fit_models` or :func:`crossval_predictions`, the oracle,
    :func:`evaluate_predictions`)."""
    clock = time.perf_counter()
    timings = dict(timings or {})
    crossval = scheme["scheme"] == "k-fold"
    runs = model_runs(data, cfg, names)
    if crossval:
        predictions, pipelines, fit_timings = crossval_predictions(data, runs, cfg, say)
    else:
        predictions, pipelines, fit_timings = fit_models(data, runs, cfg, say)
    timings.update(fit_timings)
    if cohort is not None:
        say("oracle")
        start = time.perf_counter()
        tasks = engine or Engine("threads", n_jobs=n_jobs)
        predictions["oracle"] = oracle_column(predictions, cohort, cfg, engine=tasks)
        timings["oracle_s"] = time.perf_counter() - start
    say("evaluate")
    train_w = data.weight[data.train]
    train_rate = float(np.average(data.y[data.train], weights=train_w))
    metrics, boot, reliability = evaluate_predictions(
        predictions,
        [run.label for run in runs],
        cfg,
        train_rate=train_rate,
        enrichment=cohort.injury.enrichment if cohort is not None else 1.0,
    )
    check_ceiling(metrics)
    metrics.setdefault("oracle", None)  # none without a simulator's config (an imported cohort)
    metrics.update(
        evaluation=scheme,
        n_test_athletes=int(predictions["athlete_id"].nunique()),
        n_train_athletes=len(np.unique(data.athlete[data.train])),
        n_train_rows=len(data.train),
        n_test_rows=len(predictions),
        sampling=data.sample.counts,
        positive_rate=float(np.average(data.y, weights=data.weight)),
        horizon_days=cfg.data.horizon_days,
    )
    reference = {
        # What predict substitutes for a value a runner did not give, and its yardstick of risk.
        "feature_medians": _weighted_medians(data.X.iloc[data.train], train_w),
        # Where the model saw a feature missing (and so learned what a missing value means).
        "feature_missing": {
            c: float(np.average(data.X[c].iloc[data.train].isna(), weights=train_w)) for c in data.X.columns
        },
        "positive_rate": train_rate,
        "min_history_days": cfg.data.min_history_days,
        "horizon_days": cfg.data.horizon_days,
    }
    timings["total_s"] = timings.get("features_s", 0.0) + time.perf_counter() - clock
    return TrainResult(
        metrics=metrics,
        predictions=predictions,
        bootstrap=boot,
        reliability=reliability,
        pipelines=pipelines,
        timings=timings,
        reference=reference,
        test_features=data.X.iloc[data.test].reset_index(drop=True),
    )


def _weighted_medians(X: pd.DataFrame, weight: np.ndarray) -> dict[str, float]:
    """Each column's median over the days the weighted rows stand for (missing values left out)."""
    medians = {}
    for column in X.columns:
        values = X[column].to_numpy(dtype=float)
        known = ~np.isnan(values)
        medians[column] = (
            float(np.quantile(values[known], 0.5, weights=weight[known], method="inverted_cdf"))
            if known.any()
            else float("nan")
        )
    return medians


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
        "outcome": result.metrics.get("outcome", "calf strain"),
        "data": str(data_dir),
    }


def learning_curve(
    source: CohortSource,
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
    source : CohortDataset or dict of DataFrame
        The cohort, as for :func:`train_models`.
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
        ``ci_high``, and, when ``oracle_auc`` is given, ``skill_vs_oracle`` ((AUC - 0.5) /
        (AUC_oracle - 0.5)) and ``fraction_of_oracle`` (the plain ratio, for continuity).
    """
    cfg = cfg.model_copy(update={"latent": []})
    names = list(cfg.models) if models is None else models
    # The features once; each size keeps a nested share of the training athletes' rows.
    full = prepare_training_data(source, cfg, lovdal="lovdal" in names)
    scheme = {"scheme": "holdout", "test_fraction": cfg.data.test_fraction}
    rows = []
    for fraction in fractions:
        n_folds = cfg.data.n_folds
        keep = _nested_athletes(full.athlete[full.train], fraction, cfg.data.seed, n_folds)
        train = full.train[keep]
        folds = calibration_folds(full.athlete[train], full.y[train], n_folds)
        result = score_models(replace(full, train=train, folds=folds), cfg, names, scheme=scheme)
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
                # Chance-corrected: 0 for a coin flip, 1 for the oracle (the plain ratio kept beside it).
                row["skill_vs_oracle"] = (entry["roc_auc"] - 0.5) / (oracle_auc - 0.5)
                row["fraction_of_oracle"] = entry["roc_auc"] / oracle_auc
            rows.append(row)
    return pd.DataFrame(rows)
