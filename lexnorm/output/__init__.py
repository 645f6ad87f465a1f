"""What a run leaves for its readers: the Parquet tables and their schema, the HTML report,
the run summary (console, Prefect artifacts), and the atomic writes they all go through.

Outputs read the stages' records (`stages.records`) and nothing else of the stages: they
are written the same way whatever the pipeline computes.
"""
