"""Exporters of a pipeline spec to other orchestrators (``airflow.py``)."""
