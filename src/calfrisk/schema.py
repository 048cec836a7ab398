"""Table contracts.

Every table calfrisk writes or reads is described here once: its columns, their dtypes and units.
Readers, the simulator and the feature pipeline all refer to these names, so a column is renamed in
exactly one place.
"""

from __future__ import annotations

from calfrisk.factors import TRAITS

__all__ = [
    "ATHLETE_COLUMNS",
    "INJURY_COLUMNS",
    "OUTCOMES",
    "PROFILE_COLUMNS",
    "RUN_LOG_COLUMNS",
    "SESSION_TYPES",
    "SHOE_COLUMNS",
    "SPEED_TYPES",
    "TABLES",
    "TRAINING_LOG_COLUMNS",
    "TRUTH_COLUMNS",
]


#: The profile a runner can report, as it appears in the athletes table.
PROFILE_COLUMNS: tuple[str, ...] = (
    "age",
    "sex",
    "prior_calf_strains",
    "glute_test_score",
    "calf_test_score",
    "warmup_habit",
    "stretching_habit",
    *(f.trait.column for f in TRAITS),
)

#: Session types, in the fixed order used for the categorical ``session_type`` column.
SESSION_TYPES: tuple[str, ...] = ("easy", "long", "tempo", "intervals", "hills", "race")
#: The session types that count as speed work (the speed-work factor, the speed features).
SPEED_TYPES: tuple[str, ...] = ("tempo", "intervals", "race")

#: ``training_log``: one row per running session. Units in the names.
TRAINING_LOG_COLUMNS: dict[str, str] = {
    "athlete_id": "int32: the athlete",
    "date": "datetime64[ms]: the local calendar day of the session, at midnight",
    "distance_km": "float64: distance in kilometres (0.01 km resolution)",
    "duration_min": "float64: moving time in minutes (0.1 min resolution)",
    "elevation_gain_m": "float64: total ascent in metres (1 m resolution)",
    "session_type": f"category: one of {', '.join(SESSION_TYPES)}",
    "shoe_id": "int32: the shoe worn, numbered per athlete from 1 in order of purchase",
}

#: ``athletes``: one row per athlete. ``latent_*`` columns are simulator truth no runner can report.
ATHLETE_COLUMNS: dict[str, str] = {
    "athlete_id": "int32: the athlete",
    "age": "float64: age in years on the first simulated day",
    "sex": "category: 'F' or 'M'",
    "years_running": "float64: years of regular running before the first day",
    "sessions_per_week": "int8: planned running sessions per week",
    "shoe_pairs": "int8: pairs of running shoes kept in rotation",
    "strength_sessions_per_week": "int8: strength-training sessions per week",
    "warmup_habit": "bool: warms up before running (a factor with no real effect by default)",
    "stretching_habit": "bool: stretches after running (no real effect by default)",
    "glute_test_score": "float64: single-leg bridge repetitions to fatigue, the mean of both legs",
    "calf_test_score": "float64: single-leg heel raises to fatigue, the mean of both legs",
    "prior_calf_strains": "int16: calf strains before the first simulated day",
    # A trait the registry declares (calfrisk.factors.TRAITS): the runner's value, as the hazard used it.
    **{f.trait.column: f"float64: {f.trait.description}" for f in TRAITS},
    "latent_glute_strength": "float64: true glute strength, z-score (test score = this + noise)",
    "latent_calf_strength": "float64: true calf strength, z-score (test score = this + noise)",
    "latent_progression": "category: progression habit, 'cautious', 'steady' or 'jumpy'",
    "latent_base_weekly_km": "float64: habitual weekly volume outside build-ups, km",
    "latent_hill_share": "float64: probability that a quality session is a hill session",
    "latent_speed_share": "float64: probability that a quality session is tempo or intervals",
    "latent_shoe_replace_km": "float64: km at which a shoe is retired; NaN = never replaced",
    "latent_easy_pace_min_per_km": "float64: easy running pace, minutes per km",
    "latent_terrain_m_per_km": "float64: habitual climbing on easy runs, metres per km",
}

#: ``injuries``: one row per calf-strain onset inside the simulated window.
INJURY_COLUMNS: dict[str, str] = {
    "athlete_id": "int32: the athlete",
    "date": "datetime64[ms]: day of onset (the strain happens during that day's run)",
    "grade": "int8: 1 (few fibres), 2 (partial tear) or 3 (rupture)",
    "layoff_days": "int16: days without running that follow the onset day",
    "fast_return": "bool: the runner skips the return-to-running ramp",
}

#: ``truth``: one row per athlete-day, with the hazard and its factor multipliers.
TRUTH_COLUMNS: dict[str, str] = {
    "athlete_id": "int32: the athlete",
    "date": "datetime64[ms]: the day",
    "hazard": "float64: true probability of a strain onset on that day (0 on days without a run)",
    "in_layoff": "bool: the runner cannot run that day (strain layoff)",
    "mult_<factor>": "float32: that factor's hazard multiplier on that day (1 = no effect)",
}

#: ``shoes``: the shoes in use on the first simulated day and the km they had run before it (what a
#: runner can report; shoes bought later start at 0 km).
SHOE_COLUMNS: dict[str, str] = {
    "athlete_id": "int32: the athlete",
    "shoe_id": "int32: the shoe, as in training_log",
    "km": "float64: km the shoe had run before the first simulated day",
}

#: A runner's own log, as every reader in :mod:`calfrisk.readers` returns it: one row per running
#: session, sorted by ``start_time``. Optional values are missing (NA), never guessed.
RUN_LOG_COLUMNS: dict[str, str] = {
    "date": "datetime64[ms]: the local calendar day of the session, at midnight",
    "start_time": "datetime64[ms]: local start time when the source has one, else the date at midnight",
    "distance_km": "float64: distance in kilometres (> 0)",
    "duration_min": "float64: moving time in minutes (> 0; elapsed time when the source has no other)",
    "elevation_gain_m": "float64: total ascent in metres (>= 0; NA when the source has none)",
    "session_type": f"string: one of {', '.join(SESSION_TYPES)}, or NA when the source does not say",
    "shoe": "string: the shoe's name as the runner knows it, or NA",
    "rpe": "float64: perceived exertion 1-10, or NA",
    "source": "string: where the row came from, e.g. 'activities.csv row 12' or 'run.fit'",
}

#: What a cohort's injuries may be, each with its plural: calf strains (what calfrisk models), or any
#: running injury (a real cohort that recorded every kind, as the Lövdal data set did).
OUTCOMES: dict[str, str] = {"calf strain": "calf strains", "running injury": "running injuries"}

#: The tables ``calfrisk simulate`` writes, in writing order.
TABLES: tuple[str, ...] = ("athletes", "training_log", "injuries", "truth", "shoes")
