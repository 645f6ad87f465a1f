"""lexnorm: multilingual legal-text normalisation pipeline.

The work lives in `stages` (plain Python), the orchestration in `flows` (Prefect). This
package holds the command line (`cli`), how a run executes beneath the flow (`runtime`),
what a run writes (`output`), and what every part shares: the versions and the one
instruction users are given to install a translation model.
"""

__version__ = "0.3.0"  # 0.3: PDF, Word and HTML input; format and page columns

# Recorded in documents.parquet; bump when a change alters any output row.
PIPELINE_VERSION = __version__

# What to do when no model translates a language (the CLI, the run summary, the stages say it).
INSTALL_HINT = "install a model with `lexnorm models install PATH.argosmodel` (see `lexnorm models list`)"
