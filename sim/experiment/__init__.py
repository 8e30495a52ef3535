"""Experiments: replications, comparisons and sweeps on serial, process or Dask executors."""
