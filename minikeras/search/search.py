"""The search entry points: grid, random, coarse-to-fine; and a table of results."""
from __future__ import annotations

from rich.console import Console
from rich.table import Table

from .runner import run_search
from .space import grid_trials, ranked, refine, sample_trials


def grid_search(objective, space: dict, **run_kwargs) -> list[dict]:
    """One trial per combination of the space's lists (see `run_search` for the keyword arguments)."""
    return run_search(objective, grid_trials(space), **run_kwargs)


def random_search(objective, space: dict, n_trials: int, seed: int = 0, **run_kwargs) -> list[dict]:
    """`n_trials` trials sampled from `space` with `seed` (trial i trains with seed + i)."""
    return run_search(objective, sample_trials(space, n_trials, seed), seed=seed, **run_kwargs)


def coarse_to_fine(objective, space: dict, n_coarse: int, n_fine: int, metric: str, mode: str = "max",
                   top: int = 3, seed: int = 0, results_path=None, **run_kwargs):
    """A random search, then a second one in the space narrowed around its `top` best trials.

    Returns ``(coarse_records, fine_records, fine_space)``. With `results_path`, the two rounds
    write ``<path>.coarse.jsonl`` and ``<path>.fine.jsonl``.
    """
    def path(stage):
        return None if results_path is None else f"{results_path}.{stage}.jsonl"

    coarse = random_search(objective, space, n_coarse, seed=seed, results_path=path("coarse"), **run_kwargs)
    fine_space = refine(space, coarse, metric, mode=mode, top=top)
    fine = random_search(objective, fine_space, n_fine, seed=seed + n_coarse, results_path=path("fine"),
                         **run_kwargs)
    return coarse, fine, fine_space


def best_trial(records: list[dict], metric: str, mode: str = "max") -> dict:
    """The finished trial with the best `metric`."""
    return ranked(records, metric, mode)[0]


def results_table(records: list[dict], metric: str, mode: str = "max", title: str = "Search results") -> Table:
    """A rich table of the trials, best first; failed trials last with their error."""
    params = sorted({name for r in records for name in r["params"]})
    reported = {name for r in records if r.get("status") == "ok" for name in r["metrics"]}
    # The searched metric first, then at most two companions: the table must fit a log line.
    metrics = [metric, *(name for name in ("val_loss", "test_accuracy") if name in reported and name != metric)]
    table = Table(title=title)
    for column in ("trial", *params, *metrics, "seconds", "status"):
        table.add_column(column, justify="left" if column == "status" else "right")
    ok = sorted((r for r in records if r.get("status") == "ok"), key=lambda r: r["metrics"].get(metric, 0.0),
                reverse=mode == "max")
    for r in ok + [r for r in records if r.get("status") != "ok"]:
        values = [_cell(r["params"].get(name)) for name in params]
        scores = [_cell(r.get("metrics", {}).get(name)) for name in metrics]
        status = r["status"] if r["status"] == "ok" else f"{r['status']}: {r.get('error', '')}"
        table.add_row(str(r["trial"]), *values, *scores, f"{r.get('seconds', 0.0):.1f}", status)
    return table


def _cell(value) -> str:
    if value is None:
        return "-"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def print_results(records, metric, mode="max", title="Search results") -> None:
    """Print `results_table` of the trial `records`, best `metric` first."""
    Console().print(results_table(records, metric, mode, title))
