"""Running trials: sequentially, in local processes, or on a Dask cluster.

Every trial is ``objective(params) -> {metric: value}``, where `params` holds the sampled values
plus ``"seed"``, the trial's own seed. A trial that raises is recorded as ``"failed"`` with its
error and the search goes on; with the process backend a trial that kills its process (a crash,
``os._exit``, the OOM killer) is recorded as ``"crashed"``, and with ``trial_timeout`` a trial
running longer is stopped and recorded as ``"timeout"``. With `results_path`, each finished trial
is appended to a JSON-lines file as it arrives; running the same search again with that file skips
the trials already finished there (a half-written last line is dropped first, and its trial runs
again), so an interrupted search resumes where it stopped.
"""
from __future__ import annotations

import contextlib
import json
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
import time
import traceback
from collections.abc import Callable

BACKENDS = ("sequential", "process", "dask")
# One BLAS thread per worker process, so that parallel trials do not fight over the cores.
_ONE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


class TrialTimeout(Exception):
    """Raised inside a sequential trial that runs longer than `trial_timeout`."""


def _record(trial: dict, **fields) -> dict:
    return {"trial": trial["trial"], "params": trial["params"], "seed": trial["seed"], **fields}


def run_trial(objective, trial: dict) -> dict:
    """Run one trial; never raises (a failure becomes a record with status "failed" or "timeout")."""
    start = time.perf_counter()
    record = _record(trial)
    try:
        metrics = objective({**trial["params"], "seed": trial["seed"]})
        record.update(status="ok", metrics={key: float(value) for key, value in dict(metrics).items()})
    except TrialTimeout as error:
        record.update(status="timeout", error=str(error))
    except Exception as error:  # a failed trial is data, not the end of the search
        record.update(status="failed", error=f"{type(error).__name__}: {error}",
                      traceback=traceback.format_exc(limit=5))
    record["seconds"] = time.perf_counter() - start
    return record


def make_trials(param_list: list[dict], seed: int = 0) -> list[dict]:
    return [{"trial": i, "params": params, "seed": seed + i} for i, params in enumerate(param_list)]


def drop_torn_tail(path) -> None:
    """Cut a results file after its last complete line: a record half-written when the search was
    killed is dropped (its trial runs again), and the next record starts on a line of its own."""
    if path is None or not os.path.exists(path):
        return
    with open(path, "rb+") as f:
        data = f.read()
        if data and not data.endswith(b"\n"):
            f.truncate(data.rfind(b"\n") + 1)


def load_results(path) -> list[dict]:
    """Records of a JSON-lines results file (a half-written last line is ignored)."""
    records: list[dict] = []
    if path is None or not os.path.exists(path):
        return records
    with open(path) as f:
        for line in f:
            with contextlib.suppress(json.JSONDecodeError):
                records.append(json.loads(line))
    return records


def run_search(objective, param_list: list[dict], *, backend: str = "sequential", workers: int = 2,
               results_path=None, seed: int = 0, scheduler: str | None = None,
               trial_timeout: float | None = None) -> list[dict]:
    """Run one trial per params dict; returns every record (resumed ones first), in trial order.

    `backend`: ``"sequential"``, ``"process"`` (`workers` local processes, one per trial) or
    ``"dask"`` (a `LocalCluster` of `workers` processes, or the cluster at `scheduler`, e.g.
    ``"tcp://host:8786"``). For the last two, `objective` must be picklable (a module-level
    function or a `functools.partial`). `trial_timeout` (seconds) stops a trial that runs longer:
    the process backend kills its process; the sequential one interrupts it (in the main thread)
    where Python code runs; Dask does not support it.
    """
    if backend not in BACKENDS:
        raise ValueError(f"Unknown backend {backend!r}. Expected one of: {', '.join(BACKENDS)}.")
    if trial_timeout is not None and (backend == "dask" or not trial_timeout > 0):
        raise ValueError(f"trial_timeout must be a positive number of seconds, with the sequential or process "
                         f"backend; got {trial_timeout!r} with {backend!r}.")
    trials = make_trials(param_list, seed)
    drop_torn_tail(results_path)
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
            _BACKENDS[backend](objective, pending, keep, workers=workers, scheduler=scheduler,
                               trial_timeout=trial_timeout)
        except KeyboardInterrupt:
            print(f"Search interrupted: {len(records)} of {len(trials)} trials finished"
                  + (f" (kept in {results_path})." if results_path else "."))
    return [records[i] for i in sorted(records)]


def _sequential(objective, pending, keep, trial_timeout=None, **_):
    for trial in pending:
        with _alarm(trial_timeout):
            record = run_trial(objective, trial)
        keep(record)


@contextlib.contextmanager
def _alarm(seconds: float | None):
    """Within the block, raise TrialTimeout after `seconds` (main thread only; else no limit)."""
    if seconds is None or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise TrialTimeout(f"the trial ran longer than trial_timeout={seconds} s and was stopped")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


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


def _child(objective, trial, connection) -> None:
    connection.send(run_trial(objective, trial))
    connection.close()


def _processes(objective, pending, keep, workers=2, trial_timeout=None, **_):
    """Each trial in a process of its own, at most `workers` at a time: a trial that kills its
    process, or runs past `trial_timeout`, costs that trial only."""
    context = multiprocessing.get_context("spawn")
    queue, running = list(pending), {}  # process -> (trial, its end of the pipe, start time)
    # Spawned workers read the environment when they start, before numpy loads its BLAS.
    with _environment(_ONE_THREAD):
        try:
            while queue or running:
                while queue and len(running) < workers:
                    trial = queue.pop(0)
                    receive, send = context.Pipe(duplex=False)
                    process = context.Process(target=_child, args=(objective, trial, send), daemon=True)
                    process.start()
                    send.close()
                    running[process] = (trial, receive, time.monotonic())
                _wait(running, trial_timeout)
                for process, (trial, receive, start) in list(running.items()):
                    record = _outcome(process, trial, receive, start, trial_timeout)
                    if record is not None:
                        del running[process]
                        receive.close()
                        keep(record)
        finally:
            for process in running:
                process.kill()


def _wait(running: dict, trial_timeout) -> None:
    """Until a trial sends its record, a process ends, or the earliest timeout comes."""
    timeout = None
    if trial_timeout is not None:
        now = time.monotonic()
        timeout = max(0.0, min(start + trial_timeout - now for _, _, start in running.values()))
    objects = [receive for _, receive, _ in running.values()] + [process.sentinel for process in running]
    multiprocessing.connection.wait(objects, timeout)


def _outcome(process, trial, receive, start, trial_timeout) -> dict | None:
    """The trial's record if it is over (sent, crashed or timed out), else None."""
    seconds = time.monotonic() - start
    if receive.poll():
        try:
            record = receive.recv()
        except (EOFError, OSError):
            record = None
        process.join()
        if record is not None:
            return record
    if not process.is_alive():
        code = process.exitcode
        how = f"signal {signal.Signals(-code).name}" if code is not None and code < 0 else f"exit code {code}"
        return _record(trial, status="crashed", error=f"the trial's process ended with {how} without a result",
                       seconds=seconds)
    if trial_timeout is not None and seconds >= trial_timeout:
        process.kill()
        process.join()
        return _record(trial, status="timeout", seconds=seconds,
                       error=f"the trial ran longer than trial_timeout={trial_timeout} s and was stopped")
    return None


def _dask(objective, pending, keep, workers=2, scheduler=None, **_):
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise ImportError("The dask backend needs Dask: pip install 'minikeras[distributed]'.") from None
    import dask

    with contextlib.ExitStack() as stack:
        # A trial that kills its worker is not given to another worker (Dask's default retries it
        # three times, then fails the whole search with KilledWorker).
        stack.enter_context(dask.config.set({"distributed.scheduler.allowed-failures": 0}))
        if scheduler is None:
            cluster = stack.enter_context(LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                       dashboard_address=None, env=_ONE_THREAD))
            client = stack.enter_context(Client(cluster))
        else:
            client = stack.enter_context(Client(scheduler))
        futures = {client.submit(run_trial, objective, trial, pure=False): trial for trial in pending}
        try:
            for future in as_completed(futures):
                try:
                    keep(future.result())
                except Exception as error:  # the worker died (KilledWorker) or the cluster lost it
                    keep(_record(futures[future], status="crashed", error=f"{type(error).__name__}: {error}"))
        except KeyboardInterrupt:
            client.cancel(list(futures))
            raise


_BACKENDS: dict[str, Callable[..., None]] = {"sequential": _sequential, "process": _processes, "dask": _dask}
