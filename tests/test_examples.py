"""The README's main job and the small examples run end to end."""
import os

from examples import mnist_quickstart, spirals


def test_mnist_quickstart_trains_saves_reloads_and_plots(tmp_path, capsys):
    test = mnist_quickstart.main(["--out", str(tmp_path)])
    assert test["accuracy"] > 0.93
    out = capsys.readouterr().out
    assert "reloaded model predicts identically: True" in out
    assert os.path.getsize(tmp_path / "learning_curves.png") > 10_000
    assert os.path.exists(tmp_path / "mnist_mlp.h5")


def test_three_spirals_reach_95_percent_validation_accuracy(tmp_path, capsys):
    history = spirals.main(["--out", str(tmp_path)])
    assert history.history["val_accuracy"][-1] >= 0.95, history.history["val_accuracy"][-5:]
    assert "reloaded model predicts identically: True" in capsys.readouterr().out


def test_the_convnet_examples_run_end_to_end_on_files_in_the_official_formats(tmp_path, monkeypatch, capsys):
    from examples import cifar10_convnet, mnist_convnet, mnist_convnet_tuned
    from tests.datasets.conftest import write_cifar_archive, write_mnist
    write_mnist(tmp_path / "mnist", n_train=60, n_test=20)
    write_cifar_archive(tmp_path / "cifar-10-python.tar.gz")
    monkeypatch.setenv("MINIKERAS_DATA", str(tmp_path))
    for example in (mnist_convnet, mnist_convnet_tuned, cifar10_convnet):
        accuracy = example.main(["--epochs", "2"])
        assert 0.0 <= accuracy <= 1.0
        out = capsys.readouterr().out
        assert "Epoch 2/2" in out and "Test accuracy" in out
