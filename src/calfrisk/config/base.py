"""Shared by every YAML file calfrisk reads: reading it, laying one over another, naming the bad key.

Kept apart from :mod:`calfrisk.config` so that ``calfrisk predict`` (which reads only a runner's
profile, :mod:`calfrisk.predict.profile`) does not pay for building the cohort and train models.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from calfrisk.exceptions import InputError

__all__ = [
    "Frozen",
    "NonNegative",
    "NonNegativeInt",
    "Positive",
    "PositiveInt",
    "Probability",
    "describe_error",
    "load_validated",
    "overlay",
    "read_yaml",
]

Positive = Annotated[float, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]
Probability = Annotated[float, Field(ge=0, le=1)]
PositiveInt = Annotated[int, Field(gt=0)]
NonNegativeInt = Annotated[int, Field(ge=0)]


class Frozen(BaseModel):
    """Base of calfrisk's settings: strict, frozen, unknown keys refused."""

    # strict: "12" is not an int, true is not a number; extra="forbid": a typo is an error.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


def read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: config file not found") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read config file ({exc.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"{path}: not valid YAML{where}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping of sections at the top level")
    return data


def overlay(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    """Lay ``top`` over ``base`` key by key (mappings merge, everything else replaces)."""
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = overlay(out[key], value)
        else:
            out[key] = value
    return out


def describe_error(error: Mapping[str, Any]) -> str:
    key = ".".join(str(part) for part in error["loc"]) or "(top level)"
    if error["type"] == "extra_forbidden":
        return f"unknown key '{key}'"
    if error["type"] == "missing":
        return f"missing key '{key}'"
    given = error.get("input")
    shown = "" if isinstance(given, Mapping) else f" (got {given!r})"
    # A validator's own ValueError reads as written, without pydantic's "Value error, " prefix.
    reason = error.get("ctx", {}).get("error") if error["type"] == "value_error" else None
    return f"key '{key}': {reason if reason is not None else error['msg']}{shown}"


def load_validated(
    model: type[BaseModel], default: Path, path: str | Path | None, overrides: Mapping[str, Any] | None
):
    """``default`` (YAML), with ``path`` and then ``overrides`` laid over it, validated as ``model``.

    Raises
    ------
    InputError
        Naming the file and the first key that is unknown, missing, mistyped or out of range.
    """
    data = read_yaml(default)
    source = default
    if path is not None:
        source = Path(path)
        data = overlay(data, read_yaml(source))
    if overrides:
        data = overlay(data, overrides)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError(f"{source}: {describe_error(exc.errors()[0])}") from None
