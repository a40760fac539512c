import pathlib

from bench.investigations import search_speedup

ROOT = pathlib.Path(__file__).resolve().parents[3]


def test_search_speedup_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # Dask workers import bench.investigations.search_speedup
    seconds, agree = search_speedup.main(["--trials", "2", "--samples", "400", "--epochs", "1",
                                          "--json", str(tmp_path / "s.json")])
    assert set(seconds) == {"sequential", "process", "dask"} and agree
