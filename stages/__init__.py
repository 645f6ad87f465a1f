"""The pipeline's work: the stages (`pipeline.PIPELINE` lists them in order) and their
helpers, as plain functions over typed records (`records`), with each language's knowledge
in `lang`. No Prefect and no processes here: where a stage runs is the runtime's affair."""
