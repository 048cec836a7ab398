"""The ``calfrisk`` command line: parse, load the config, call the library, report.

Heavy imports (numpy, pyarrow, joblib) happen inside the commands so ``calfrisk --help`` starts
fast. Every error a user can cause ends as one line on stderr with exit code 2; an internal failure
ends as one line with exit code 1 (set ``CALFRISK_DEBUG=1`` for the traceback).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from calfrisk.schema import CalfriskError

__all__ = ["cli", "main"]

_PROG = "calfrisk"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="calfrisk", prog_name=_PROG)
def cli() -> None:
    """Model the risk of calf-muscle strain in runners."""


@cli.command()
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Cohort config (YAML), laid over the shipped defaults.  [default: configs/cohort.yaml]",
)
@click.option("--athletes", type=click.IntRange(min=1), default=None, help="Number of athletes.")
@click.option("--days", type=click.IntRange(min=1), default=None, help="Number of simulated days.")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Random seed.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=True, path_type=Path),
    required=True,
    help="Output folder (must not exist or be empty).",
)
@click.option("--overwrite", is_flag=True, help="Replace a non-empty output folder.")
@click.option(
    "--jobs",
    type=click.IntRange(min=-1),
    default=-1,
    show_default=True,
    help="Worker threads (-1: one per core).",
)
def simulate(
    config_path: Path | None,
    athletes: int | None,
    days: int | None,
    seed: int | None,
    out_dir: Path,
    overwrite: bool,
    jobs: int,
) -> None:
    """Simulate a cohort of runners and write its tables as Parquet."""
    from calfrisk.config import load_cohort_config
    from calfrisk.io import check_output_dir
    from calfrisk.report import print_cohort_summary, progress_bar
    from calfrisk.simulate import simulate_cohort

    if jobs == 0:
        raise click.BadParameter("0 workers cannot run anything", param_hint="'--jobs'")
    cohort = {"n_athletes": athletes, "n_days": days, "seed": seed}
    overrides = {"cohort": {k: v for k, v in cohort.items() if v is not None}}
    cfg = load_cohort_config(config_path, overrides)
    check_output_dir(out_dir, overwrite=overwrite)
    with progress_bar("simulating chunks") as advance:
        summary = simulate_cohort(cfg, out_dir, overwrite=overwrite, n_jobs=jobs, progress=advance)
    print_cohort_summary(summary, cfg, out_dir)


@cli.command()
@click.option("--data", "data_dir", type=click.Path(path_type=Path), required=True, help="Cohort folder.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Train config (YAML), laid over the shipped defaults.  [default: configs/train.yaml]",
)
@click.option("--experiment", default="calfrisk", show_default=True, help="MLflow experiment.")
@click.option(
    "--out", "out_dir", type=click.Path(path_type=Path), default=None, help="Model directory to write."
)
@click.option("--overwrite", is_flag=True, help="Replace an existing model directory.")
@click.option("--metrics-json", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--models", default=None, help="Comma-separated subset of the configured models.")
@click.option("--register", default=None, help="Register the model under this name, alias 'champion'.")
@click.option("--no-tracking", is_flag=True, help="Do not log to MLflow.")
def train(
    data_dir: Path,
    config_path: Path | None,
    experiment: str,
    out_dir: Path | None,
    overwrite: bool,
    metrics_json: Path | None,
    models: str | None,
    register: str | None,
    no_tracking: bool,
) -> None:
    """Train and evaluate the models on a simulated cohort; log them to MLflow."""
    import json

    from calfrisk.config import load_train_config
    from calfrisk.io import atomic_write_text, check_output_dir
    from calfrisk.report import print_training, step_progress
    from calfrisk.train import load_cohort, train_models

    cfg = load_train_config(config_path)
    if out_dir is not None:
        check_output_dir(out_dir, overwrite=overwrite)
    tables, cohort = load_cohort(data_dir)
    chosen = None if models is None else [m.strip() for m in models.split(",") if m.strip()]
    with step_progress() as progress:
        result = train_models(tables, cfg, cohort=cohort, models=chosen, progress=progress)
    run_id = None
    if not no_tracking:
        from calfrisk.panel import daily_panel
        from calfrisk.tracking import log_training

        example = daily_panel(
            tables["training_log"], tables["athletes"], tables["injuries"], days=tables["truth"].head(60)
        )
        with step_progress() as progress:
            progress("log to MLflow")
            run_id = log_training(
                result,
                cfg.model_dump(),
                data_dir=data_dir,
                experiment=experiment,
                input_example=example.head(5),
                register_as=register,
            )
    if out_dir is not None and "gbm" in result.pipelines:
        from calfrisk.persist import save_model

        meta = {
            "horizon_days": cfg.data.horizon_days,
            "model": "gbm",
            "metrics": result.metrics["models"]["gbm"],
        }
        save_model(result.pipelines["gbm"], out_dir, meta, overwrite=overwrite)
    if metrics_json is not None:
        atomic_write_text(metrics_json, json.dumps(result.metrics, indent=2) + "\n")
    print_training(result, run_id)


@cli.command()
@click.option("--experiment", default="calfrisk", show_default=True, help="MLflow experiment.")
@click.option(
    "--sort",
    type=click.Choice(["roc_auc", "average_precision", "brier", "ece", "roc_auc_fraction_of_oracle"]),
    default="roc_auc",
    show_default=True,
)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def compare(experiment: str, sort: str, fmt: str) -> None:
    """Compare the tracked runs of an experiment side by side."""
    from calfrisk.schema import InputError
    from calfrisk.tracking import compare_runs

    try:
        table = compare_runs(experiment, sort)
    except KeyError:
        raise InputError(f"--experiment {experiment}: no such MLflow experiment") from None
    if fmt == "json":
        click.echo(table.to_json(orient="records", indent=2))
    else:
        from calfrisk.report import print_comparison

        print_comparison(table)


def _fail(message: str, code: int) -> None:
    click.echo(f"{_PROG}: error: {message}", err=True)
    sys.exit(code)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``calfrisk`` console script."""
    try:
        cli.main(args=argv, prog_name=_PROG, standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        _fail("aborted", 130)
    except click.ClickException as exc:
        _fail(exc.format_message(), 2)
    except CalfriskError as exc:
        _fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except Exception as exc:
        if os.environ.get("CALFRISK_DEBUG"):
            raise
        _fail(f"internal error: {type(exc).__name__}: {exc} (set CALFRISK_DEBUG=1 for details)", 1)
