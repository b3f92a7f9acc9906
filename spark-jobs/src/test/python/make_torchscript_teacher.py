#!/usr/bin/python3
"""Build the small TorchScript teacher fixture used by the spark-jobs tests.

What it makes
-------------
In the output folder (default:
``spark-jobs/src/test/resources/teachers/torchscript-cnn/`` under the repo root):

* ``teacher.pt``    - a traced (``torch.jit.trace``) TorchScript CNN for
  Fashion-MNIST. Input: float32 ``[B, 1, 28, 28]`` with pixel values scaled to
  ``[0, 1]`` (``x / 255``, no other normalisation). Output: raw logits
  ``[B, 10]`` (no softmax).
  Architecture: Conv2d(1,8,3,p=1)-ReLU-MaxPool2d(2)-Conv2d(8,16,3,p=1)-ReLU-
  MaxPool2d(2)-Flatten-Linear(784,32)-ReLU-Linear(32,10).
* ``expected.json`` - reference data for the tests::

      {"input_shape": [1, 28, 28], "classes": 10,
       "test_accuracy": <float, full t10k split>,
       "first_test_ids": [0, ..., 7],
       "test_labels": [8 ints],
       "logits": [[10 floats] x 8]}

  ``logits`` are the traced model's outputs for t10k images 0..7 (scaled
  ``x / 255``), written with full float precision.

The model is trained for 1 epoch (Adam, lr 1e-3, batch 128) on the first
20000 Fashion-MNIST training images, read directly from the idx ``.gz`` files
in /usr/share/datasets/fashion-mnist (no torchvision, no network). Seeds are
fixed (torch 0, numpy 0) and torch uses 2 threads, so re-running produces the
same model. It takes well under two minutes on CPU.

How to re-run
-------------
From the repository root, with Debian's PyTorch (package ``python3-torch``)
installed for the system interpreter (not a pyenv/virtualenv python)::

    /usr/bin/python3 spark-jobs/src/test/python/make_torchscript_teacher.py

Optional arguments: ``[output_dir] [--data-dir DIR]``.
"""

import argparse
import gzip
import json
import os
import random

import numpy as np
import torch
import torch.nn as nn

REPO_ROOT = os.path.abspath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", ".."))
DEFAULT_OUT = os.path.join(
    REPO_ROOT, "spark-jobs", "src", "test", "resources", "teachers", "torchscript-cnn")
DEFAULT_DATA = "/usr/share/datasets/fashion-mnist"

TRAIN_SIZE = 20000
BATCH = 128
LR = 1e-3
N_EXPECTED = 8


def read_idx_images(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, n, rows, cols = np.frombuffer(data, dtype=">i4", count=4)
    if magic != 2051:
        raise ValueError("bad idx3 magic %d in %s" % (magic, path))
    return np.frombuffer(data, dtype=np.uint8, offset=16).reshape(n, rows, cols)


def read_idx_labels(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, n = np.frombuffer(data, dtype=">i4", count=2)
    if magic != 2049:
        raise ValueError("bad idx1 magic %d in %s" % (magic, path))
    labels = np.frombuffer(data, dtype=np.uint8, offset=8)
    if labels.shape[0] != n:
        raise ValueError("label count mismatch in %s" % path)
    return labels


def to_tensor(images_u8):
    """uint8 [N,28,28] -> float32 [N,1,28,28] in [0,1] (x/255 only)."""
    return torch.from_numpy(images_u8.astype(np.float32) / np.float32(255.0)).unsqueeze(1)


def make_model():
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 7 * 7, 32), nn.ReLU(),
        nn.Linear(32, 10),
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("output_dir", nargs="?", default=DEFAULT_OUT)
    ap.add_argument("--data-dir", default=DEFAULT_DATA)
    args = ap.parse_args()

    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)

    d = args.data_dir
    train_x = read_idx_images(os.path.join(d, "train-images-idx3-ubyte.gz"))[:TRAIN_SIZE]
    train_y = read_idx_labels(os.path.join(d, "train-labels-idx1-ubyte.gz"))[:TRAIN_SIZE]
    test_x = read_idx_images(os.path.join(d, "t10k-images-idx3-ubyte.gz"))
    test_y = read_idx_labels(os.path.join(d, "t10k-labels-idx1-ubyte.gz"))

    xt = to_tensor(train_x)
    yt = torch.from_numpy(train_y.astype(np.int64))
    xs = to_tensor(test_x)
    ys = torch.from_numpy(test_y.astype(np.int64))

    model = make_model()
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    loss_fn = nn.CrossEntropyLoss()

    model.train()
    perm = torch.from_numpy(np.random.permutation(TRAIN_SIZE))
    for i in range(0, TRAIN_SIZE, BATCH):
        idx = perm[i:i + BATCH]
        opt.zero_grad()
        loss = loss_fn(model(xt[idx]), yt[idx])
        loss.backward()
        opt.step()
    print("final batch loss: %.4f" % loss.item())

    model.eval()
    with torch.no_grad():
        example = xs[:1]
        traced = torch.jit.trace(model, example)

        correct = 0
        for i in range(0, xs.shape[0], 1000):
            correct += (traced(xs[i:i + 1000]).argmax(1) == ys[i:i + 1000]).sum().item()
        acc = correct / xs.shape[0]
        print("test accuracy: %.4f" % acc)

        logits = traced(xs[:N_EXPECTED])

    os.makedirs(args.output_dir, exist_ok=True)
    pt_path = os.path.join(args.output_dir, "teacher.pt")
    traced.save(pt_path)

    expected = {
        "input_shape": [1, 28, 28],
        "classes": 10,
        "test_accuracy": acc,
        "first_test_ids": list(range(N_EXPECTED)),
        "test_labels": [int(v) for v in test_y[:N_EXPECTED]],
        # float32 values widened to Python floats; json writes them with
        # repr(), which round-trips exactly.
        "logits": [[float(v) for v in row] for row in logits.tolist()],
    }
    json_path = os.path.join(args.output_dir, "expected.json")
    with open(json_path, "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    print("wrote %s (%d bytes)" % (pt_path, os.path.getsize(pt_path)))
    print("wrote %s (%d bytes)" % (json_path, os.path.getsize(json_path)))


if __name__ == "__main__":
    main()
