"""Running trials: sequentially, in local processes, or on a Dask cluster.

Every trial is ``objective(params) -> {metric: value}``, where `params` holds the sampled values
plus ``"seed"``, the trial's own seed. A trial that raises is recorded as failed with its error and
the search goes on. With `results_path`, each finished trial is appended to a JSON-lines file as
it arrives; running the same search again with that file skips the trials already finished
there, so an interrupted search resumes where it stopped.
"""
from __future__ import annotations

import concurrent.futures
import contextlib
import json
import multiprocessing
import os
import time
import traceback

BACKENDS = ("sequential", "process", "dask")
# One BLAS thread per worker process, so that parallel trials do not fight over the cores.
_ONE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


def run_trial(objective, trial: dict) -> dict:
    """Run one trial; never raises (a failure becomes a record with status "failed")."""
    start = time.perf_counter()
    record = {"trial": trial["trial"], "params": trial["params"], "seed": trial["seed"]}
    try:
        metrics = objective({**trial["params"], "seed": trial["seed"]})
        record.update(status="ok", metrics={key: float(value) for key, value in dict(metrics).items()})
    except Exception as error:  # a failed trial is data, not the end of the search
        record.update(status="failed", error=f"{type(error).__name__}: {error}",
                      traceback=traceback.format_exc(limit=5))
    record["seconds"] = time.perf_counter() - start
    return record


def make_trials(param_list: list[dict], seed: int = 0) -> list[dict]:
    return [{"trial": i, "params": params, "seed": seed + i} for i, params in enumerate(param_list)]


def load_results(path) -> list[dict]:
    """Records of a JSON-lines results file (a half-written last line is ignored)."""
    records = []
    if path is None or not os.path.exists(path):
        return records
    with open(path) as f:
        for line in f:
            with contextlib.suppress(json.JSONDecodeError):
                records.append(json.loads(line))
    return records


def run_search(objective, param_list: list[dict], *, backend: str = "sequential", workers: int = 2,
               results_path=None, seed: int = 0, scheduler: str | None = None) -> list[dict]:
    """Run one trial per params dict; returns every record (resumed ones first), in trial order.

    `backend`: ``"sequential"``, ``"process"`` (`workers` local processes) or ``"dask"``
    (a `LocalCluster` of `workers` processes, or the cluster at `scheduler`, e.g. ``"tcp://host:8786"``).
    For the last two, `objective` must be picklable (a module-level function or a `functools.partial`).
    """
    if backend not in BACKENDS:
        raise ValueError(f"Unknown backend {backend!r}. Expected one of: {', '.join(BACKENDS)}.")
    trials = make_trials(param_list, seed)
    done = {r["trial"]: r for r in load_results(results_path)
            if r.get("status") == "ok" and r["trial"] < len(trials) and r["params"] == trials[r["trial"]]["params"]}
    pending = [t for t in trials if t["trial"] not in done]
    records = dict(done)
    with open(results_path, "a") if results_path else contextlib.nullcontext() as sink:
        def keep(record):
            records[record["trial"]] = record
            if sink is not None:
                sink.write(json.dumps(record) + "\n")
                sink.flush()

        try:
            _BACKENDS[backend](objective, pending, keep, workers=workers, scheduler=scheduler)
        except KeyboardInterrupt:
            print(f"Search interrupted: {len(records)} of {len(trials)} trials finished"
                  + (f" (kept in {results_path})." if results_path else "."))
    return [records[i] for i in sorted(records)]


def _sequential(objective, pending, keep, **_):
    for trial in pending:
        keep(run_trial(objective, trial))


@contextlib.contextmanager
def _environment(values: dict):
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _processes(objective, pending, keep, workers=2, **_):
    # Spawned workers read the environment when they start, before numpy loads its BLAS.
    with _environment(_ONE_THREAD), concurrent.futures.ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(run_trial, objective, trial) for trial in pending]
        try:
            for future in concurrent.futures.as_completed(futures):
                keep(future.result())
        except KeyboardInterrupt:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _dask(objective, pending, keep, workers=2, scheduler=None):
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise ImportError("The dask backend needs Dask: pip install 'minikeras[distributed]'.") from None
    with contextlib.ExitStack() as stack:
        if scheduler is None:
            cluster = stack.enter_context(LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                       dashboard_address=None, env=_ONE_THREAD))
            client = stack.enter_context(Client(cluster))
        else:
            client = stack.enter_context(Client(scheduler))
        futures = [client.submit(run_trial, objective, trial, pure=False) for trial in pending]
        try:
            for future in as_completed(futures):
                keep(future.result())
        except KeyboardInterrupt:
            client.cancel(futures)
            raise


_BACKENDS = {"sequential": _sequential, "process": _processes, "dask": _dask}
