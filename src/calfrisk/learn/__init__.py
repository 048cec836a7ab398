"""Learning: from a cohort's tables to calibrated, evaluated models.

The flow, one part of a cohort at a time (:mod:`~calfrisk.learn.stream`): tables -> daily panel
(:mod:`~calfrisk.learn.panel`) -> past-only features (:mod:`~calfrisk.learn.features`) and labels
(:mod:`~calfrisk.learn.labels`) -> case-control samples (:mod:`~calfrisk.learn.sampling`) -> estimators
(:mod:`~calfrisk.learn.estimators`) fitted on training athletes (:mod:`~calfrisk.learn.train`) ->
scored on held-out athletes (:mod:`~calfrisk.learn.evaluate`) and explained exactly
(:mod:`~calfrisk.learn.explain`; the default classifier's stored form is
:mod:`~calfrisk.learn.stumps`), with risk bands checked against outcomes
(:mod:`~calfrisk.learn.bands`) and importance per risk factor (:mod:`~calfrisk.learn.importance`).
"""

from calfrisk._lazy import lazy_exports

#: Public name -> the module that defines it, imported on first use.
_EXPORTS = {
    "BANDS": "bands",
    "band_of": "bands",
    "band_outcomes": "bands",
    "real_world_risk": "bands",
    "GradientBoostedTrees": "boosting",
    "BalancedBaggingClassifier": "estimators",
    "ZoneRuleClassifier": "estimators",
    "gradient_boosting": "estimators",
    "logistic": "estimators",
    "METRICS": "evaluate",
    "athlete_bootstrap": "evaluate",
    "athlete_folds": "evaluate",
    "athlete_resamples": "evaluate",
    "expected_calibration_error": "evaluate",
    "reliability_table": "evaluate",
    "score": "evaluate",
    "Attribution": "explain",
    "DRIVER_FACTORS": "explain",
    "contributions": "explain",
    "factor_contributions": "explain",
    "DAY_METRICS": "features",
    "DailyWindow": "features",
    "FEATURE_GROUPS": "features",
    "LoadFeatures": "features",
    "athlete_zscores": "features",
    "TRUTH_FACTORS": "importance",
    "compare_effects": "importance",
    "effect_verdict": "importance",
    "grouped_permutation_importance": "importance",
    "model_factor_spread": "importance",
    "true_factor_spread": "importance",
    "strain_labels": "labels",
    "PANEL_COLUMNS": "panel",
    "daily_panel": "panel",
    "StumpEnsemble": "stumps",
    "StumpFold": "stumps",
    "compile_classifier": "stumps",
    "stump_fold": "stumps",
    "ModelRun": "train",
    "TrainResult": "train",
    "TrainingData": "train",
    "cohort_features": "stream",
    "SampledDays": "stream",
    "sample_days": "stream",
    "BoundedSample": "sampling",
    "SamplingRates": "sampling",
    "athlete_side": "sampling",
    "stable_uniform": "sampling",
    "evaluate_predictions": "train",
    "fit_models": "train",
    "learning_curve": "train",
    "model_metadata": "train",
    "model_runs": "train",
    "oracle_column": "train",
    "prepare_training_data": "train",
    "train_models": "train",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
