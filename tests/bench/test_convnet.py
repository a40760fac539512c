"""`python -m bench.convnet` runs end to end on a few samples and reports what docs/performance.md
quotes: both sides' epoch and predict times, their ratios, and minikeras' peak memory."""
from bench import convnet


def test_the_convnet_bench_reports_times_ratios_and_peak_memory(capsys):
    results = convnet.main(["--repeats", "1", "--samples", "256"])
    assert [result["case"] for result in results] == ["mnist convnet", "cifar convnet"]
    for result in results:
        assert result["epoch_vs_pytorch"] == result["minikeras_epoch_s"] / result["pytorch_epoch_s"]
        assert result["predict_vs_pytorch"] == result["minikeras_predict_s"] / result["pytorch_predict_s"]
        assert result["minikeras_epoch_peak_mb"] > 0
    out = capsys.readouterr().out
    assert "mnist convnet, 256 samples" in out and "epoch ratio" in out and "MB traced" in out
