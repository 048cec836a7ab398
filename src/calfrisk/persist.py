"""Save and load fitted models without letting a model file run code.

A model directory holds ``model.skops`` (the fitted pipeline, in skops' format, which rebuilds
objects from an explicit description instead of unpickling them) and ``metadata.json`` (what the
model predicts, its features and metrics, and the SHA-256 of ``model.skops``). Loading checks the
hash, then lets skops build only the types on :data:`TRUSTED_TYPES`; anything else is refused.
mlflow is not needed to load a model directory.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from calfrisk.io import atomic_output_dir
from calfrisk.schema import InputError

__all__ = ["MODEL_FILE", "TRUSTED_TYPES", "load_model", "save_model"]

MODEL_FILE = "model.skops"
METADATA_FILE = "metadata.json"
FORMAT_VERSION = 1

#: Types a calfrisk model may contain beyond those skops trusts by default.
TRUSTED_TYPES: tuple[str, ...] = (
    "calfrisk.features.LoadFeatures",
    "calfrisk.model.BalancedBaggingClassifier",
    "calfrisk.model.ZoneRuleClassifier",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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
    """
    import skops.io as sio

    directory = Path(directory)
    with atomic_output_dir(directory, overwrite=overwrite) as staging:
        sio.dump(model, staging / MODEL_FILE)
        untrusted = sorted(set(sio.get_untrusted_types(file=staging / MODEL_FILE)) - set(TRUSTED_TYPES))
        if untrusted:
            raise ValueError(f"model holds types that load_model would refuse: {', '.join(untrusted)}")
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
        file), or the file holds a type outside the allow-list.
    """
    import skops.io as sio

    directory = Path(directory)
    model_path, meta_path = directory / MODEL_FILE, directory / METADATA_FILE
    if not model_path.is_file() or not meta_path.is_file():
        raise InputError(
            f"{directory}: not a calfrisk model directory (needs {MODEL_FILE} and {METADATA_FILE})"
        )
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        raise InputError(f"{meta_path}: unreadable model metadata") from None
    if meta.get("format_version") != FORMAT_VERSION:
        raise InputError(f"{meta_path}: unknown model format version {meta.get('format_version')!r}")
    if meta.get("sha256") != _sha256(model_path):
        raise InputError(
            f"{model_path}: file does not match its recorded hash (changed or foreign); refusing it"
        )
    try:
        untrusted = set(sio.get_untrusted_types(file=model_path)) - set(TRUSTED_TYPES)
        if untrusted:
            raise InputError(
                f"{model_path}: holds types outside calfrisk's allow-list: {', '.join(sorted(untrusted))}"
            )
        model = sio.load(model_path, trusted=list(TRUSTED_TYPES))
    except InputError:
        raise
    except Exception as exc:  # skops raises various errors for corrupt archives
        raise InputError(f"{model_path}: not a loadable model file ({type(exc).__name__})") from None
    return model, meta
