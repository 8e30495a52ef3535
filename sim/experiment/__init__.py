"""Experiments: replications, comparisons, sweeps and calibrations on serial, process or Dask
executors."""
