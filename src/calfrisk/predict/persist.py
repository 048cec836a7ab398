"""Save and load fitted models without letting a model file run code.

A model directory holds ``model.pkl`` (the fitted pipeline, pickled) and ``metadata.json`` (what
the model predicts, its features and metrics, and the SHA-256 of ``model.pkl``). A plain pickle
runs any callable it names; :func:`load_model` therefore unpickles through an allow-list: the file
may name only the classes and numpy constructors on :data:`ALLOWED_GLOBALS`, and anything else
(``os.system``, ``builtins.eval``, a foreign class) is refused before it is called. The hash check
before it refuses a file changed after it was written.

Why not skops: ``skops.io`` builds its default trust list by importing every scikit-learn
estimator, which adds about a second to ``calfrisk predict``'s start (measured: 2.2 s to 3.4 s on
the reference machine), twice the cold-start budget. The allow-list here is the same idea, in the
form the Python documentation recommends ("Restricting Globals", :mod:`pickle`). MLflow's own
model (:mod:`calfrisk.tracking.runs`) still uses skops with :data:`TRUSTED_TYPES`.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import pickle
from pathlib import Path

from calfrisk.exceptions import InputError
from calfrisk.io import atomic_output_dir
from calfrisk.learn.sklearn_compat import PICKLED_CLASSES, SKOPS_TRUSTED_CLASSES

__all__ = [
    "ALLOWED_GLOBALS",
    "METADATA_FILE",
    "MODEL_FILE",
    "TRUSTED_TYPES",
    "export_copy",
    "load_model",
    "save_model",
]

MODEL_FILE = "model.pkl"
METADATA_FILE = "metadata.json"
#: Version 4 names calfrisk's classes by their modules in subpackages (calfrisk.learn,
#: calfrisk.predict); 3 stored the default classifier compiled; 2 stored it as fitted.
FORMAT_VERSION = 4
#: Versions this calfrisk reads (2 and 3 still load: their classes are found under the new names).
READABLE_VERSIONS = frozenset({2, 3, 4})
#: Where the classes that versions 2 and 3 name live now.
RENAMED_GLOBALS: dict[str, str] = {
    "calfrisk.compiled.StumpEnsemble": "calfrisk.learn.stumps.StumpEnsemble",
    "calfrisk.compiled.StumpFold": "calfrisk.learn.stumps.StumpFold",
    "calfrisk.features.LoadFeatures": "calfrisk.learn.features.LoadFeatures",
    "calfrisk.model.BalancedBaggingClassifier": "calfrisk.learn.estimators.BalancedBaggingClassifier",
    "calfrisk.model.ZoneRuleClassifier": "calfrisk.learn.estimators.ZoneRuleClassifier",
}

#: XGBoost's classes in a fitted pipeline that is not stored compiled (deeper trees, isotonic
#: calibration): the booster pickles its model as bytes, which XGBoost parses as data.
BOOSTER_CLASSES: tuple[str, ...] = (
    "builtins.bytearray",
    "xgboost.core.Booster",
    "xgboost.sklearn.XGBClassifier",
)

#: Types a calfrisk model may contain beyond those skops trusts by default (MLflow's copy).
TRUSTED_TYPES: tuple[str, ...] = (
    "calfrisk.learn.features.LoadFeatures",
    "calfrisk.learn.boosting.GradientBoostedTrees",
    *BOOSTER_CLASSES,
    "calfrisk.learn.estimators.BalancedBaggingClassifier",
    "calfrisk.learn.estimators.ZoneRuleClassifier",
    *SKOPS_TRUSTED_CLASSES,
)

_NUMPY_GLOBALS = (
    *(
        f"{package}.{name}"
        for package in ("numpy.core", "numpy._core")  # numpy 1 and numpy 2 spellings
        for name in ("multiarray._reconstruct", "multiarray.scalar", "numeric._frombuffer")
    ),
    "numpy.dtype",
    "numpy.ndarray",
    "numpy.random._pcg64.PCG64",
    "numpy.random._mt19937.MT19937",
    "numpy.random._pickle.__bit_generator_ctor",
    "numpy.random._pickle.__generator_ctor",
    "numpy.random._pickle.__randomstate_ctor",
    "numpy.random.bit_generator.SeedSequence",
    "numpy.random.bit_generator.__pyx_unpickle_SeedSequence",
    "numpy.random.mtrand.RandomState",
)

#: The only ``module.name`` globals a model file may name: numpy's array and random-state
#: constructors, and the estimator classes calfrisk's pipelines are made of. Each is rebuilt from
#: data (``__new__`` and ``__setstate__``); none executes code taken from the file.
ALLOWED_GLOBALS: frozenset[str] = frozenset(
    (
        *_NUMPY_GLOBALS,
        "calfrisk.learn.stumps.StumpEnsemble",
        "calfrisk.learn.stumps.StumpFold",
        "calfrisk.learn.features.LoadFeatures",
        "calfrisk.learn.boosting.GradientBoostedTrees",
        "calfrisk.learn.estimators.BalancedBaggingClassifier",
        "calfrisk.learn.estimators.ZoneRuleClassifier",
        *BOOSTER_CLASSES,
        *PICKLED_CLASSES,
    )
)


class _RefusedGlobal(pickle.UnpicklingError):
    """A model file names a global outside the allow-list."""


class _AllowListUnpickler(pickle.Unpickler):
    """Unpickler that resolves only :data:`ALLOWED_GLOBALS`; records what it resolved."""

    def __init__(self, file: io.BufferedIOBase, allowed: frozenset[str] | None) -> None:
        super().__init__(file)
        self.allowed = allowed
        self.seen: set[str] = set()

    def find_class(self, module: str, name: str) -> object:
        qualified = RENAMED_GLOBALS.get(f"{module}.{name}", f"{module}.{name}")
        module, name = qualified.rsplit(".", 1)
        self.seen.add(qualified)
        if self.allowed is not None and qualified not in self.allowed:
            raise _RefusedGlobal(f"it names {qualified}, which is not on the allow-list")
        return super().find_class(module, name)


def _globals_named(data: bytes) -> set[str]:
    """Every global a pickle names, found by unpickling it without restriction (trusted data only)."""
    unpickler = _AllowListUnpickler(io.BytesIO(data), allowed=None)
    unpickler.load()
    return unpickler.seen


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def export_copy(model: object, *, compiled: bool = True) -> object:
    """A copy of a fitted pipeline fit for export: compiled where it can be, folds as a splitter.

    With ``compiled`` the default classifier (sigmoid-calibrated stumps) becomes its compiled form
    (:class:`calfrisk.learn.stumps.StumpEnsemble`: the same probabilities bit for bit, loaded without
    importing ``sklearn.ensemble``); MLflow's scikit-learn copy keeps the fitted estimators
    (``compiled=False``). Other classifiers keep their form, with the calibration folds
    of :func:`calfrisk.learn.estimators.gradient_boosting`, passed as explicit row positions
    (``cv=[(train, calibration), ...]``, every training row's index: 12 MB for the default
    cohort), stored as the ``GroupKFold`` over athletes that made them. Fitted state is untouched.
    """
    from sklearn.model_selection import GroupKFold

    from calfrisk.learn.stumps import compile_classifier

    exported = copy.deepcopy(model)
    steps = getattr(exported, "steps", [])
    for i, (name, step) in enumerate(steps):
        compact = compile_classifier(step) if compiled else None
        if compact is not None:
            steps[i] = (name, compact)
            continue
        cv = getattr(step, "cv", None)
        if isinstance(cv, list):
            exported.set_params(**{f"{name}__cv": GroupKFold(n_splits=len(cv))})
    return exported


def save_model(model: object, directory: str | Path, metadata: dict, *, overwrite: bool = False) -> Path:
    """Write ``model`` and its metadata to ``directory``, atomically.

    Parameters
    ----------
    model : estimator
        A fitted pipeline (features, then classifier).
    directory : str or Path
        The model directory to create.
    metadata : dict
        JSON-ready facts about the model (horizon, metrics, ...); the format version and the
        model file's hash are added.
    overwrite : bool, default=False
        Replace a non-empty directory.

    Returns
    -------
    Path
        The model directory.

    Raises
    ------
    ValueError
        If the model holds a type that :func:`load_model` would refuse.
    """
    data = pickle.dumps(export_copy(model), protocol=5)
    refused = sorted(_globals_named(data) - ALLOWED_GLOBALS)
    if refused:
        raise ValueError(f"model holds types that load_model would refuse: {', '.join(refused)}")
    directory = Path(directory)
    with atomic_output_dir(directory, overwrite=overwrite) as staging:
        (staging / MODEL_FILE).write_bytes(data)
        meta = {**metadata, "format_version": FORMAT_VERSION, "sha256": _sha256(staging / MODEL_FILE)}
        (staging / METADATA_FILE).write_text(
            json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
    return directory


def load_model(directory: str | Path) -> tuple[object, dict]:
    """Load a model directory written by :func:`save_model`.

    Returns
    -------
    model : estimator
    metadata : dict

    Raises
    ------
    InputError
        If the directory or its files are missing, the hash does not match (a tampered or foreign
        file), or the file names a global outside the allow-list.
    """
    directory = Path(directory)
    model_path, meta_path = directory / MODEL_FILE, directory / METADATA_FILE
    if not model_path.is_file() or not meta_path.is_file():
        raise InputError(
            f"{directory}: not a calfrisk model directory (needs {MODEL_FILE} and {METADATA_FILE})"
        )
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        raise InputError(f"{meta_path}: unreadable model metadata") from None
    if not isinstance(meta, dict) or meta.get("format_version") not in READABLE_VERSIONS:
        found = meta.get("format_version") if isinstance(meta, dict) else None
        raise InputError(
            f"{meta_path}: model format version {found!r}, this calfrisk reads "
            f"{', '.join(map(str, sorted(READABLE_VERSIONS)))}; "
            "retrain with `calfrisk train`"
        )
    if meta.get("sha256") != _sha256(model_path):
        raise InputError(
            f"{model_path}: file does not match its recorded hash (changed or foreign); refusing it"
        )
    try:
        with model_path.open("rb") as handle:
            model = _AllowListUnpickler(handle, ALLOWED_GLOBALS).load()
    except _RefusedGlobal as exc:
        raise InputError(f"{model_path}: not a safe calfrisk model ({exc}); refusing it") from None
    except Exception as exc:  # truncated or corrupt pickles raise many types
        raise InputError(f"{model_path}: not a loadable model file ({type(exc).__name__})") from None
    return model, meta
