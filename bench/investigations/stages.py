"""The hand-written seed network stopped after each stage of its step, beside minikeras.

    python -m bench.investigations.stages [--repeats 5] [--samples 45000] [--batch-size 100]

prints the epoch time of each stage of `bench.handwritten.HandwrittenMLP` (products, gather,
forward, loss, backward, update) for the CIFAR seed network beside minikeras, measured
alternately; the differences between consecutive stages are what each part costs. It reports
the fastest of the repeats: noise only ever adds time, and differences of medians between
neighbouring stages drown in it.
"""
from __future__ import annotations

from threadpoolctl import threadpool_limits

from bench.cases import minikeras_model, random_data
from bench.handwritten import STAGES, HandwrittenMLP
from bench.options import seed_net_experiment
from bench.timing import alternate, timed


def main(argv=None):
    args, case = seed_net_experiment(argv, __doc__, repeats=5)
    x, y = random_data(case)
    model = minikeras_model(case)
    net = HandwrittenMLP(case.widths, case.batch_size, l2=case.l2)
    rate = model.optimizer.learning_rate
    contenders = {stage: (lambda stage=stage: net.epoch_seconds(x, y, rate, stage)) for stage in STAGES}
    contenders["minikeras"] = lambda: timed(model.fit, x, y, epochs=1, batch_size=case.batch_size, verbose=0)
    with threadpool_limits(limits=args.threads):
        fastest = {name: min(values) for name, values in alternate(contenders, args.repeats).items()}
    floor, previous = fastest["products"], None
    print(f"{case.name}, batch {case.batch_size}, {case.samples:,} samples, {args.threads} BLAS threads; "
          f"fastest of {args.repeats} epochs")
    print("| stage | epoch s | / products | added by the stage, us per batch |")
    print("| --- | ---: | ---: | ---: |")
    batches = case.samples // case.batch_size
    for name, seconds in fastest.items():
        added = "" if previous is None else f"{(seconds - previous) / batches * 1e6:+.0f}"
        print(f"| {name} | {seconds:.3f} | {seconds / floor:.2f}x | {added} |")
        previous = seconds
    return fastest


if __name__ == "__main__":
    main()
