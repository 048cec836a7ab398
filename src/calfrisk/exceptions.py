"""The errors calfrisk raises for its users to read.

A :class:`CalfriskError` is reported by the command line as one line (no traceback) with its
``exit_code``: 2 for bad input, 1 for the rest. The library's messages name the parameter, file,
row or key at fault; the command line words them with its flags where it translates them.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["CalfriskError", "InputError", "NotAdditiveError", "ParameterError", "ShortLogError"]


class CalfriskError(Exception):
    """Base class of the errors calfrisk reports to its users as one line."""

    exit_code = 1


class InputError(CalfriskError):
    """Bad input from the user: a config key, a flag, a file, a row.

    The message names the offending key, flag, file or row and says what is wrong; the command line
    prints it as one line and exits with code 2.
    """

    exit_code = 2


class ParameterError(InputError):
    """A bad value of a named parameter of a library call.

    The message reads ``"<parameter> <value>: <reason>"``; a reason that mentions another
    parameter writes it in backticks. The command line words the error with its flags instead
    (:meth:`renamed`), so a notebook and the command line each see the names they used.

    Examples
    --------
    >>> error = ParameterError("out_dir", "runs/m", "not empty (`overwrite` replaces it)")
    >>> str(error)
    'out_dir runs/m: not empty (`overwrite` replaces it)'
    >>> str(error.renamed({"out_dir": "--out", "overwrite": "--overwrite"}))
    '--out runs/m: not empty (`--overwrite` replaces it)'
    """

    def __init__(self, parameter: str, value: object, reason: str) -> None:
        self.parameter, self.value, self.reason = parameter, value, reason
        super().__init__(f"{parameter} {value}: {reason}")

    def renamed(self, names: Mapping[str, str]) -> ParameterError:
        """The same error with the parameters ``names`` maps given their new names (flags, say)."""
        reason = self.reason
        for old, new in names.items():
            reason = reason.replace(f"`{old}`", f"`{new}`")
        return ParameterError(names.get(self.parameter, self.parameter), self.value, reason)


class ShortLogError(InputError):
    """A runner's log too short for the model: fewer days before the scored day than it needs."""


class OracleCeilingError(CalfriskError):
    """A model scored above the oracle beyond the paired interval: a bug, not a result.

    The oracle knows everything the simulator knows; a model that beats it has seen the future (a
    feature or label leak) or the oracle did not replay the cohort. Exit code 1.
    """


class NotAdditiveError(ValueError):
    """The model's log-odds is not a sum of per-feature terms, so no exact contributions exist."""
