"""lexnorm: multilingual legal-text normalisation pipeline.

The work lives in `stages` (plain Python), the orchestration in `flows` (Prefect),
and this package holds the command line and the pipeline version.
"""

__version__ = "0.2.0"

# Recorded in documents.parquet; bump when a change alters any output row.
PIPELINE_VERSION = __version__
