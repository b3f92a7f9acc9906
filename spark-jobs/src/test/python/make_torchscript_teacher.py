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

  It also holds a ``synthetic`` object for the images the Java tests generate
  (``io.edldist.jobs.testdata.SyntheticImages``; ``synthetic_image`` below is
  an exact port of it)::

      "synthetic": {"train": 1200, "test": 400,
                    "images_sha256": <hex>, "first_test_ids": [1200, ..., 1207],
                    "test_labels": [8 ints], "logits": [[10 floats] x 8]}

  ``images_sha256`` is the SHA-256 of the bytes of synthetic test images
  0..63 concatenated, so the Java tests can check that both sides generate the
  same images. ``logits`` are the traced model's outputs for synthetic test
  images 0..7 (scaled ``x / 255``). ``first_test_ids`` are the sample ids
  ingest gives them: a folder with ``train`` train images numbers its test
  images from ``train`` on. The test images depend on their index only.

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

Optional arguments: ``[output_dir] [--data-dir DIR] [--expected-only]``.

With ``--expected-only`` nothing is trained and ``teacher.pt`` is left as it
is: the script loads it (``torch.jit.load``), recomputes the ``synthetic``
object and writes it into the existing ``expected.json``, keeping the other
keys unchanged::

    /usr/bin/python3 spark-jobs/src/test/python/make_torchscript_teacher.py --expected-only
"""

import argparse
import gzip
import hashlib
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
SYNTH_TRAIN = 1200
SYNTH_TEST = 400
SYNTH_HASHED = 64

MASK64 = (1 << 64) - 1
SYNTH_SPLITS = {"train": 1, "test": 2}
SYNTH_SIZE = 28
SYNTH_NOISE = 64


def synth_mix(x):
    """splitmix64's output function on x + golden gamma, modulo 2**64."""
    z = (x + 0x9E3779B97F4A7C15) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def synth_stream(split, index):
    return synth_mix(synth_mix(SYNTH_SPLITS[split]) ^ index)


def synth_label(split, index):
    return synth_mix(synth_stream(split, index) ^ 0) % 10


def synth_ink(cls, r, c):
    if not (0 <= r < SYNTH_SIZE and 0 <= c < SYNTH_SIZE):
        return False
    u, w = abs(2 * c - 27), abs(2 * r - 27)
    m = max(u, w)
    shape = cls // 2
    if shape == 0:
        on = w <= 9 and u <= 23
    elif shape == 1:
        on = u <= 9 and w <= 23
    elif shape == 2:
        on = 100 <= u * u + w * w <= 484
    elif shape == 3:
        on = 13 <= m <= 23
    else:
        on = (u <= 7 or w <= 7) and m <= 23
    return on and (cls % 2 == 0 or (r + c) % 4 < 2)


def synth_image(split, index):
    """The 28*28 bytes of a synthetic image, exactly as SyntheticImages.image."""
    s = synth_stream(split, index)

    def draw(purpose, n):
        return synth_mix(s ^ purpose) % n

    cls = draw(0, 10)
    dx, dy = draw(1, 5) - 2, draw(2, 5) - 2
    peak = 128 + draw(3, 128)
    out = bytearray(SYNTH_SIZE * SYNTH_SIZE)
    for r in range(SYNTH_SIZE):
        for c in range(SYNTH_SIZE):
            p = r * SYNTH_SIZE + c
            v = draw(16 + p, SYNTH_NOISE + 1)
            if synth_ink(cls, r - dy, c - dx):
                v += peak
            out[p] = min(v, 255)
    return bytes(out)


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


def synthetic_expected(model):
    """The ``synthetic`` object of expected.json for a traced model."""
    images = [synth_image("test", i) for i in range(SYNTH_HASHED)]
    x = np.frombuffer(b"".join(images[:N_EXPECTED]), dtype=np.uint8)
    with torch.no_grad():
        logits = model(to_tensor(x.reshape(N_EXPECTED, SYNTH_SIZE, SYNTH_SIZE)))
    return {
        "train": SYNTH_TRAIN,
        "test": SYNTH_TEST,
        "images_sha256": hashlib.sha256(b"".join(images)).hexdigest(),
        "first_test_ids": [SYNTH_TRAIN + i for i in range(N_EXPECTED)],
        "test_labels": [synth_label("test", i) for i in range(N_EXPECTED)],
        "logits": [[float(v) for v in row] for row in logits.tolist()],
    }


def write_json(path, expected):
    with open(path, "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    print("wrote %s (%d bytes)" % (path, os.path.getsize(path)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("output_dir", nargs="?", default=DEFAULT_OUT)
    ap.add_argument("--data-dir", default=DEFAULT_DATA)
    ap.add_argument("--expected-only", action="store_true",
                    help="keep teacher.pt; only (re)write the synthetic part of expected.json")
    args = ap.parse_args()

    torch.set_num_threads(2)
    json_path = os.path.join(args.output_dir, "expected.json")
    if args.expected_only:
        traced = torch.jit.load(os.path.join(args.output_dir, "teacher.pt"))
        traced.eval()
        with open(json_path) as f:
            expected = json.load(f)
        expected["synthetic"] = synthetic_expected(traced)
        write_json(json_path, expected)
        return

    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)
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
        "synthetic": synthetic_expected(traced),
    }
    print("wrote %s (%d bytes)" % (pt_path, os.path.getsize(pt_path)))
    write_json(json_path, expected)


if __name__ == "__main__":
    main()
