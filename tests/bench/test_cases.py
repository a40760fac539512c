import pytest

from bench.cases import training_case


def test_training_case_by_name_or_unique_part():
    assert training_case("MNIST").name.startswith("MNIST")
    assert training_case("CIFAR seed net, BN, batch 256").widths == [3072, 50, 50, 10]
    with pytest.raises(ValueError, match="Several .* wide 3072-1024-1024-10, BN, batch 256; CIFAR seed net"):
        training_case("batch 256")
    with pytest.raises(ValueError, match="No training cases .* 'predict'"):
        training_case("predict")
