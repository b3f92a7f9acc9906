#!/usr/bin/python3
"""A plain PyTorch inference loop: what a user would run instead of `edl-dist infer`.

Three modes. By hand, time a whole process against a whole `edl-dist infer` command
(the interpreter and torch import included, as the JVM and the Spark session are):

    time /usr/bin/python3 bench/baselines/pytorch_infer.py \
        spark-jobs/src/test/resources/teachers/torchscript-cnn/teacher.pt \
        --threads 2 --batch 256

It reads Fashion-MNIST's 70,000 images (train and t10k) from the idx .gz files,
scales them to [0, 1], scores them in batches without gradients and prints the time
of each step.

`edl-dist bench` ships this file in its jar and uses the other two modes:

    --make {fixture,cnn} OUT --shape C,H,W --classes N
        traces a seeded, untrained model of that layout to OUT: `fixture` is the
        TorchScript test teacher's (spark-jobs/src/test/python/make_torchscript_teacher.py),
        `cnn` the project's default teacher architecture (Architectures.cnn). Time per
        sample does not depend on the weights' values.
    --serve MODEL --rows FILE --shape C,H,W --threads T
        loads MODEL and FILE (float32 rows, little-endian, C*H*W values each), then
        answers lines "ROWS BATCH" on stdin, each with the seconds (one line) it took to
        score ROWS rows, cycling over the file's rows, in batches of BATCH.

Needs Debian's python3-torch (PyTorch 1.13) for the system interpreter.
"""
import argparse
import gzip
import sys
import time

START = time.perf_counter()

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

DATA = "/usr/share/datasets/fashion-mnist"


def images(name):
    with gzip.open(f"{DATA}/{name}-images-idx3-ubyte.gz", "rb") as f:
        raw = f.read()
    n = int.from_bytes(raw[4:8], "big")
    return np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(n, 1, 28, 28)


def layout(arch, shape, classes):
    c, h, w = shape
    c1, c2, dense = {"fixture": (8, 16, 32), "cnn": (32, 64, 128)}[arch]
    return nn.Sequential(
        nn.Conv2d(c, c1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(c2 * (h // 4) * (w // 4), dense), nn.ReLU(),
        nn.Linear(dense, classes))


def make(arch, out, shape, classes):
    torch.manual_seed(0)
    model = layout(arch, shape, classes).eval()
    with torch.no_grad():
        torch.jit.trace(model, torch.zeros(1, *shape)).save(out)


def serve(model_path, rows_path, shape, threads):
    torch.set_num_threads(threads)
    model = torch.jit.load(model_path).eval()
    rows = np.fromfile(rows_path, dtype="<f4").reshape(-1, *shape)
    n = len(rows)
    print("ready", flush=True)
    with torch.no_grad():
        for line in sys.stdin:
            count, batch = (int(v) for v in line.split())
            start = time.perf_counter()
            scored = 0
            for b in range(0, count, batch):
                size = min(batch, count - b)
                i = b % n
                x = rows[i:i + size] if i + size <= n else rows[np.arange(i, i + size) % n]
                scored += model(torch.from_numpy(x)).shape[0]
            seconds = time.perf_counter() - start
            if scored != count:
                raise SystemExit(f"scored {scored} of {count} rows")
            print(f"{seconds:.6f}", flush=True)


def by_hand(teacher, threads, batch):
    torch.set_num_threads(threads)
    imported = time.perf_counter()
    model = torch.jit.load(teacher).eval()
    x = np.concatenate([images("train"), images("t10k")])
    loaded = time.perf_counter()
    logits = []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            b = torch.from_numpy(x[i:i + batch].astype(np.float32) / 255.0)
            logits.append(model(b).numpy())
    scored = time.perf_counter()
    out = np.concatenate(logits)
    print(
        f"pytorch: {len(out):,} rows scored; import {imported - START:.2f} s, load model and"
        f" data {loaded - imported:.2f} s, score {scored - loaded:.2f} s"
        f" ({len(out) / (scored - loaded):,.0f} rows/s)"
    )


def main():
    p = argparse.ArgumentParser()
    p.add_argument("teacher", nargs="?")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--make", nargs=2, metavar=("ARCH", "OUT"))
    p.add_argument("--serve")
    p.add_argument("--rows")
    p.add_argument("--shape", type=lambda s: tuple(int(v) for v in s.split(",")))
    p.add_argument("--classes", type=int, default=10)
    a = p.parse_args()
    if a.make:
        make(a.make[0], a.make[1], a.shape, a.classes)
    elif a.serve:
        serve(a.serve, a.rows, a.shape, a.threads)
    elif a.teacher:
        by_hand(a.teacher, a.threads, a.batch)
    else:
        p.error("name a TorchScript teacher, or --make or --serve")


if __name__ == "__main__":
    main()
