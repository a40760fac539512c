import functools
import json
import os
import pathlib

import pytest

from minikeras import search
from tests.search import objectives

ROOT = pathlib.Path(__file__).resolve().parents[2]
SPACE = {"l2": search.LogUniform(1e-5, 1e-1)}


def _sequential():
    return search.random_search(objectives.tiny_training, SPACE, 4, seed=7)


def _comparable(records):
    return [(r["trial"], r["params"], r["seed"], r["status"], r["metrics"]) for r in records]


def test_sequential_search_records_every_trial():
    records = _sequential()
    assert [r["trial"] for r in records] == [0, 1, 2, 3]
    assert [r["seed"] for r in records] == [7, 8, 9, 10]
    assert all(r["status"] == "ok" and 0 <= r["metrics"]["val_accuracy"] <= 1 for r in records)
    assert _comparable(records) == _comparable(_sequential())  # reproducible


def test_process_backend_gives_the_sequential_results():
    records = search.random_search(objectives.tiny_training, SPACE, 4, seed=7, backend="process", workers=2)
    assert _comparable(records) == _comparable(_sequential())


def test_dask_local_cluster_gives_the_sequential_results(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # workers import the objective's module
    records = search.random_search(objectives.tiny_training, SPACE, 4, seed=7, backend="dask", workers=2)
    assert _comparable(records) == _comparable(_sequential())


def test_a_failing_trial_is_recorded_and_the_search_goes_on():
    records = search.run_search(objectives.fails_for_large_l2, [{"l2": 0.001}, {"l2": 0.5}, {"l2": 0.002}])
    assert [r["status"] for r in records] == ["ok", "failed", "ok"]
    assert "RuntimeError: l2 too large" in records[1]["error"]
    assert search.best_trial(records, "val_accuracy")["params"] == {"l2": 0.001}


def test_results_are_written_as_they_arrive_and_a_search_resumes(tmp_path):
    path = tmp_path / "search.jsonl"
    calls = []

    def counted(params):
        calls.append(params["x"])
        if len(calls) == 3:
            raise KeyboardInterrupt  # Ctrl-C during the third trial
        return objectives.quadratic(params)

    params = [{"x": x} for x in (0.1, 0.2, 0.3, 0.4)]
    first = search.run_search(counted, params, results_path=path)
    assert [r["trial"] for r in first] == [0, 1]
    assert len(path.read_text().splitlines()) == 2
    calls.clear()
    resumed = search.run_search(counted, params, results_path=path)
    assert calls == [0.3, 0.4]  # only the unfinished trials ran
    assert [r["trial"] for r in resumed] == [0, 1, 2, 3]
    assert [json.loads(line)["trial"] for line in path.read_text().splitlines()] == [0, 1, 2, 3]


def test_resume_ignores_trials_whose_params_changed(tmp_path):
    path = tmp_path / "search.jsonl"
    search.run_search(objectives.quadratic, [{"x": 0.1}], results_path=path)
    records = search.run_search(objectives.quadratic, [{"x": 0.9}], results_path=path)
    assert records[0]["params"] == {"x": 0.9}


def test_coarse_to_fine_moves_toward_the_optimum(tmp_path):
    coarse, fine, fine_space = search.coarse_to_fine(objectives.quadratic, {"x": search.Uniform(-1, 1)}, 10, 10,
                                                     "score", top=3, results_path=str(tmp_path / "s"))
    assert fine_space["x"].low < 0.3 < fine_space["x"].high and fine_space["x"].high - fine_space["x"].low < 2
    mean = lambda records: sum(r["metrics"]["score"] for r in records) / len(records)  # noqa: E731
    assert mean(fine) > mean(coarse)
    assert os.path.exists(tmp_path / "s.coarse.jsonl") and os.path.exists(tmp_path / "s.fine.jsonl")


def test_grid_search_and_table():
    records = search.grid_search(functools.partial(objectives.quadratic), {"x": [0.0, 0.3, 1.0]})
    table = search.results_table(records, "score")
    assert table.row_count == 3
    assert search.best_trial(records, "score")["params"] == {"x": 0.3}


def test_unknown_backend():
    with pytest.raises(ValueError, match="Unknown backend 'mpi'"):
        search.run_search(objectives.quadratic, [{"x": 0}], backend="mpi")


def test_process_backend_records_crashes_and_timeouts_and_goes_on():
    records = search.run_search(objectives.dies_or_hangs, [{"x": 0}, {"x": 1}, {"x": 2}, {"x": 3}, {"x": 4}],
                                backend="process", workers=2, trial_timeout=20)
    statuses = [record["status"] for record in records]
    assert statuses == ["ok", "crashed", "crashed", "timeout", "ok"]
    assert "exit code 3" in records[1]["error"] and "SIGSEGV" in records[2]["error"]
    assert records[4]["metrics"] == {"score": 4.0}


def test_sequential_timeout_stops_a_hung_trial():
    records = search.run_search(objectives.dies_or_hangs, [{"x": 3}, {"x": 4}], trial_timeout=1)
    assert [record["status"] for record in records] == ["timeout", "ok"]
    assert records[0]["seconds"] < 30


def test_dask_runs_a_crashing_trial_once_and_goes_on(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    records = search.run_search(objectives.dies_or_hangs, [{"x": 0}, {"x": 1}, {"x": 4}], backend="dask", workers=2)
    assert [record["status"] for record in records] == ["ok", "crashed", "ok"]


def test_a_torn_last_line_is_dropped_and_its_trial_runs_again(tmp_path):
    path = tmp_path / "results.jsonl"
    first = search.run_search(objectives.quadratic, [{"x": 0.1}], results_path=path)
    path.write_text(path.read_text() + '{"trial": 1, "params": {"x": 0.2}, "status": "o')  # killed mid-write
    records = search.run_search(objectives.quadratic, [{"x": 0.1}, {"x": 0.2}], results_path=path)
    assert [record["status"] for record in records] == ["ok", "ok"] and records[0] == first[0]
    lines = path.read_text().splitlines()
    assert len(lines) == 2 and all(json.loads(line)["status"] == "ok" for line in lines)
