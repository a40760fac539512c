"""The benchmarks run (on a tiny case); their numbers are measurements, never asserted here."""
import json
import pathlib

import pytest

from bench import floor, run, search_speedup

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_bench_suite_runs_and_writes_its_files(tmp_path, capsys):
    rows = run.main(["--quick", "--repeats", "1", "--only", "predict", "--json", str(tmp_path / "r.json"),
                     "--markdown", str(tmp_path / "r.md")])
    assert [row["case"] for row in rows] == ["predict, CIFAR seed net, 10,000 rows"]
    saved = json.loads((tmp_path / "r.json").read_text())
    assert saved["environment"]["OPENBLAS_CORETYPE"] and saved["results"][0]["minikeras_s"] > 0
    assert [len(epochs) for epochs in saved["results"][0]["epochs_s"].values()] == [1] * len(rows[0]["epochs_s"])
    assert "| predict, CIFAR seed net" in (tmp_path / "r.md").read_text()


def test_search_speedup_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # Dask workers import bench.search_speedup
    seconds, agree = search_speedup.main(["--trials", "2", "--samples", "400", "--epochs", "1",
                                          "--json", str(tmp_path / "s.json")])
    assert set(seconds) == {"sequential", "process", "dask"} and agree


def test_floor_pass_comparison_runs(capsys):
    times = floor.main(["--repeats", "1", "--samples", "400"])
    assert len(times) == 5 and all(len(values) == 1 for values in times.values())
    out = capsys.readouterr().out
    assert "that pass alone, 4 times" in out
    assert "floor + gather + the pass" in out and "(1.00x)" in out  # the floor against itself


def test_training_case_by_name_or_unique_part():
    from bench.run import training_case

    assert training_case("MNIST").name.startswith("MNIST")
    assert training_case("CIFAR seed net, BN, batch 256").widths == [3072, 50, 50, 10]
    with pytest.raises(ValueError, match="Several .* wide 3072-1024-1024-10, BN, batch 256; CIFAR seed net"):
        training_case("batch 256")
    with pytest.raises(ValueError, match="No training cases .* 'predict'"):
        training_case("predict")


def test_alternate_reverses_every_other_turn_when_asked():
    calls = []
    contenders = {name: (lambda name=name: calls.append(name) or 0.0) for name in "ab"}
    run.alternate(contenders, 3, both_orders=True)
    assert calls == ["a", "b", "a", "b", "b", "a", "a", "b"]  # warm-up, then turns in both orders
    calls.clear()
    run.alternate(contenders, 2)
    assert calls == ["a", "b", "a", "b", "a", "b"]
