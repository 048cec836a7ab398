"""calfrisk: model the risk of calf-muscle strain in runners.

Simulate cohorts of runners whose risk factors are known (:mod:`calfrisk.simulate`), and configure
them through validated YAML (:mod:`calfrisk.config`).
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
