"""A runner's profile for ``calfrisk predict``: a YAML file and flags, validated."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, create_model, field_validator

from calfrisk.config.base import Frozen, describe_error, overlay, read_yaml
from calfrisk.exceptions import InputError
from calfrisk.factors import TRAITS
from calfrisk.readers.zone import find_zone

__all__ = ["RunnerProfile", "load_profile"]

NonNegative = Annotated[float, Field(ge=0)]
NonNegativeInt = Annotated[int, Field(ge=0)]


class RunnerProfile(Frozen):
    """What a runner can tell ``calfrisk predict`` besides the log: ``--profile FILE`` and flags.

    Every value is optional; one left out is replaced by the training cohort's typical value, the
    output says so, and that factor is never listed as a driver.
    """

    athlete_id: str = "runner"
    age: Annotated[float, Field(ge=10, le=100)] | None = None
    sex: Literal["F", "M"] | None = None
    prior_calf_strains: NonNegativeInt | None = None
    glute_test_score: NonNegative | None = None  # single-leg bridge repetitions, mean of both legs
    calf_test_score: NonNegative | None = None  # single-leg heel raises, mean of both legs
    warmup_habit: bool | None = None  # warms up before running
    stretching_habit: bool | None = None  # stretches after running
    shoe_km: dict[str, NonNegative] = Field(default_factory=dict)  # km before the log, by shoe name
    strains: list[dt.date] = Field(default_factory=list)  # calf-strain onsets inside the log's period
    # IANA zone of the runner's clock: start times a log gives in UTC only are read on it.
    timezone: str | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str | None) -> str | None:
        if name is not None and find_zone(name) is None:
            raise ValueError("not a time zone (give an IANA name such as Europe/Berlin)")
        return name


if TRAITS:  # each trait a runner may report, inside the trait's range
    RunnerProfile = create_model(  # type: ignore[misc]
        "RunnerProfile",
        __base__=RunnerProfile,
        __module__=__name__,
        __doc__=RunnerProfile.__doc__,
        **{
            f.trait.column: (Annotated[float, Field(ge=f.trait.low, le=f.trait.high)] | None, None)
            for f in TRAITS
        },
    )


def load_profile(path: str | Path | None = None, overrides: Mapping[str, Any] | None = None) -> RunnerProfile:
    """Load a runner's profile (YAML) and lay command-line values over it.

    Parameters
    ----------
    path : str or Path, optional
        A YAML file with the keys of :class:`RunnerProfile`.
    overrides : mapping, optional
        Values from flags; ``None`` values are ignored, ``shoe_km`` entries merge by shoe.

    Raises
    ------
    InputError
        If the file is unreadable, or a key is unknown, mistyped or out of range.

    Examples
    --------
    >>> load_profile(overrides={"age": 52.0, "shoe_km": {"Pegasus": 300.0}}).age
    52.0
    """
    data = read_yaml(Path(path)) if path is not None else {}
    # YAML writes dates unquoted; strict validation wants date objects, which safe_load gives.
    top = {key: value for key, value in (overrides or {}).items() if value not in (None, {}, ())}
    data = overlay(data, top)
    source = str(path) if path is not None else "profile"
    try:
        return RunnerProfile.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        if path is None or (error["loc"] and error["loc"][0] in top):
            source = "command line"
        raise InputError(f"{source}: {describe_error(error)}") from None
