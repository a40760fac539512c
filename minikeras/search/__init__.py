"""Hyper-parameter search: grid, random and coarse-to-fine, run sequentially, in processes or on Dask.

Examples
--------
>>> from minikeras.search import LogUniform, sample_trials
>>> [round(t["l2"], 6) for t in sample_trials({"l2": LogUniform(1e-5, 1e-1)}, 2, seed=0)]
[0.003531, 0.00012]
"""
from .runner import BACKENDS, load_results, run_search, run_trial
from .search import best_trial, coarse_to_fine, grid_search, print_results, random_search, results_table
from .space import Choice, Dimension, IntUniform, LogUniform, Uniform, dimension, grid_trials, refine, sample_trials

__all__ = ["Choice", "Dimension", "IntUniform", "LogUniform", "Uniform", "dimension", "grid_trials",
           "sample_trials", "refine", "run_search", "run_trial", "load_results", "BACKENDS",
           "grid_search", "random_search", "coarse_to_fine", "results_table", "print_results", "best_trial"]
