"""A cohort's training and test rows, computed part by part and sampled as they stream past.

Each part of a cohort (:class:`calfrisk.tables.CohortDataset`) holds its athletes whole, so
past-only features and labels never need another part: a part's daily panel, features, labels and
eligibility are computed alone, its eligible days are split by athlete (:func:`athlete_side`) and
offered to a bounded case-control sample per side (:class:`calfrisk.learn.sampling.BoundedSample`),
and the part is dropped. Peak memory is a part's panel plus the samples, whatever the number of
runners; the rows kept, and their weights, do not depend on how the cohort was cut into parts nor
on the order parts finish in.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from calfrisk.config.train import TrainConfig
from calfrisk.engine import Engine
from calfrisk.exceptions import InputError
from calfrisk.learn.features import DailyWindow, LoadFeatures, athlete_zscores
from calfrisk.learn.labels import strain_labels
from calfrisk.learn.panel import daily_panel
from calfrisk.learn.sampling import SAMPLE_STREAM, BoundedSample, SamplingRates, athlete_side, stable_uniform
from calfrisk.storage import Folder
from calfrisk.tables import CohortDataset, cohort_days, read_part

__all__ = ["LATENT_SWAP", "SampledDays", "cohort_features", "part_rows", "sample_days"]

#: Observed profile columns and the simulator's latent values a ``<model>_latent`` variant reads instead.
LATENT_SWAP = {"glute_test_score": "latent_glute_strength", "calf_test_score": "latent_calf_strength"}
#: What the learning steps read of a part's truth table (its factor multipliers are not needed).
_TRUTH_COLUMNS = ["athlete_id", "date", "in_layoff"]
#: Prefixes of the carried columns: the Lövdal protocol's z-scored inputs, the latent values.
ZSCORE_PREFIX, LATENT_PREFIX = "lovdal:", "latent:"


@dataclass
class SampledDays:
    """The sampled rows of both sides, and what a run needs to know about them.

    Attributes
    ----------
    train, test : DataFrame
        ``athlete_id``, ``date``, ``label``, ``weight`` (inverse inclusion probability), ``u``, the
        features, and, when asked for, ``lovdal:<input>`` and ``latent:<feature>`` columns; sorted
        by athlete and date.
    features : list of str
        The feature columns, in :class:`LoadFeatures` order.
    transformer : LoadFeatures
        The feature transformer, fitted (it learns nothing from data).
    example : DataFrame
        A few daily-panel rows, to fit a pipeline's feature step on.
    counts : dict
        Per side: ``eligible_days`` and ``positive_days`` offered, ``rows`` and ``positive_rows``
        kept, ``thinning`` (the common factor beyond ``max_rows``; 1 while it fits), the rates.
    """

    train: pd.DataFrame
    test: pd.DataFrame
    features: list[str]
    transformer: LoadFeatures
    example: pd.DataFrame
    counts: dict[str, dict[str, float]] = field(default_factory=dict)

    def columns(self, prefix: str) -> list[str]:
        """The carried columns with this prefix (:data:`ZSCORE_PREFIX`, :data:`LATENT_PREFIX`)."""
        return [c for c in self.train.columns if c.startswith(prefix)]


def cohort_features(tables: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame, LoadFeatures]:
    """A cohort's daily panel, its feature table (same rows) and the fitted feature transformer."""
    panel = daily_panel(
        tables["training_log"],
        tables["athletes"],
        tables["injuries"],
        days=cohort_days(tables),
        shoe_start_km=tables["shoes"],
    )
    transformer = LoadFeatures().fit(panel)
    features = pd.DataFrame(
        transformer.transform(panel), index=panel.index, columns=transformer.get_feature_names_out()
    )
    return panel, features, transformer


def _rates(cfg: TrainConfig) -> dict[str, SamplingRates]:
    s = cfg.sampling
    return {"train": SamplingRates(s.train.negative_rate), "test": SamplingRates(s.test.negative_rate)}


def part_rows(
    tables: dict[str, pd.DataFrame],
    cfg: TrainConfig,
    *,
    lovdal: bool = False,
    latent: bool = False,
    external: bool = False,
    holdout: frozenset[str] | None = None,
) -> tuple[dict[str, pd.DataFrame], dict[str, dict[str, int]], pd.DataFrame]:
    """One part's eligible days with features and labels, split by athlete, pre-sampled at the rates.

    Only rows a sample can keep leave the part (those whose uniform is below their rate); the
    bound is applied when the parts meet (:func:`sample_days`).

    Returns
    -------
    rows : dict of DataFrame
        ``train`` and ``test`` candidate rows (columns as :attr:`SampledDays.train`).
    counts : dict
        Per side, ``eligible_days`` and ``positive_days`` of the part.
    example : DataFrame
        The part's first daily-panel rows.
    """
    panel, features, _ = cohort_features(tables)
    days, history = cohort_days(tables), cfg.data.min_history_days
    labels = strain_labels(days, tables["injuries"], cfg.data.horizon_days, min_history_days=history)
    keep = labels["eligible"].to_numpy()
    rows = pd.concat(
        [
            panel.loc[keep, ["athlete_id", "date"]].reset_index(drop=True),
            pd.DataFrame({"label": labels["label"].to_numpy()[keep].astype(np.int8)}),
            features[keep].reset_index(drop=True),
        ],
        axis=1,
    )
    if lovdal:
        window = DailyWindow().set_output(transform="pandas").fit_transform(panel)
        z = athlete_zscores(window, panel["athlete_id"].to_numpy(), panel["date"].to_numpy())[keep]
        rows = pd.concat([rows, z.add_prefix(ZSCORE_PREFIX).reset_index(drop=True)], axis=1)
    profile = tables["athletes"].set_index("athlete_id")
    if latent and all(hidden in profile.columns for hidden in LATENT_SWAP.values()):
        for observed, hidden in LATENT_SWAP.items():
            rows[LATENT_PREFIX + observed] = profile.loc[rows["athlete_id"], hidden].to_numpy()
    rows["u"] = stable_uniform(rows["athlete_id"], rows["date"], cfg.data.seed, SAMPLE_STREAM)
    if external:  # a trained model scored on a whole cohort: every athlete is held out
        test = np.ones(len(rows), dtype=bool)
    elif holdout is not None:  # these athletes, by id (e.g. a paper's own split)
        test = rows["athlete_id"].astype(str).isin(holdout).to_numpy()
    else:
        test = athlete_side(rows["athlete_id"], cfg.data.test_fraction, cfg.data.seed)
    out, counts = {}, {}
    for side, mask in (("train", ~test), ("test", test)):
        candidates = rows.loc[mask]
        label = candidates["label"].to_numpy()
        counts[side] = {"eligible_days": len(candidates), "positive_days": int(label.sum())}
        kept = candidates["u"].to_numpy() < _rates(cfg)[side].of(label)
        out[side] = candidates.loc[kept].reset_index(drop=True)
    return out, counts, panel.head(5)


def _dataset_part_rows(
    root: Folder, cfg: TrainConfig, options: dict[str, object], files: dict[str, str]
) -> tuple[dict[str, pd.DataFrame], dict[str, dict[str, int]], pd.DataFrame]:
    """:func:`part_rows` of one part of a cohort folder, given its files (a task a Dask worker can
    run; it carries its own part's file names only)."""
    tables = read_part(root, files, columns={"truth": _TRUTH_COLUMNS})
    return part_rows(tables, cfg, **options)


def _memory_part_rows(
    tables: dict[str, pd.DataFrame], cfg: TrainConfig, options: dict[str, object], index: int
) -> tuple[dict[str, pd.DataFrame], dict[str, dict[str, int]], pd.DataFrame]:
    return part_rows(tables, cfg, **options)


def sample_days(
    source: CohortDataset | dict[str, pd.DataFrame],
    cfg: TrainConfig,
    *,
    lovdal: bool = False,
    latent: bool = False,
    n_jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    engine: Engine | None = None,
    external: bool = False,
    holdout: frozenset[str] | None = None,
) -> SampledDays:
    """Stream a cohort's parts into the training and test samples of ``cfg.sampling``.

    Parameters
    ----------
    source : CohortDataset or dict of DataFrame
        A cohort folder (:func:`calfrisk.tables.open_cohort`), read one part at a time, or a
        cohort's tables in memory (one part).
    cfg : TrainConfig
        Labels (horizon, history), the split (test share, seed) and the sampling.
    lovdal : bool, default=False
        Carry the Lövdal protocol's z-scored inputs (``lovdal:`` columns).
    latent : bool, default=False
        Carry the simulator's latent strengths where the athletes table has them (``latent:``).
    n_jobs : int, optional
        Parts computed at once, on threads (joblib convention), without an ``engine``.
    progress : callable, optional
        Called as ``progress(done_parts, n_parts)``.
    engine : Engine, optional
        Where a cohort folder's parts are computed (:func:`calfrisk.engine.open_engine`); tables
        in memory stay on this process's threads. The rows are the same on every engine.
    external : bool, default=False
        Every athlete on the test side, sampled at the test rates, and no training side: the days a
        trained model is scored on (:mod:`calfrisk.learn.validate`).
    holdout : frozenset of str, optional
        The test athletes, by id (as text), instead of the hash split of ``data.test_fraction``.

    Raises
    ------
    InputError
        If no day is eligible, or no eligible training day has a strain.

    Examples
    --------
    >>> from calfrisk.config import load_train_config
    >>> from calfrisk.tables import open_cohort
    >>> cfg = load_train_config(overrides={"sampling": {"train": {"negative_rate": 0.1}}})
    >>> sample = sample_days(open_cohort("data/synthetic/sample"), cfg)
    >>> counts = sample.counts["train"]
    >>> counts["positive_rows"] == counts["positive_days"], set(sample.train["weight"]) == {1.0, 10.0}
    (True, True)
    """
    options = {"lovdal": lovdal, "latent": latent, "external": external, "holdout": holdout}
    if isinstance(source, CohortDataset):
        items = source.parts
        task = functools.partial(_dataset_part_rows, source.root, cfg, options)
        engine = engine or Engine("threads", n_jobs=n_jobs)
    else:
        items = [0]
        task = functools.partial(_memory_part_rows, source, cfg, options)
        engine = Engine("threads")
    n_parts = len(items)
    rates = _rates(cfg)
    samples = {
        side: BoundedSample(rates[side], getattr(cfg.sampling, side).max_rows) for side in ("train", "test")
    }
    counts = {side: {"eligible_days": 0, "positive_days": 0} for side in samples}
    example = None
    # Parts finish in any order: the samples and the sums do not depend on it.
    for done, (index, (rows, part_counts, head)) in enumerate(engine.map(task, items), start=1):
        if index == 0:
            example = head
        for side, sample in samples.items():
            sample.add(rows[side])
            for key, value in part_counts[side].items():
                counts[side][key] += value
        if progress is not None:
            progress(done, n_parts)
    train, test = samples["train"].result(), samples["test"].result()
    total = counts["train"]["eligible_days"] + counts["test"]["eligible_days"]
    if total == 0:
        raise InputError(
            f"training data: no eligible day: a day needs {cfg.data.min_history_days} days before it "
            f"(data.min_history_days) and {cfg.data.horizon_days} after it (data.horizon_days) inside "
            "an athlete's record, outside a layoff"
        )
    if counts["train"]["positive_days"] == 0 and not external:
        raise InputError("training data: no strain onset among the eligible training days; nothing to learn")
    if len(test) == 0:
        raise InputError(
            "training data: no eligible day of a held-out athlete "
            f"(data.test_fraction {cfg.data.test_fraction} of too few athletes)"
        )
    for side, sample in samples.items():
        kept = train if side == "train" else test
        counts[side].update(
            rows=len(kept),
            positive_rows=int(kept["label"].sum()) if len(kept) else 0,
            thinning=sample.tau,
            negative_rate=sample.rates.negative,
        )
    transformer = LoadFeatures().fit(example)
    return SampledDays(train, test, list(transformer.get_feature_names_out()), transformer, example, counts)
