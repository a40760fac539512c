"""The bench suite runs (on a tiny case); its numbers are measurements, never asserted here."""
import json

from bench import suite


def test_bench_suite_runs_and_writes_its_files(tmp_path, capsys):
    rows = suite.main(["--quick", "--repeats", "1", "--only", "predict", "--json", str(tmp_path / "r.json"),
                     "--markdown", str(tmp_path / "r.md")])
    assert [row["case"] for row in rows] == ["predict, CIFAR seed net, 10,000 rows"]
    saved = json.loads((tmp_path / "r.json").read_text())
    assert saved["environment"]["OPENBLAS_CORETYPE"] and saved["results"][0]["minikeras_s"] > 0
    assert saved["environment"]["blas_update"].startswith(("active", "off"))
    assert "threaded BLAS update" in capsys.readouterr().out
    assert [len(epochs) for epochs in saved["results"][0]["epochs_s"].values()] == [1] * len(rows[0]["epochs_s"])
    assert "| predict, CIFAR seed net" in (tmp_path / "r.md").read_text()
