#!/usr/bin/python3
"""A plain PyTorch loop to time a whole `edl-dist infer` command against, by hand.

Loads a TorchScript teacher, reads Fashion-MNIST's 70,000 images (train and t10k)
from the idx .gz files, scales them to [0, 1], scores them in batches without
gradients and prints the time of each step. Time the whole process from the
shell (`time /usr/bin/python3 ...`) to include the interpreter and torch import,
as `time bin/edl-dist infer ...` includes the JVM and the Spark session.

    time /usr/bin/python3 bench/baselines/pytorch_infer.py \
        spark-jobs/src/test/resources/teachers/torchscript-cnn/teacher.pt \
        --threads 2 --batch 256

Needs Debian's python3-torch (PyTorch 1.13) for the system interpreter.
"""
import argparse
import gzip
import time

START = time.perf_counter()

import numpy as np  # noqa: E402
import torch  # noqa: E402

DATA = "/usr/share/datasets/fashion-mnist"


def images(name):
    with gzip.open(f"{DATA}/{name}-images-idx3-ubyte.gz", "rb") as f:
        raw = f.read()
    n = int.from_bytes(raw[4:8], "big")
    return np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(n, 1, 28, 28)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("teacher")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=256)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    imported = time.perf_counter()
    model = torch.jit.load(a.teacher).eval()
    x = np.concatenate([images("train"), images("t10k")])
    loaded = time.perf_counter()
    logits = []
    with torch.no_grad():
        for i in range(0, len(x), a.batch):
            batch = torch.from_numpy(x[i : i + a.batch].astype(np.float32) / 255.0)
            logits.append(model(batch).numpy())
    scored = time.perf_counter()
    out = np.concatenate(logits)
    print(
        f"pytorch: {len(out):,} rows scored; import {imported - START:.2f} s, load model and"
        f" data {loaded - imported:.2f} s, score {scored - loaded:.2f} s"
        f" ({len(out) / (scored - loaded):,.0f} rows/s)"
    )


if __name__ == "__main__":
    main()
