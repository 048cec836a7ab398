"""Generate the reference pages from the code: the config from its pydantic models, the tables from
``calfrisk.schema``. Run by mkdocs-gen-files at every build, so the pages cannot drift from the code."""

from __future__ import annotations

import json
import types
import typing

import mkdocs_gen_files
from pydantic import BaseModel

from calfrisk import schema
from calfrisk.config import default_cohort_path, default_train_path, load_cohort_config, load_train_config

def _bounds(metadata: typing.Iterable[object]) -> str:
    found = []
    for item in metadata:
        for attribute, sign in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<=")):
            value = getattr(item, attribute, None)
            if value is not None:
                found.append(f"{sign} {value}")
    return ", ".join(found)


def _type(annotation: object, metadata: typing.Iterable[object] = ()) -> str:
    """A field's type as a reader wants it: ``int > 0``, ``TruncatedNormal``, ``list[float >= 0, <= 1]``."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type(args[0], [*args[1:], *metadata])
    if origin in (list, tuple, dict):
        name = f"{origin.__name__}[{', '.join(_type(arg) for arg in args)}]"
    elif origin in (typing.Union, types.UnionType):
        name = " | ".join("None" if arg is type(None) else _type(arg) for arg in args)
    elif origin is typing.Literal:
        name = " | ".join(repr(arg) for arg in args)
    elif isinstance(annotation, type):
        name = annotation.__name__
    else:
        name = str(annotation).replace("typing.", "")
    bounds = _bounds(metadata)
    return f"{name} {bounds}" if bounds else name


def _models_in(annotation: object) -> set[type[BaseModel]]:
    """The pydantic models a field's type names (inside lists, dicts and unions too)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return {annotation}
    return {model for arg in typing.get_args(annotation) for model in _models_in(arg)}


def _field_type(model: type[BaseModel], name: str) -> str:
    field = model.model_fields[name]
    return _type(field.annotation, field.metadata)


def _value(value: object) -> str:
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    text = json.dumps(value, default=str)
    return f"`{text}`" if len(text) <= 60 else f"`{text[:57]}...`"


def _section(model: type[BaseModel], values: BaseModel, title: str) -> list[str]:
    doc = (model.__doc__ or "").strip().split("\n\n")[0]
    lines = [f"### `{title}`", "", doc, "", "| key | type | default |", "|---|---|---|"]
    for name in model.model_fields:
        lines.append(f"| `{name}` | {_field_type(model, name)} | {_value(getattr(values, name))} |")
    return [*lines, ""]


def config_page() -> str:
    cohort, train = load_cohort_config(), load_train_config()
    lines = [
        "# Configuration reference",
        "",
        "Generated from the pydantic models (`calfrisk.config`) and the shipped defaults at every",
        "build of this site. A config of your own is laid over the defaults key by key; unknown keys,",
        "wrong types and out-of-range values are refused with one line naming the key.",
        "",
        "## Cohort config (`calfrisk simulate --config`)",
        "",
    ]
    for name in type(cohort).model_fields:
        section = getattr(cohort, name)
        lines += _section(type(section), section, name)
    lines += ["## Train config (`calfrisk train --config`)", ""]
    for name in type(train).model_fields:
        section = getattr(train, name)
        if isinstance(section, BaseModel):
            lines += _section(type(section), section, name)
        else:
            lines += [f"### `{name}`", "", f"Default: {_value(section)}", ""]
    lines += ["## Compound types", "", "The values the tables above write as one type name.", ""]
    sections = [type(getattr(c, n)) for c in (cohort, train) for n in type(c).model_fields]
    compound = {
        model
        for section in sections
        if issubclass(section, BaseModel)
        for field in section.model_fields.values()
        for model in _models_in(field.annotation)
    }
    for model in sorted(compound, key=lambda m: m.__name__):
        doc = (model.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
        keys = ", ".join(f"`{k}` ({_field_type(model, k)})" for k in model.model_fields)
        lines += [f"- **{model.__name__}**: {doc} Keys: {keys}."]
    lines.append("")
    for title, path in (("cohort", default_cohort_path()), ("train", default_train_path())):
        lines += [
            f"## The shipped `{title}.yaml`, with the source of every value",
            "",
            "```yaml",
            path.read_text(encoding="utf-8").rstrip(),
            "```",
            "",
        ]
    return "\n".join(lines)


TABLES_INTRO = """\
`DIR/<name>.parquet` for each of the five tables, read with `pandas.read_parquet(DIR / "<name>.parquet")`. A cohort
of one chunk writes one file per table; larger cohorts write a folder of `part-NNNNN.parquet` files
per table (a partitioned dataset, read the same way, in athlete order). Rows are sorted by athlete,
then date. Dates are calendar days as midnight timestamps. Everything appears when the run succeeds;
a failed run leaves `DIR` as it was. Also in `DIR`: `config.yaml` (the resolved config, which
regenerates the same cohort) and `summary.json` (the figures `simulate` prints: athlete-days, running
sessions, km, running hours, strains by grade, expected strains as the sum of the true hazards,
strains per 1000 running hours, and the share of running days followed by a strain within 7 days).
"""

#: What a table's columns alone do not say.
TABLE_NOTES = {
    "athletes": "One row per athlete. Columns starting with `latent_` are simulator truth that no runner "
    "can report; the others are the observable profile.",
    "training_log": "One row per running session.",
    "injuries": "One row per calf-strain onset inside the window.",
    "truth": "One row per athlete-day. `mult_<factor>` is one column per risk factor of the "
    "[simulated world](../world.md).",
    "shoes": "The shoes in use on the first simulated day and the km they had run before it (what a runner "
    "can report; shoes bought later start at 0 km).",
}

TABLES = {
    "athletes": schema.ATHLETE_COLUMNS,
    "training_log": schema.TRAINING_LOG_COLUMNS,
    "injuries": schema.INJURY_COLUMNS,
    "truth": schema.TRUTH_COLUMNS,
    "shoes": schema.SHOE_COLUMNS,
}


def _columns(columns: dict[str, str]) -> list[str]:
    lines = ["| column | type | meaning |", "|---|---|---|"]
    for name, text in columns.items():
        dtype, _, meaning = text.partition(": ")
        lines.append(f"| `{name}` | {dtype} | {meaning} |")
    return [*lines, ""]


def tables_page() -> str:
    assert set(TABLES) == set(schema.TABLES), "a table of calfrisk.schema.TABLES has no section here"
    lines = ["# Table schemas", "", TABLES_INTRO, ""]
    for name in schema.TABLES:
        lines += [f"## `{name}`", "", TABLE_NOTES[name], "", *_columns(TABLES[name])]
    lines += [
        "## A runner's log (what every reader returns)",
        "",
        "One row per running session, sorted by `start_time`; optional values are missing, never guessed.",
        "",
        *_columns(schema.RUN_LOG_COLUMNS),
    ]
    return "\n".join(lines)


with mkdocs_gen_files.open("reference/config.md", "w") as page:
    page.write(config_page())
with mkdocs_gen_files.open("reference/tables.md", "w") as page:
    page.write(tables_page())
