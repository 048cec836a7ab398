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

from calfrisk.exceptions import CalfriskError, InputError, ParameterError, ShortLogError

__all__ = ["cli", "main"]

_PROG = "calfrisk"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="calfrisk", prog_name=_PROG)
def cli() -> None:
    """Model the risk of calf-muscle strain in runners."""


def _engine_options(command):
    """``--engine`` and ``--scheduler``: where the independent tasks run (:mod:`calfrisk.engine`)."""
    command = click.option(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="A running Dask scheduler (e.g. tcp://10.0.0.5:8786); implies --engine dask.",
    )(command)
    return click.option(
        "--engine",
        type=click.Choice(["threads", "dask"]),
        default="threads",
        show_default=True,
        help="Threads of this process, or Dask (without --scheduler: a local cluster, a worker per core).",
    )(command)


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
    required=True,
    help="Output folder (must not exist or be empty): a path, or an fsspec URL (s3://..., gs://...).",
)
@click.option("--overwrite", is_flag=True, help="Replace a non-empty output folder.")
@click.option(
    "--jobs",
    type=click.IntRange(min=-1),
    default=-1,
    show_default=True,
    help="Worker threads (-1: one per core).",
)
@_engine_options
def simulate(
    config_path: Path | None,
    athletes: int | None,
    days: int | None,
    seed: int | None,
    out_dir: str,
    overwrite: bool,
    jobs: int,
    engine: str,
    scheduler: str | None,
) -> None:
    """Simulate a cohort of runners and write its tables as Parquet."""
    from calfrisk.cli.terminal import print_cohort_summary, progress_bar
    from calfrisk.config import load_cohort_config
    from calfrisk.engine import open_engine
    from calfrisk.simulate import simulate_cohort
    from calfrisk.storage import check_output

    if jobs == 0:
        raise click.BadParameter("0 workers cannot run anything", param_hint="'--jobs'")
    cohort = {"n_athletes": athletes, "n_days": days, "seed": seed}
    overrides = {"cohort": {k: v for k, v in cohort.items() if v is not None}}
    cfg = load_cohort_config(config_path, overrides)
    check_output(out_dir, overwrite=overwrite)
    with (
        open_engine(engine, scheduler=scheduler, n_jobs=jobs) as tasks,
        progress_bar("simulating chunks") as advance,
    ):
        summary = simulate_cohort(cfg, out_dir, overwrite=overwrite, progress=advance, engine=tasks)
    print_cohort_summary(summary, cfg, out_dir)


@cli.command()
@click.option("--data", "data_dir", required=True, help="Cohort folder: a path, or an fsspec URL (s3://...).")
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
@_engine_options
def train(
    data_dir: str,
    config_path: Path | None,
    experiment: str,
    out_dir: Path | None,
    overwrite: bool,
    metrics_json: Path | None,
    models: str | None,
    register: str | None,
    no_tracking: bool,
    engine: str,
    scheduler: str | None,
) -> None:
    """Train and evaluate the models on a simulated cohort; log them to MLflow."""
    from calfrisk.cli.terminal import print_training, step_progress
    from calfrisk.config import load_train_config
    from calfrisk.tracking.training import run_training

    cfg = load_train_config(config_path)
    chosen = None if models is None else [m.strip() for m in models.split(",") if m.strip()]
    if register is not None and no_tracking:
        raise click.UsageError("--register needs tracking: drop --no-tracking")
    if not no_tracking:
        # The progress steps report the logging; mlflow's own INFO lines and download bars
        # (checking the input example) would interleave with them. Its warnings still show; either
        # variable set by the user wins. Set before mlflow is first imported, which reads them.
        os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    with step_progress() as progress:
        run = run_training(
            data_dir,
            cfg,
            models=chosen,
            out_dir=out_dir,
            overwrite=overwrite,
            metrics_json=metrics_json,
            tracking=not no_tracking,
            experiment=experiment,
            register_as=register,
            progress=progress,
            engine=engine,
            scheduler=scheduler,
        )
    print_training(run.result, run.run_id)


@cli.command()
@click.option("--experiment", default="calfrisk", show_default=True, help="MLflow experiment.")
@click.option(
    "--sort",
    default="roc_auc",
    show_default=True,
    help="A metric column of the table (e.g. roc_auc_skill_vs_oracle, calibration_slope, brier).",
)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def compare(experiment: str, sort: str, fmt: str) -> None:
    """Compare the tracked runs of an experiment side by side."""
    from calfrisk.tracking.runs import COMPARE_METRICS, compare_runs

    if sort not in COMPARE_METRICS:
        raise InputError(f"--sort {sort}: not a metric of the table ({', '.join(COMPARE_METRICS)})")
    try:
        table = compare_runs(experiment, sort)
    except KeyError:
        raise InputError(f"--experiment {experiment}: no such MLflow experiment") from None
    if fmt == "json":
        click.echo(table.to_json(orient="records", indent=2))
    else:
        from calfrisk.cli.terminal import print_comparison

        print_comparison(table)


def _shoe_km(values: tuple[str, ...]) -> dict[str, float]:
    shoes: dict[str, float] = {}
    for value in values:
        name, sep, km = value.rpartition("=")
        try:
            shoes[name.strip()] = float(km)
        except ValueError:
            sep = ""
        if not sep or not name.strip():
            raise click.BadParameter(
                f"{value!r}: expected NAME=KM, e.g. Pegasus=420", param_hint="'--shoe-km'"
            )
    return shoes


@cli.command()
@click.argument("logs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--model",
    "model_ref",
    required=True,
    help="Model directory (`calfrisk train --out`) or MLflow URI (models:/calfrisk@champion, runs:/...).",
)
@click.option(
    "--profile",
    "profile_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Runner profile (YAML; see examples/runner_profile.yaml). Flags override it.",
)
@click.option("--athlete-id", default=None, help="Name for the runner in the output.  [default: runner]")
@click.option("--age", type=click.FloatRange(10, 100), default=None, help="Age in years.")
@click.option("--sex", type=click.Choice(["F", "M"]), default=None)
@click.option(
    "--prior-strains", type=click.IntRange(min=0), default=None, help="Calf strains before the log."
)
@click.option(
    "--glute-score", type=click.FloatRange(min=0), default=None, help="Single-leg bridges, mean of legs."
)
@click.option(
    "--calf-score", type=click.FloatRange(min=0), default=None, help="Single-leg heel raises, mean of legs."
)
@click.option(
    "--shoe-km", multiple=True, metavar="NAME=KM", help="Km a shoe had before the log (repeatable)."
)
@click.option(
    "--date",
    "day",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Score this day.  [default: the last day of the log]",
)
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), default=None, help="First day to score.")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Last day to score.")
@click.option("--units", type=click.Choice(["km", "mi"]), default=None, help="Distance unit of a Garmin CSV.")
@click.option(
    "--timezone",
    default=None,
    metavar="ZONE",
    help="Your IANA time zone (e.g. Europe/Berlin): start times a log gives in UTC only are read on "
    "it. Overrides the profile's timezone.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True
)
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write a PNG: daily km, acute:chronic ratio and risk over the log.",
)
def predict(
    logs: tuple[Path, ...],
    model_ref: str,
    profile_path: Path | None,
    athlete_id: str | None,
    age: float | None,
    sex: str | None,
    prior_strains: int | None,
    glute_score: float | None,
    calf_score: float | None,
    shoe_km: tuple[str, ...],
    day,
    start,
    end,
    units: str | None,
    timezone: str | None,
    fmt: str,
    plot_path: Path | None,
) -> None:
    """Risk of a calf strain in the next days, from a runner's own training log.

    LOG is calfrisk's own CSV, a Strava export (zip, folder or activities.csv), a Garmin
    Activities.csv, or FIT/GPX/TCX files or folders (gzipped or not); give as many as needed.
    """
    import datetime as dt

    if day is not None and (start is not None or end is not None):
        raise click.UsageError("give either --date or --from/--to, not both")
    if plot_path is not None and plot_path.suffix.lower() != ".png":
        raise click.BadParameter(
            f"{plot_path}: the plot is written as PNG (name it *.png)", param_hint="'--plot'"
        )
    if plot_path is not None:
        from calfrisk.io import check_output_file

        check_output_file(plot_path, parameter="plot_path")
    from calfrisk.predict.profile import load_profile
    from calfrisk.predict.scoring import forecast
    from calfrisk.readers import read_logs
    from calfrisk.readers.zone import load_zone

    overrides = {
        "athlete_id": athlete_id,
        "age": age,
        "sex": sex,
        "prior_calf_strains": prior_strains,
        "glute_test_score": glute_score,
        "calf_test_score": calf_score,
        "shoe_km": _shoe_km(shoe_km),
        "timezone": timezone,
    }
    if timezone is not None:
        load_zone(timezone)  # a bad flag is named as the flag, not as a profile key
    profile = load_profile(profile_path, overrides)
    model, metadata = _load_predict_model(model_ref)
    today = dt.date.today()
    run_log = read_logs(list(logs), units=units, today=today, timezone=profile.timezone)
    first = (day or start).date() if (day or start) else None
    last = (day or end).date() if (day or end) else None
    try:
        result = forecast(
            run_log.sessions,
            model,
            metadata,
            profile,
            start=first,
            end=last or None,
            today=today,
            notes=list(run_log.notes),
        )
    except ShortLogError as exc:
        raise ShortLogError(f"{exc}. {SHORT_LOG_ADVICE}") from None
    if plot_path is not None:
        _write_plot(result, metadata["horizon_days"], plot_path)
    if fmt == "table":
        from calfrisk.cli.terminal import print_forecast

        print_forecast(result, dict(run_log.skipped))
    else:
        _echo_records(result, run_log.skipped, fmt)


def _write_plot(result, horizon_days: int, path: Path) -> None:
    """The forecast's timeline as a PNG, written atomically."""
    import io

    from calfrisk.figures import risk_timeline_figure
    from calfrisk.io import atomic_write_bytes

    figure = risk_timeline_figure(
        result.timeline, average=result.average, horizon_days=horizon_days, relative=result.relative
    )
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=120)
    atomic_write_bytes(path, buffer.getvalue())


def _echo_records(result, skipped: dict[str, int], fmt: str) -> None:
    """JSON or CSV on stdout, machine-readable; what was skipped, the notes and the disclaimer on stderr."""
    from calfrisk.predict.advice import DISCLAIMER
    from calfrisk.predict.records import forecast_csv, forecast_json

    click.echo(forecast_json(result) if fmt == "json" else forecast_csv(result), nl=False)
    if skipped:
        listed = ", ".join(f"{n} {kind}" for kind, n in sorted(skipped.items()))
        click.echo(f"skipped (not running): {listed}", err=True)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(DISCLAIMER, err=True)


#: What to do when the log given is too short (one watch file, say), appended to the refusal.
SHORT_LOG_ADVICE = (
    "Give the weeks before as well: a folder of your watch's files, an export (Strava zip, "
    "Garmin Activities.csv), or a longer log beside this file (`calfrisk predict history.csv "
    "today.fit` scores today's run on the history)"
)


def _load_predict_model(reference: str) -> tuple[object, dict]:
    """A model directory, or an MLflow model URI (fetched through tracking, which imports mlflow)."""
    from calfrisk.predict.persist import load_model

    if reference.startswith(("models:/", "runs:/", "mlflow-artifacts:/")):
        from calfrisk.tracking.runs import fetch_model_dir

        return load_model(fetch_model_dir(reference))
    return load_model(reference)


@cli.command()
@click.option("--model", "model_ref", required=True, help="Model directory, or an MLflow model URI.")
@click.option("--data", "data_dir", required=True, help="Cohort folder (simulated or imported).")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Train config (YAML): the days' sampling (sampling.test), bootstrap, oracle rollouts.",
)
@click.option("--metrics-json", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--experiment", default="calfrisk", show_default=True, help="MLflow experiment.")
@click.option("--no-tracking", is_flag=True, help="Do not log to MLflow.")
@_engine_options
def evaluate(
    model_ref: str,
    data_dir: str,
    config_path: Path | None,
    metrics_json: Path | None,
    experiment: str,
    no_tracking: bool,
    engine: str,
    scheduler: str | None,
) -> None:
    """Score a trained model on a cohort it was not trained on (external validation)."""
    from calfrisk.cli.terminal import print_evaluation, step_progress
    from calfrisk.config import load_train_config
    from calfrisk.tracking.evaluation import run_evaluation

    cfg = load_train_config(config_path)
    model, metadata = _load_predict_model(model_ref)
    if not no_tracking:
        os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    with step_progress() as progress:
        run = run_evaluation(
            model, metadata, model_ref, data_dir, cfg, metrics_json=metrics_json, tracking=not no_tracking,
            experiment=experiment, progress=progress, engine=engine, scheduler=scheduler,
        )  # fmt: skip
    print_evaluation(run.validation, run.run_id)


@cli.command()
@click.option(
    "--design",
    "design_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Study design (YAML), laid over the shipped one.  [default: configs/study.yaml]",
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The study's folder; run again with the same design to resume an interrupted study.",
)
@click.option("--overwrite", is_flag=True, help="Replace a folder that holds another study.")
@click.option("--jobs", type=int, default=-1, show_default=True, help="Threads (-1: one per core).")
@click.option("--experiment", default="calfrisk-study", show_default=True, help="MLflow experiment.")
@click.option("--no-tracking", is_flag=True, help="Do not log to MLflow.")
@_engine_options
def study(
    design_path: Path | None,
    out_dir: Path,
    overwrite: bool,
    jobs: int,
    experiment: str,
    no_tracking: bool,
    engine: str,
    scheduler: str | None,
) -> None:
    """How far the models' conclusions carry when the simulator's assumptions are wrong, and how
    many runners a study needs: a misspecification sweep and a power analysis (docs/guide/study.md)."""
    from calfrisk.cli.terminal import print_study
    from calfrisk.config.study import load_study_design
    from calfrisk.engine import open_engine
    from calfrisk.study.run import check_study_folder, plan_study, run_study

    design = load_study_design(design_path)
    plan = plan_study(design, design_path)  # every world checked before anything is written
    resuming = check_study_folder(plan, out_dir, overwrite=overwrite)
    if not no_tracking:
        from calfrisk.tracking.runs import check_tracking

        check_tracking(experiment)
        os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    say = lambda line: click.echo(f"  {line}", err=True)  # noqa: E731
    say(f"{len(plan.tasks)} tasks, {len(plan.worlds)} worlds" + (", resuming" if resuming else ""))
    with open_engine(engine, scheduler=scheduler, n_jobs=jobs) as tasks:
        result = run_study(plan, out_dir, engine=tasks, overwrite=overwrite, progress=say)
    run_id = None
    if not no_tracking:
        from calfrisk.tracking.study import log_study

        run_id = log_study(result, plan, experiment)
    print_study(result, run_id)


@cli.command("import")
@click.argument("source", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["runners", "lovdal"]),
    default="runners",
    show_default=True,
    help="runners: a folder with one subfolder or file per runner; lovdal: the Lövdal et al. (2021) "
    "day-approach CSV.",
)
@click.option("--injuries", type=click.Path(path_type=Path), default=None, help="injuries.csv (runners).")
@click.option("--athletes", type=click.Path(path_type=Path), default=None, help="athletes.csv (runners).")
@click.option("--shoes", type=click.Path(path_type=Path), default=None, help="shoes.csv (runners).")
@click.option("--timezone", default=None, help="IANA zone for start times given in UTC only (runners).")
@click.option("--units", type=click.Choice(["km", "mi"]), default=None, help="Garmin CSVs' distance unit.")
@click.option(
    "--start",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="lovdal: the calendar day of Date 0 (the file gives day counts only).  [default: 2012-01-01]",
)
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path), help="Cohort folder.")
@click.option("--overwrite", is_flag=True, help="Replace a non-empty output folder.")
@click.option(
    "--pseudonymise",
    "mapping_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Replace runner ids by salted hashes; write the id -> pseudonym mapping to this CSV (not in --out).",
)
@click.option("--strict", is_flag=True, help="Refuse the import if any runner's files cannot be read.")
@click.option("--jobs", type=click.IntRange(min=-1), default=-1, show_default=True, help="Parallel readers.")
def import_cohort(
    source: Path,
    fmt: str,
    injuries: Path | None,
    athletes: Path | None,
    shoes: Path | None,
    timezone: str | None,
    units: str | None,
    start: object,
    out_dir: Path,
    overwrite: bool,
    mapping_path: Path | None,
    strict: bool,
    jobs: int,
) -> None:
    """Import a real cohort (runners' files and injury records, or the Lövdal data set) as a cohort folder."""
    from calfrisk.cli.terminal import print_import
    from calfrisk.ingest.cohort import write_cohort
    from calfrisk.io import atomic_write_text, check_output_file
    from calfrisk.storage import check_output

    if jobs == 0:
        raise click.BadParameter("0 workers cannot run anything", param_hint="'--jobs'")
    given = {"--injuries": injuries, "--athletes": athletes, "--shoes": shoes, "--timezone": timezone,
             "--units": units, "--pseudonymise": mapping_path, "--strict": strict or None}  # fmt: skip
    if fmt == "lovdal":
        extra = [flag for flag, value in given.items() if value is not None]
        if extra:
            raise click.UsageError(f"{extra[0]} is for --format runners (the Lövdal file holds its injuries)")
    elif injuries is None:
        raise click.UsageError("--injuries is required with --format runners (a header only: no injuries)")
    if start is not None and fmt != "lovdal":
        raise click.UsageError("--start is for --format lovdal")
    check_output(out_dir, overwrite=overwrite)
    if mapping_path is not None:
        if mapping_path.resolve().is_relative_to(out_dir.resolve()):
            hint = "'--pseudonymise'"
            raise click.BadParameter("keep the mapping out of the cohort folder", param_hint=hint)
        check_output_file(mapping_path, parameter="--pseudonymise")
    mapping: dict[str, str] = {}
    if fmt == "lovdal":
        from calfrisk.ingest.lovdal import DEFAULT_ANCHOR, read_lovdal

        cohort = read_lovdal(source, start=start.date() if start is not None else DEFAULT_ANCHOR)
    else:
        from calfrisk.ingest.runners import import_runners

        cohort, mapping = import_runners(
            source, injuries, athletes=athletes, shoes=shoes, timezone=timezone, units=units,
            strict=strict, pseudonymise=mapping_path is not None, n_jobs=jobs,
        )  # fmt: skip
    write_cohort(cohort, out_dir, overwrite=overwrite)
    if mapping_path is not None:
        rows = "".join(f"{a},{p}\n" for a, p in sorted(mapping.items()))
        atomic_write_text(mapping_path, "athlete_id,pseudonym\n" + rows)
    print_import(cohort, out_dir, mapping_path)


#: The library's parameters and the flags that set them: its errors name the parameter, the
#: command line the flag.
FLAGS = {
    "data_dir": "--data",
    "out_dir": "--out",
    "overwrite": "--overwrite",
    "metrics_json": "--metrics-json",
    "register_as": "--register",
    "experiment": "--experiment",
    "model": "--model",
    "start": "--from/--date",
    "end": "--to/--date",
    "shoe_km": "--shoe-km",
    "timezone": "--timezone",
    "plot_path": "--plot",
    "models": "--models",
    "units": "--units",
    "engine": "--engine",
    "scheduler": "--scheduler",
    "design": "--design",
}


def _flagged(message: str) -> str:
    """A library message with the parameters it names in backticks written as their flags."""
    for parameter, flag in FLAGS.items():
        message = message.replace(f"`{parameter}`", f"`{flag}`")
    return message


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
    except ParameterError as exc:
        _fail(str(exc.renamed(FLAGS)), exc.exit_code)
    except CalfriskError as exc:
        _fail(_flagged(str(exc)), exc.exit_code)
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except Exception as exc:
        if os.environ.get("CALFRISK_DEBUG"):
            raise
        _fail(f"internal error: {type(exc).__name__}: {exc} (set CALFRISK_DEBUG=1 for details)", 1)
