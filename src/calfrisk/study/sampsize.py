"""The minimum sample size for developing a risk model of a binary outcome, by Riley et al.'s criteria.

A model with ``parameters`` candidate predictor parameters, developed on ``n`` runner-days of which
a fraction ``prevalence`` end in a strain, is expected to overfit little if ``n`` meets three
criteria (Riley et al. 2019, Part II; Riley et al. 2020, BMJ):

1. ``shrinkage``: the expected uniform shrinkage of the predictor effects is at least 0.9,
   ``n = P / ((S - 1) ln(1 - R2_CS / S))``;
2. ``optimism``: the apparent and adjusted Nagelkerke R2 differ by at most 0.05, that is criterion 1
   at the shrinkage ``S = R2_CS / (R2_CS + 0.05 max R2_CS)``, where
   ``max R2_CS = 1 - exp(2 lnL_null / n)``;
3. ``risk_precision``: the overall risk is estimated within +/- 0.05,
   ``n = (1.96 / 0.05)^2 p (1 - p)``;

and the minimum sample size is the largest of the three, each rounded up. This is what the
``pmsampsize`` package (R, Stata and Python; Ensor et al.) computes for ``type = "b"``, with its
arithmetic and rounding (from version 1.1.1 of the R package, which stopped rounding max R2_CS and
the criterion 2 shrinkage). The anticipated Cox-Snell R2 (R2_CS) comes from an earlier model, or from
an anticipated C-statistic by the simulation of Riley, Van Calster & Collins (2021), as the
package's ``cstat2rsq`` does: :func:`cstatistic_to_r2cs`.

Where ``pmsampsize`` imports (its Python port needs Python 3.12 or later) and the settings are the
package's own (0.05 optimism and margin, 1,000,000 simulated rows), :func:`riley_sample_size` hands
the calculation to it; elsewhere it computes the same criteria itself.

References
----------
Riley RD, Snell KIE, Ensor J, et al. Minimum sample size for developing a multivariable prediction
model: Part II - binary and time-to-event outcomes. Stat Med 2019;38:1276-96. doi:10.1002/sim.7992

Riley RD, Ensor J, Snell KIE, et al. Calculating the sample size required for developing a clinical
prediction model. BMJ 2020;368:m441. doi:10.1136/bmj.m441

Riley RD, Van Calster B, Collins GS. A note on estimating the Cox-Snell R2 from a reported C
statistic (AUROC) to inform sample size calculations for developing a prediction model with a
binary outcome. Stat Med 2021;40:859-64. doi:10.1002/sim.8806
"""

from __future__ import annotations

import importlib
import math
import numbers
from dataclasses import asdict, dataclass
from statistics import NormalDist

import numpy as np

from calfrisk.exceptions import ParameterError

__all__ = ["SampleSize", "cstatistic_to_r2cs", "cstatistic_to_r2cs_limit", "riley_sample_size"]

#: The criteria in pmsampsize's order, by the names :attr:`SampleSize.criteria` gives them.
CRITERIA = ("shrinkage", "optimism", "risk_precision")

# pmsampsize's fixed settings: a call with other values is computed here, never handed to it.
_PACKAGE_OPTIMISM = 0.05
_PACKAGE_MARGIN = 0.05
_PACKAGE_N_SIM = 1_000_000
# The 97.5% normal quantile as pmsampsize writes it (not 1.959964...), so criterion 3 rounds alike.
_Z = 1.96


@dataclass(frozen=True)
class SampleSize:
    """The minimum sample size by Riley et al.'s criteria, and what it rests on.

    Attributes
    ----------
    n : int
        The minimum sample size: the largest of :attr:`criteria`.
    events : float
        The outcome events expected among ``n``: ``n * prevalence``.
    events_per_parameter : float
        ``events / parameters`` (pmsampsize prints it rounded to 2 decimals: EPP).
    criteria : dict of str to int
        The sample size each criterion needs: ``"shrinkage"`` (criterion 1), ``"optimism"``
        (criterion 2) and ``"risk_precision"`` (criterion 3).
    r2_cs : float
        The anticipated Cox-Snell R2 the criteria used (from a C-statistic: rounded to 4 decimals,
        as pmsampsize rounds it).
    max_r2_cs : float
        The largest Cox-Snell R2 possible at the prevalence, ``1 - exp(2 lnL_null / n)``.
    shrinkage : float
        The expected shrinkage at ``n`` as pmsampsize reports it: the larger of the target and the
        one criterion 2 asks for. Where criterion 3 sets ``n``, the shrinkage there is higher still.
    """

    n: int
    events: float
    events_per_parameter: float
    criteria: dict[str, int]
    r2_cs: float
    max_r2_cs: float
    shrinkage: float

    def to_dict(self) -> dict:
        """The fields as a plain dictionary (``criteria`` a copy), for JSON or a table row."""
        return asdict(self)


def cstatistic_to_r2cs(
    cstatistic: float, prevalence: float, *, n_sim: int = 1_000_000, seed: int = 123456
) -> float:
    """The Cox-Snell R2 a logistic model with a given C-statistic has at a given prevalence.

    Simulates, as pmsampsize's ``cstat2rsq`` does (Riley, Van Calster & Collins 2021), ``n_sim``
    rows: ``int(prevalence * n_sim)`` events with a linear predictor drawn from
    ``N(sqrt(2) * Phi^-1(C), 1)`` and ``int((1 - prevalence) * n_sim)`` non-events from ``N(0, 1)``
    (two normals whose C-statistic is ``C``), fits a logistic regression of the outcome on the
    linear predictor and returns ``1 - exp(-LR / n)``, ``LR`` its likelihood-ratio statistic.

    Parameters
    ----------
    cstatistic : float
        The anticipated C-statistic (AUROC), strictly between 0.5 and 1.
    prevalence : float
        The outcome proportion, strictly between 0 and 1.
    n_sim : int, default 1,000,000
        The rows simulated (pmsampsize's fixed number). Larger shrinks the Monte Carlo error.
    seed : int, default 123456
        The seed of :func:`numpy.random.default_rng` (pmsampsize's default seed): the same
        arguments give the same value.

    Returns
    -------
    float
        The Cox-Snell R2, unrounded.

    Raises
    ------
    ParameterError
        A C-statistic or prevalence out of range, or an ``n_sim`` that simulates no event or no
        non-event at this prevalence.

    Notes
    -----
    The value carries Monte Carlo error, relative standard deviation at most about
    ``2 / sqrt(n_sim * R2_CS)`` (that of the likelihood-ratio statistic). Measured over 8 seeds at
    the default 1,000,000 rows: 0.2% at prevalence 0.174 and C 0.89; at prevalence 0.01, 2% (C 0.8)
    and 3% (C 0.7); at 0.005, 3% and 4.5%; at 0.001 (1,000 simulated events, as in pmsampsize),
    6% and 10%. The sample size criteria 1 and 2 scale nearly as ``1 / R2_CS``, so they carry the
    same relative error: at prevalences near 0.001 raise ``n_sim`` (10,000,000 rows cut the error
    by about 3; the fit takes about 2 s per million rows).

    One seed is one draw: at prevalence 0.001 and C 0.7 the default seed gives 0.00068, where the
    noise-free value (the limit as ``n_sim`` grows, ``1 - exp(-2 I)`` with ``I`` the mutual
    information of outcome and linear predictor) is 0.00055. The draws are numpy's, not R's nor
    the Python port's (which seeds the legacy ``numpy.random.seed``), so the value differs from the
    package's by this Monte Carlo error: 0.2906 here against its 0.2908 at C 0.89, prevalence 0.174.

    Examples
    --------
    >>> round(cstatistic_to_r2cs(0.89, 0.174, n_sim=20_000), 2)
    0.29
    """
    _check_cstatistic(cstatistic)
    _check_prevalence(prevalence)
    if isinstance(n_sim, bool) or not isinstance(n_sim, numbers.Integral) or n_sim < 1:
        raise ParameterError("n_sim", n_sim, "must be a whole number of at least 1")
    n_events, n_non_events = int(prevalence * n_sim), int((1 - prevalence) * n_sim)
    if min(n_events, n_non_events) < 1:
        reason = f"simulates {n_events} events and {n_non_events} non-events at `prevalence` {prevalence}"
        raise ParameterError("n_sim", n_sim, f"{reason}: needs at least one of each")
    # statsmodels is a development dependency of calfrisk: imported here, where it is needed.
    import statsmodels.api as sm

    mu = math.sqrt(2) * NormalDist().inv_cdf(cstatistic)
    rng = np.random.default_rng(seed)
    lp = np.concatenate([rng.normal(mu, 1.0, n_events), rng.normal(0.0, 1.0, n_non_events)])
    y = np.concatenate([np.ones(n_events), np.zeros(n_non_events)])
    fit = sm.Logit(y, np.column_stack([np.ones_like(lp), lp])).fit(disp=0)
    if not fit.mle_retvals["converged"]:
        raise RuntimeError(f"the logistic fit of {n_sim} simulated rows did not converge")
    # The null model's maximum likelihood is closed-form (the event proportion): no second fit.
    n = n_events + n_non_events
    ll_null = n_events * math.log(n_events / n) + n_non_events * math.log(n_non_events / n)
    lr = 2.0 * (float(fit.llf) - ll_null)
    return -math.expm1(-lr / n)


def cstatistic_to_r2cs_limit(cstatistic: float, prevalence: float) -> float:
    """The value :func:`cstatistic_to_r2cs` tends to as ``n_sim`` grows, without its Monte Carlo error.

    The two normals' log-odds is linear in the predictor, so the logistic fit tends to the true
    model and ``LR / n`` to twice the mutual information ``I`` of outcome and predictor:
    ``R2_CS = 1 - exp(-2 I)``, ``I`` by quadrature. At the outcome rates of runner-days (0.1 to
    1 %) the simulation's relative error is several per cent (0.001: 6-10 % at 1,000,000 rows);
    this has none.

    Examples
    --------
    >>> round(cstatistic_to_r2cs_limit(0.89, 0.174), 4)  # pmsampsize's simulation gives 0.2908
    0.291
    """
    _check_cstatistic(cstatistic)
    _check_prevalence(prevalence)
    mu = math.sqrt(2) * NormalDist().inv_cdf(cstatistic)
    x = np.linspace(-12.0, mu + 12.0, 40_001)
    events = np.exp(-((x - mu) ** 2) / 2) / math.sqrt(2 * math.pi)
    non_events = np.exp(-(x**2) / 2) / math.sqrt(2 * math.pi)
    mixture = prevalence * events + (1 - prevalence) * non_events
    information = prevalence * np.trapezoid(events * np.log(events / mixture), x) + (
        1 - prevalence
    ) * np.trapezoid(non_events * np.log(non_events / mixture), x)
    return -math.expm1(-2 * float(information))


def riley_sample_size(
    *,
    prevalence: float,
    parameters: int,
    cstatistic: float | None = None,
    rsquared: float | None = None,
    shrinkage: float = 0.9,
    optimism: float = 0.05,
    margin: float = 0.05,
    n_sim: int = 1_000_000,
    seed: int = 123456,
) -> SampleSize:
    """The minimum sample size to develop a logistic risk model, by Riley et al.'s three criteria.

    Parameters
    ----------
    prevalence : float
        The anticipated outcome proportion, strictly between 0 and 1.
    parameters : int
        The candidate predictor parameters (a spline or a category counts once per coefficient).
    cstatistic : float, optional
        The anticipated C-statistic, strictly between 0.5 and 1: converted to a Cox-Snell R2 by
        :func:`cstatistic_to_r2cs`, rounded to 4 decimals as pmsampsize does.
    rsquared : float, optional
        The anticipated Cox-Snell R2 (an adjusted one, from an earlier model), used as given.
        Give exactly one of ``cstatistic`` and ``rsquared``.
    shrinkage : float, default 0.9
        The target expected shrinkage of criterion 1; above the Cox-Snell R2 and below 1.
    optimism : float, default 0.05
        The largest difference of apparent and adjusted Nagelkerke R2 (criterion 2).
    margin : float, default 0.05
        The margin of error of the overall risk (criterion 3, at 95% confidence).
    n_sim, seed : int
        The simulation of ``cstatistic``'s conversion (see :func:`cstatistic_to_r2cs`).

    Returns
    -------
    SampleSize
        The minimum ``n``, each criterion's, the events and the R2 used.

    Raises
    ------
    ParameterError
        An argument out of range; both or neither of ``cstatistic`` and ``rsquared``; a
        ``shrinkage`` not above the R2; an R2 above the largest possible at ``prevalence``.

    Notes
    -----
    A C-statistic's R2 is rounded to 4 decimals, as in pmsampsize: near prevalence 0.001, where it
    is about 0.0005, that rounding moves it by up to 10%. There, pass
    ``rsquared=cstatistic_to_r2cs(...)`` (unrounded, with a larger ``n_sim``) instead.

    Examples
    --------
    The binary example of pmsampsize's documentation (24 parameters, prevalence 0.174, R2 0.288):

    >>> size = riley_sample_size(prevalence=0.174, parameters=24, rsquared=0.288)
    >>> size.n, size.criteria
    (662, {'shrinkage': 623, 'optimism': 662, 'risk_precision': 221})
    >>> round(size.events_per_parameter, 2)
    4.8
    """
    _check_arguments(prevalence, parameters, cstatistic, rsquared, shrinkage, optimism, margin)
    if (optimism, margin, n_sim) == (_PACKAGE_OPTIMISM, _PACKAGE_MARGIN, _PACKAGE_N_SIM):
        delegated = _delegate(prevalence, int(parameters), cstatistic, rsquared, shrinkage, seed)
        if delegated is not None:
            return delegated
    if rsquared is not None:
        name, value, r2 = "rsquared", rsquared, float(rsquared)
    else:
        name, value = "cstatistic", cstatistic
        r2 = round(cstatistic_to_r2cs(value, prevalence, n_sim=n_sim, seed=seed), 4)
    return _criteria(r2, int(parameters), prevalence, shrinkage, optimism, margin, name, value)


def _criteria(
    r2: float,
    parameters: int,
    prevalence: float,
    shrinkage: float,
    optimism: float,
    margin: float,
    name: str,
    value: float,
) -> SampleSize:
    """Riley et al.'s three criteria at Cox-Snell R2 ``r2``, in pmsampsize's arithmetic."""
    if shrinkage <= r2:
        reason = f"must exceed the Cox-Snell R2 ({r2:g}, from `{name}`): the shrinkage formula needs it"
        raise ParameterError("shrinkage", shrinkage, reason)
    # Criterion 1: the n whose expected uniform shrinkage is `shrinkage` (Riley et al. 2019).
    n1 = math.ceil(parameters / ((shrinkage - 1) * math.log(1 - r2 / shrinkage)))
    # The largest R2_CS, from the null log-likelihood at n1 rows and n1 * prevalence events:
    # pmsampsize's own steps (not the simplified p ln p form), so the ceilings below agree with it.
    e1 = n1 * prevalence
    ln_l_null = e1 * math.log(e1 / n1) + (n1 - e1) * math.log(1 - e1 / n1)
    max_r2 = 1 - math.exp(2 * ln_l_null / n1)
    if max_r2 < r2:
        reason = f"gives a Cox-Snell R2 of {r2:g}, above the largest possible ({max_r2:.4g}) at `prevalence`"
        raise ParameterError(name, value, f"{reason} {prevalence}")
    # Criterion 2: the shrinkage that keeps the Nagelkerke R2's optimism within `optimism`.
    s2 = r2 / (r2 + optimism * max_r2)
    n2 = math.ceil(parameters / ((s2 - 1) * math.log(1 - r2 / s2)))
    # Criterion 3: the Wald 95% interval of the overall risk no wider than +/- margin.
    n3 = math.ceil((_Z / margin) ** 2 * (prevalence * (1 - prevalence)))
    n = max(n1, n2, n3)
    return SampleSize(
        n=n,
        events=n * prevalence,
        events_per_parameter=n * prevalence / parameters,
        criteria=dict(zip(CRITERIA, (n1, n2, n3), strict=True)),
        r2_cs=r2,
        max_r2_cs=max_r2,
        shrinkage=max(shrinkage, s2),
    )


def _delegate(
    prevalence: float,
    parameters: int,
    cstatistic: float | None,
    rsquared: float | None,
    shrinkage: float,
    seed: int,
) -> SampleSize | None:
    """pmsampsize's answer as a :class:`SampleSize`, or None where the package does not import."""
    try:
        package = importlib.import_module("pmsampsize.pmsampsize")
    except ImportError:
        return None
    try:
        out = package.pmsampsize(
            type="b",
            parameters=parameters,
            csrsquared=rsquared,
            cstatistic=cstatistic,
            prevalence=prevalence,
            shrinkage=shrinkage,
            seed=seed,
            noprint=True,
        )
    except ValueError as exc:  # what our checks cannot see before the R2 is known
        name, value = ("cstatistic", cstatistic) if cstatistic is not None else ("rsquared", rsquared)
        raise ParameterError(name, value, str(exc)) from exc
    # Its table's rows are the three criteria, then a separator, then the final size; column 1 is n.
    table = out["results_table"]
    criteria = {key: int(table[row][1]) for row, key in enumerate(CRITERIA)}
    n = int(out["sample_size"])
    return SampleSize(
        n=n,
        events=float(out["events"]),
        events_per_parameter=float(out["events"]) / parameters,
        criteria=criteria,
        r2_cs=float(out["rsquared"]),
        max_r2_cs=float(out["max_r2a"]),
        shrinkage=float(out["final_shrinkage"]),
    )


def _check_arguments(
    prevalence: float,
    parameters: int,
    cstatistic: float | None,
    rsquared: float | None,
    shrinkage: float,
    optimism: float,
    margin: float,
) -> None:
    """Raise :class:`ParameterError` at the first argument of :func:`riley_sample_size` out of range."""
    _check_prevalence(prevalence)
    if isinstance(parameters, bool) or not isinstance(parameters, numbers.Integral) or parameters < 1:
        raise ParameterError("parameters", parameters, "must be a whole number of at least 1")
    if (cstatistic is None) == (rsquared is None):
        given = "both" if cstatistic is not None else "neither"
        reason = f"give exactly one of it and `rsquared` ({given} given)"
        raise ParameterError("cstatistic", cstatistic, reason)
    if cstatistic is not None:
        _check_cstatistic(cstatistic)
    elif not 0 < rsquared < 1:
        raise ParameterError("rsquared", rsquared, "must lie strictly between 0 and 1")
    elif shrinkage <= rsquared:  # checked here too, before pmsampsize could word it its own way
        raise ParameterError("shrinkage", shrinkage, f"must exceed the Cox-Snell R2 (`rsquared` {rsquared})")
    for name, value in (("shrinkage", shrinkage), ("optimism", optimism), ("margin", margin)):
        if not 0 < value < 1:
            raise ParameterError(name, value, "must lie strictly between 0 and 1")


def _check_prevalence(prevalence: float) -> None:
    if not 0 < prevalence < 1:  # also false for NaN
        raise ParameterError("prevalence", prevalence, "must lie strictly between 0 and 1")


def _check_cstatistic(cstatistic: float) -> None:
    # 0.5 is no discrimination at all (R2 0, infinite n); 1 is perfect separation (no logistic fit).
    if not 0.5 < cstatistic < 1:
        raise ParameterError("cstatistic", cstatistic, "must lie strictly between 0.5 and 1")
