"""Run by ``tests/test_factors.py`` against a copy of calfrisk whose registry declares a toy trait.

``python toy_factor_flow.py WORK`` simulates a cohort, reads its truth, builds features, trains a
model through the command line, measures importance and asks ``predict`` for drivers; it prints one
JSON object of what it saw. Nothing here names the toy factor's parts but its declaration does.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def main(work: Path) -> dict[str, object]:
    import numpy as np
    import pandas as pd
    import yaml

    import calfrisk
    from calfrisk.config import load_cohort_config
    from calfrisk.factors import factor
    from calfrisk.learn.importance import compare_effects
    from calfrisk.learn.train import cohort_features
    from calfrisk.predict.persist import load_model
    from calfrisk.simulate import simulate_cohort
    from calfrisk.simulate.export import write_example
    from calfrisk.tables import load_cohort

    seen: dict[str, object] = {"package": calfrisk.__file__}
    trait = factor("toy").trait
    # Enriched x9 (the old default world): 600 runners need it for strains.
    overrides = {"cohort": {"n_athletes": 600, "n_days": 240, "seed": 11}, "injury": {"enrichment": 9.0}}
    cfg = load_cohort_config(overrides=overrides)
    seen["config_hazard_ratio"] = cfg.effects.toy.hazard_ratio
    simulate_cohort(cfg, work / "cohort")
    tables, _ = load_cohort(work / "cohort")

    # simulate -> truth: each day's multiplier is the hazard ratio to the runner's standardised trait.
    athletes = tables["athletes"].set_index("athlete_id")
    truth = tables["truth"]
    value = athletes.loc[truth["athlete_id"], trait.column].to_numpy()
    expected = trait.hazard_ratio ** ((value - trait.mean) / trait.sd)
    seen["truth_max_rel_error"] = float(np.max(np.abs(truth["mult_toy"].to_numpy() / expected - 1.0)))
    seen["trait_sd"] = float(athletes[trait.column].std())
    # ... and the injuries follow it: strains per run day of the upper and lower halves.
    upper = athletes[trait.column] > athletes[trait.column].median()
    runs = tables["training_log"].groupby("athlete_id").size()
    strains = tables["injuries"].groupby("athlete_id").size().reindex(athletes.index, fill_value=0)
    rate = {
        half: strains[mask].sum() / runs[mask].sum() for half, mask in (("upper", upper), ("lower", ~upper))
    }
    seen["strain_rate_ratio"] = float(rate["upper"] / rate["lower"])

    # truth -> features
    panel, X, _ = cohort_features(tables)
    seen["feature_equals_trait"] = bool(
        np.allclose(X[trait.column].to_numpy(), athletes.loc[panel["athlete_id"], trait.column].to_numpy())
    )

    # features -> a trained model (through the command line, as a researcher would)
    config = work / "train.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "models": {"gbm": {"params": {"n_estimators": 60}}},
                "sampling": {"train": {"negative_rate": 1.0}, "test": {"negative_rate": 1.0}},
                "latent": [],
                "evaluation": {"n_boot": 10, "folds_below": 0},
                "oracle": {"n_rollouts": 4},
            }
        )
    )
    command = [
        sys.executable,
        "-m",
        "calfrisk",
        "train",
        "--data",
        str(work / "cohort"),
        "--config",
        str(config),
    ]
    command += ["--models", "gbm", "--out", str(work / "model"), "--no-tracking"]
    subprocess.run(command, check=True, capture_output=True)
    pipeline, _ = load_model(work / "model")
    seen["model_features"] = [str(name) for name in pipeline[:-1].get_feature_names_out()]

    # -> importance against the truth, on days after a feature warm-up
    keep = (panel["date"] >= panel["date"].min() + pd.Timedelta(days=60)).to_numpy()
    rows = panel.loc[keep, ["athlete_id", "date"]].reset_index(drop=True)
    onsets = tables["injuries"][["athlete_id", "date"]].assign(onset=1)
    y = rows.merge(onsets, how="left")["onset"].fillna(0).to_numpy()
    table = compare_effects(
        pipeline.named_steps["classifier"], X[keep].reset_index(drop=True), y, truth, rows, n_repeats=2
    ).set_index("factor")
    for column in ("permutation_auc_drop", "true_spread", "model_spread", "correlation", "verdict"):
        seen[column] = table[column].to_dict()

    # -> drivers and advice: a runner at the top of the trait's range, with no strain before or in the
    # log (a recent return would outweigh anything else)
    strained = set(tables["injuries"]["athlete_id"])
    clean = athletes.index[(athletes["prior_calf_strains"] == 0) & ~athletes.index.isin(strained)]
    athlete = int(clean[0])
    write_example(work / "cohort", athlete, work / "runner")
    profile = yaml.safe_load((work / "runner" / "runner_profile.yaml").read_text())
    seen["profile_has_trait"] = trait.column in profile
    profile[trait.column] = trait.high
    (work / "runner" / "runner_profile.yaml").write_text(yaml.safe_dump(profile))
    command = [sys.executable, "-m", "calfrisk", "predict", str(work / "runner" / "runner_log.csv")]
    command += ["--model", str(work / "model"), "--profile", str(work / "runner" / "runner_profile.yaml")]
    out = subprocess.run([*command, "--format", "json"], check=True, capture_output=True, text=True).stdout
    day = json.loads(out)[-1]
    seen["drivers"] = [(d["factor"], d["advice"]) for d in day["drivers"]]
    return seen


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
