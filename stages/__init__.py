"""The pipeline's work as plain functions over typed records (no Prefect here)."""
