"""Case-control sampling of athlete-days, reproducible whatever the chunking.

At the real injury rate about one athlete-day in a thousand is followed by a strain onset, so a
cohort large enough to hold a few thousand of them has millions of days that say "nothing
happened". Training and evaluation keep every positive day and a random share of the negative days,
each kept day carrying its inverse inclusion probability as a weight; weighted fits and weighted
metrics then estimate what the whole cohort would give (Horvitz-Thompson).

Every draw is a hash of the athlete, the day and the seed (:func:`stable_uniform`), not a stream of
a random generator: a day's fate does not depend on which chunk, worker or order it came in. The
split into training and test athletes is a hash of the athlete alone (:func:`athlete_side`).

A sample is bounded (:class:`BoundedSample`): when more rows than ``max_rows`` would be kept, both
classes are thinned by a common factor (threshold, or priority, sampling: Duffield, Lund and Thorup
2007), the weights grow to match, and memory stays flat however large the cohort.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["BoundedSample", "SamplingRates", "athlete_side", "stable_uniform"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
#: Streams of :func:`stable_uniform`: one per use, so the split and the sample are independent.
SPLIT_STREAM, SAMPLE_STREAM = 1, 2


def _splitmix(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser (Steele, Lea and Flood 2014): a bijection of uint64 that mixes well."""
    with np.errstate(over="ignore"):
        z = x + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _MIX1
        z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


def _athlete_keys(athlete_id: np.ndarray | pd.Series) -> np.ndarray:
    """uint64 keys of athlete ids: integers as they are, anything else by a stable hash of its text."""
    values = np.asarray(athlete_id)
    if values.dtype.kind in "iu":
        return values.astype(np.int64).astype(np.uint64)
    unique, inverse = np.unique(values.astype(str), return_inverse=True)
    digests = [int.from_bytes(hashlib.blake2b(v.encode(), digest_size=8).digest(), "little") for v in unique]
    return np.asarray(digests, dtype=np.uint64)[inverse]


def stable_uniform(
    athlete_id: np.ndarray | pd.Series,
    day: np.ndarray | pd.Series | None,
    seed: int,
    stream: int,
) -> np.ndarray:
    """A uniform in [0, 1) for each (athlete, day), a pure function of them, the seed and the stream.

    Parameters
    ----------
    athlete_id : array
        Integer ids, or any ids with a text form (hashed with BLAKE2b).
    day : array of datetime64 or int, optional
        The day (dates count as days since 1970-01-01); ``None`` for one draw per athlete.
    seed : int
        The seed; another seed gives independent draws.
    stream : int
        What the draws are for (:data:`SPLIT_STREAM`, :data:`SAMPLE_STREAM`).

    Returns
    -------
    numpy.ndarray
        float64 in [0, 1), 53 random bits each.

    Examples
    --------
    >>> u = stable_uniform(np.array([7, 7, 8]), np.array([0, 1, 0]), seed=0, stream=2)
    >>> bool(((u >= 0) & (u < 1)).all()), len(set(u.tolist()))
    (True, 3)
    >>> float(stable_uniform(np.array([8]), np.array([0]), 0, 2)[0]) == float(u[2])
    True
    """
    key = _splitmix(_athlete_keys(athlete_id))
    if day is not None:
        days = np.asarray(day)
        if days.dtype.kind == "M":
            days = days.astype("datetime64[D]").astype(np.int64)
        key = _splitmix(key ^ days.astype(np.int64).astype(np.uint64))
    salt = _splitmix(np.array([seed & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64) ^ np.uint64(stream))
    bits = _splitmix(key ^ salt)
    return (bits >> np.uint64(11)).astype(np.float64) * (1.0 / 2**53)


def athlete_side(athlete_id: np.ndarray | pd.Series, test_fraction: float, seed: int) -> np.ndarray:
    """Whether each athlete is held out for testing: a stable hash, whatever chunk holds the athlete.

    About ``test_fraction`` of the athletes are held out (each independently, so not exactly).

    Returns
    -------
    numpy.ndarray of bool
        True for a test athlete.

    Examples
    --------
    >>> side = athlete_side(np.arange(10_000), 0.2, seed=0)
    >>> round(float(side.mean()), 2), bool(athlete_side(np.array([42]), 0.2, seed=0)[0] == side[42])
    (0.2, True)
    """
    return stable_uniform(athlete_id, None, seed, SPLIT_STREAM) < test_fraction


@dataclass(frozen=True)
class SamplingRates:
    """Share of the positive and of the negative eligible days a sample keeps (before any bound).

    Examples
    --------
    >>> SamplingRates(negative=0.05).of(np.array([1, 0]))
    array([1.  , 0.05])
    """

    negative: float
    positive: float = 1.0

    def __post_init__(self) -> None:
        for name in ("negative", "positive"):
            value = getattr(self, name)
            if not 0.0 < value <= 1.0:
                raise ValueError(f"{name} sampling rate {value} is not in (0, 1]")

    def of(self, label: np.ndarray) -> np.ndarray:
        """Each row's rate, by its label."""
        return np.where(np.asarray(label) > 0, self.positive, self.negative)


@dataclass
class BoundedSample:
    """A case-control sample gathered chunk by chunk, never holding much more than ``max_rows`` rows.

    A row with uniform ``u`` (:func:`stable_uniform`) and rate ``c`` (:class:`SamplingRates`) has
    the key ``u / c`` and is kept when its key is below ``tau``: ``tau`` is 1 while the sample fits
    in ``max_rows`` (every row kept with probability ``c``), otherwise the key of the first row
    left out, so exactly ``max_rows`` rows stay, both classes thinned alike. A kept row's weight is
    ``1 / (c * tau)``, its inverse inclusion probability (exactly unbiased: priority sampling).
    The rows kept are those with the smallest keys, so they depend on the rows offered, not on
    their order or grouping.

    Parameters
    ----------
    rates : SamplingRates
    max_rows : int
        Most rows kept.

    Examples
    --------
    >>> rows = pd.DataFrame({"athlete_id": np.repeat(np.arange(100), 10), "day": np.tile(np.arange(10), 100)})
    >>> rows["label"] = (rows["day"] == 9).astype(int)
    >>> rows["u"] = stable_uniform(rows["athlete_id"], rows["day"], seed=0, stream=2)
    >>> sample = BoundedSample(SamplingRates(negative=0.1), max_rows=10_000)
    >>> sample.add(rows.iloc[:500]); sample.add(rows.iloc[500:])
    >>> kept = sample.result()
    >>> int(kept["label"].sum()), round(float(kept["weight"].sum()))  # every positive; 1,000 days estimated
    (100, 990)
    """

    rates: SamplingRates
    max_rows: int
    _parts: list[pd.DataFrame] = field(default_factory=list, repr=False)
    _held: int = 0
    _tau: float = 1.0
    offered: int = 0  # rows offered
    offered_positive: int = 0

    def __post_init__(self) -> None:
        if self.max_rows < 1:
            raise ValueError(f"max_rows {self.max_rows} is not a positive number of rows")

    @property
    def tau(self) -> float:
        """The common thinning factor so far (1 while the sample fits)."""
        return self._tau

    def add(self, rows: pd.DataFrame) -> None:
        """Offer rows: a frame with ``label`` (0/1) and ``u`` columns, any others carried along."""
        label = rows["label"].to_numpy()
        self.offered += len(rows)
        self.offered_positive += int(np.count_nonzero(label))
        key = rows["u"].to_numpy() / self.rates.of(label)
        kept = rows.loc[key < self._tau].assign(_key=key[key < self._tau])
        if len(kept):
            self._parts.append(kept)
            self._held += len(kept)
        if self._held > 2 * self.max_rows:  # amortised: thin once the held rows double
            self._thin()

    def _thin(self) -> None:
        if not self._parts:
            return
        held = pd.concat(self._parts, ignore_index=True) if len(self._parts) != 1 else self._parts[0]
        if len(held) > self.max_rows:
            keys = held["_key"].to_numpy()
            self._tau = min(self._tau, float(np.partition(keys, self.max_rows)[self.max_rows]))
            held = held.loc[keys < self._tau]
        self._parts, self._held = [held], len(held)

    def result(self, order: tuple[str, ...] = ("athlete_id", "date")) -> pd.DataFrame:
        """The sample, sorted by ``order`` (columns present), with its ``weight`` column.

        The rows offered are not needed again: the sample can grow after a result is taken.
        """
        self._thin()
        held = self._parts[0] if self._parts else pd.DataFrame()
        if held.empty:
            return held.assign(weight=np.empty(0))
        weight = 1.0 / (self.rates.of(held["label"].to_numpy()) * self._tau)
        out = held.drop(columns="_key").assign(weight=weight)
        by = [c for c in order if c in out.columns]
        return out.sort_values(by, kind="stable").reset_index(drop=True) if by else out
