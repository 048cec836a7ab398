"""A study in MLflow: a parent run with the design, the summary's figures and the outputs, and a
child run per scenario with each model's figures on that world (``calfrisk compare`` lists them)."""

from __future__ import annotations

from pathlib import Path

from calfrisk.tracking.runs import _flatten, _mlflow

__all__ = ["log_study"]

#: Files of a study's folder logged with its parent run.
ARTIFACTS = ("summary.json", "results.parquet", "design.json", "power.png", "transport.png")


def _numbers(mapping: dict, prefix: str) -> dict[str, float]:
    """The numeric leaves of a summary section as MLflow metrics (keys without spaces)."""
    out = {}
    for key, value in _flatten(mapping, prefix).items():
        if isinstance(value, int | float) and not isinstance(value, bool) and value == value:
            out[key.replace(" ", "_")] = float(value)
    return out


def log_study(result: object, plan: object, experiment: str) -> str:
    """Log a finished study (:class:`calfrisk.study.run.StudyResult`) to ``experiment``.

    Returns
    -------
    str
        The parent run's id.
    """
    mlflow = _mlflow()
    mlflow.set_experiment(experiment)
    summary, out = result.summary, Path(result.out_dir)
    design = plan.design
    tags = {"calfrisk.kind": "study", "calfrisk.study": design.name}
    with mlflow.start_run(run_name=f"study {design.name}", tags=tags) as parent:
        mlflow.log_params(
            {"kind": "study", "study": design.name, "seed": design.seed, "out": str(out), "data": "study"}
        )
        metrics = {}
        for section in ("power", "type1", "coverage", "bias", "runners_for_80_percent_power"):
            metrics.update(_numbers(summary.get(section) or {}, f"{section}."))
        mlflow.log_metrics(metrics)
        for name in ARTIFACTS:
            if (out / name).is_file():
                mlflow.log_artifact(str(out / name))
        for scenario, models in (summary.get("transport") or {}).items():
            world = plan.worlds[scenario]
            child_tags = {**tags, "calfrisk.kind": "study-scenario", "calfrisk.scenario": scenario}
            with mlflow.start_run(run_name=scenario, nested=True, tags=child_tags):
                mlflow.log_params(
                    {"data": f"study {design.name}: {scenario}", "scenario": scenario,
                     "description": world.description[:500], "kind": "study-scenario"}
                )  # fmt: skip
                mlflow.log_metrics(_numbers(models, ""))
        return parent.info.run_id
