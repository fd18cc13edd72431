"""Write a synthetic dataset in CIFAR-10's binary format, for screenshots and timings.

Ten classes, a coloured disc or square on a dim, noisy background, 32 x 32: "red disc",
"red square", "green disc", ... Each batch is a run of 3,073-byte records (a label byte, then
the red, green and blue planes row by row), as in cifar-10-batches-bin, with the class names
in batches.meta.txt. It is an easy task: a network learns it in an epoch or two.

    python resources/scripts/make_colour_cifar.py --out /tmp/colour-cifar --batches 5 \
        --per-batch 10000
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

SIDE = 32
COLOURS = {"red": (220, 40, 40), "green": (40, 190, 60), "blue": (50, 80, 230),
           "yellow": (230, 210, 40), "magenta": (210, 50, 200)}
SHAPES = ("disc", "square")
NAMES = [f"{colour} {shape}" for colour in COLOURS for shape in SHAPES]


def make_images(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` images uint8 (n, 3, 32, 32) and their labels 0-9."""
    labels = rng.integers(0, len(NAMES), n)
    colour = np.array(list(COLOURS.values()))[labels // 2]            # (n, 3)
    square = (labels % 2 == 1)[:, None, None]
    centre = rng.uniform(10, SIDE - 10, (n, 2))
    radius = rng.uniform(5, 9, n)[:, None, None]
    yy, xx = np.mgrid[0:SIDE, 0:SIDE]
    dy, dx = yy - centre[:, 0, None, None], xx - centre[:, 1, None, None]
    disc = dy ** 2 + dx ** 2 <= radius ** 2
    box = (np.abs(dy) <= radius * 0.85) & (np.abs(dx) <= radius * 0.85)
    inside = np.where(square, box, disc)                                 # (n, 32, 32)
    background = rng.uniform(20, 90, (n, 3))[:, :, None, None] + \
        rng.normal(0, 12, (n, 3, SIDE, SIDE))
    shade = 0.75 + 0.25 * (1 - (yy / SIDE))                              # light from above
    images = np.where(inside[:, None], colour[:, :, None, None] * shade, background)
    return np.clip(np.rint(images), 0, 255).astype(np.uint8), labels


def records(images: np.ndarray, labels: np.ndarray) -> bytes:
    rows = np.empty((len(labels), 1 + images[0].size), dtype=np.uint8)
    rows[:, 0] = labels
    rows[:, 1:] = images.reshape(len(labels), -1)
    return rows.tobytes()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, type=Path, help="the folder to write")
    parser.add_argument("--batches", type=int, default=5, help="training batches, 1-5")
    parser.add_argument("--per-batch", type=int, default=1000, help="records per batch")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if not 1 <= args.batches <= 5 or args.per_batch < 1:
        parser.error("--batches must be 1 to 5 and --per-batch at least 1")
    rng = np.random.default_rng(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    names = [f"data_batch_{i}.bin" for i in range(1, args.batches + 1)] + ["test_batch.bin"]
    for name in names:
        (args.out / name).write_bytes(records(*make_images(args.per_batch, rng)))
    (args.out / "batches.meta.txt").write_text("\n".join(NAMES) + "\n\n")
    print(f"{args.out}: {len(names) - 1} training batches and a test batch of "
          f"{args.per_batch:,} records each")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
