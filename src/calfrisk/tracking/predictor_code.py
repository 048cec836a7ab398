"""The code MLflow logs as the ``predictor`` model ("models from code", MLflow >= 2.12).

MLflow copies this file into the logged model and runs it when the model is loaded: it builds the
model from the installed calfrisk (:class:`calfrisk.tracking.serving.RiskModel`) instead of unpickling a
Python object, so loading the logged model runs this file's three lines and nothing serialised.
"""

import mlflow.models

from calfrisk.tracking.serving import RiskModel

mlflow.models.set_model(RiskModel())
