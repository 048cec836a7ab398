"""calfrisk: model the risk of calf-muscle strain in runners.

The subpackages follow the data flow: :mod:`calfrisk.config` (validated settings) ->
:mod:`calfrisk.simulate` (synthetic cohorts, the Monte Carlo oracle) or :mod:`calfrisk.readers`
(runners' real logs) -> :mod:`calfrisk.learn` (features, labels, calibrated models, evaluation)
-> :mod:`calfrisk.predict` (a runner's risk, drivers and advice) -> :mod:`calfrisk.tracking`
(MLflow) -> :mod:`calfrisk.cli` (the ``calfrisk`` command). The risk factors are declared once in
:mod:`calfrisk.factors`; errors users read are in :mod:`calfrisk.exceptions`.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
