"""Package namespaces whose public names are imported on first use.

A subpackage's ``__init__`` lists which of its modules defines each public name; the name is
imported when first looked up (PEP 562). Importing one module of a subpackage (say
``calfrisk.learn.panel`` on the way to ``calfrisk predict``) therefore never pays for its
siblings (scikit-learn's ensembles, numba, mlflow).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], object], Callable[[], list]]:
    """The ``__getattr__`` and ``__dir__`` of a package exporting ``exports`` (name -> submodule).

    Examples
    --------
    >>> import calfrisk.learn
    >>> calfrisk.learn.daily_panel.__module__
    'calfrisk.learn.panel'
    """

    def __getattr__(name: str) -> object:  # noqa: N807 (the module hook PEP 562 names)
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        setattr(sys.modules[package], name, value)  # later lookups skip this function
        return value

    def __dir__() -> list[str]:  # noqa: N807
        return sorted({*exports, *vars(sys.modules[package])})

    return __getattr__, __dir__
