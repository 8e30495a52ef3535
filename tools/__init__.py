"""Repository tools, not installed with the package: the validation suite and its report, the
table of shipped scenarios, the regression baselines. Run from the repository root as
``python -m tools.<name>``.
"""
