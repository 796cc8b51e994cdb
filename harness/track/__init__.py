"""Stage 8 of the flow, tracking. In: finished runs (results), their tables (compare) and the run index. Out:
MLflow runs and sweeps with their parameters, metrics and report files.
"""
