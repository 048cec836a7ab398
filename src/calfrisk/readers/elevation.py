"""Elevation gain from a recorded altitude series, with a dead band against altitude noise.

Summing every rise of a recorded altitude counts its noise as climbing: GPS altitude wobbles by a
metre or more from one fix to the next, so a flat run "climbs" hundreds of metres. gpxpy's
``get_uphill_downhill`` (and ``smooth``) only average each point with its two neighbours before
summing every rise, and tcxreader sums the raw rises, so neither filters this. :func:`elevation_gain`
counts a climb only once the altitude has risen :data:`GAIN_THRESHOLD_M` above the lowest point since
the last descent of that size (hysteresis, the "dead band" of GPS tools), then counts it in full.

The device readers (:mod:`calfrisk.readers.device`) use it for GPX and TCX tracks and for FIT records
when the file gives no ``total_ascent`` (a device's own total is already filtered and is kept).

What a dead band cannot remove: the altitude of a watch without a barometer can drift tens of metres
away and back within a minute or two, which looks like a real hill. The Polar M400 sample, a flat run
in Bremen with altitudes from -50 to 26 m, still climbs 516 m (748 m summing every rise, 630.5 m by
gpxpy). Only the terrain's own heights (a digital elevation model, as Strava and Garmin Connect use)
would tell such drift from hills.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

__all__ = ["GAIN_THRESHOLD_M", "elevation_gain"]

#: Dead band of :func:`elevation_gain`, in metres. Consumer GPS altitude jitters by a few metres
#: between fixes (99 % of the 1-second steps of the Polar M400 sample are 3 m or less) and a
#: barometric altimeter by under one, so 5 m ignores that jitter; the climbs that matter for the
#: hills factor (tens of metres per km) are far larger, and a real rise under 5 m (a kerb, a ramp)
#: is lost at most once per hill.
GAIN_THRESHOLD_M = 5.0


def elevation_gain(elevations: Iterable[float | None], threshold: float = GAIN_THRESHOLD_M) -> float | None:
    """Total climb of an altitude series, ignoring wobbles smaller than ``threshold``.

    The series is walked once. While not climbing, it tracks the lowest point; when the altitude
    reaches ``threshold`` above that low, a climb starts and the whole rise from the low is counted.
    While climbing, every new top adds its rise; a drop of ``threshold`` below the top ends the
    climb and the low restarts there. Rises and drops smaller than ``threshold`` are thus noise.

    Parameters
    ----------
    elevations : iterable of float or None
        Altitudes in metres, in recording order. None and non-finite values (points without an
        altitude) are left out.
    threshold : float, default=:data:`GAIN_THRESHOLD_M`
        The dead band in metres, >= 0. With 0, every rise counts (the plain sum of positive steps).

    Returns
    -------
    float or None
        The climb in metres; None when the series holds no altitude at all.

    Raises
    ------
    ValueError
        If ``threshold`` is negative or not finite.

    Examples
    --------
    >>> elevation_gain([100, 102, 99, 101, 100])  # GPS jitter on flat ground
    0.0
    >>> elevation_gain([100, 102, 99, 101, 100], threshold=0)
    4.0
    >>> elevation_gain([100, 98, 110, 108, 120, 90, 96])  # up 22 m from the low, down, up 6 m
    28.0
    >>> elevation_gain([None, None]) is None
    True
    """
    if not (math.isfinite(threshold) and threshold >= 0):
        raise ValueError(f"threshold must be a finite number >= 0, got {threshold!r}")
    gain = 0.0
    low: float | None = None  # lowest altitude since the last descent, while not climbing
    top: float | None = None  # highest altitude of the climb being counted, while climbing
    seen = False
    for value in elevations:
        if value is None or not math.isfinite(value):
            continue
        seen = True
        if top is None:
            if low is None or value < low:
                low = value
            elif value - low >= threshold:
                gain += value - low
                top = value
        elif value > top:
            gain += value - top
            top = value
        elif top - value >= threshold:
            top, low = None, value
    return gain if seen else None
