"""What one neural_style iteration costs at a given image shape: FLOP count, FLOP floor, kernel sum.

One *evaluation* of the objective (loss and gradient w.r.t. the image) runs VGG-19 up to the deepest
layer the default configuration taps (``block5_relu1``: 13 convolutions), Gram matrices at the five
style layers, and the backward pass down to the image. This module answers, for an image of
``H x W`` pixels:

- ``network_shapes``: the shape of every convolution and Gram matrix on that path;
- ``evaluation_flops``: the FLOPs of one evaluation, counted analytically. Per 3x3 convolution at
  its feature-map size ``H_l x W_l``, ``C_in -> C_out``: forward ``2 H_l W_l 9 C_in C_out``, plus the
  same again for the gradient w.r.t. its input (all 13, the first one too: the image is the
  variable); no weight gradients (the weights are frozen). Per style layer with ``M`` positions and
  ``N`` channels: Gram forward ``2 M N^2`` (``F^T F``), backward ``4 M N^2`` (TensorFlow's MatMul
  gradient is two matmuls of the same size, one per operand, then an add). Bias, ReLU, pooling,
  losses and total variation are memory-bound and not counted;
- ``measure_matmul_gflops``: a sustained throughput, GFLOP/s of a large square matmul (float32 or
  bfloat16) inside a ``tf.function``, median of several calls after warm-up;
- ``time_kernels``: every convolution's forward (``Conv2D``) and input gradient
  (``Conv2DBackpropInput``) and every Gram's forward and backward timed *in isolation*, each its own
  ``tf.function`` whose tensors are passed as arguments (not captured constants, which Grappler could
  fold away), median of several calls after warm-up. Their sum is "the sum of the isolated kernels".

The FLOP floor is ``conv GFLOP / conv rate + Gram GFLOP / float32 rate``, where the conv rate is the
float32 or bfloat16 matmul rate. Like the package's ``precision="bfloat16"`` (Keras
``mixed_bfloat16``), the bfloat16 variant runs the convolutions in bfloat16 (inputs and kernels cast
before timing) and keeps the Gram matrices in float32 (the extractor casts its outputs to float32).

Command line (human-readable tables; ``--json`` adds one tagged JSON line for bench_speed.py)::

    python -m bench.kernels --sizes 256 512               # output shapes of the default content image
    python -m bench.kernels --shapes 192x256 --precisions float32 bfloat16 --repeats 5
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import argparse
import json
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PRECISIONS = ("float32", "bfloat16")
RESULT_TAG = "KERNELS_RESULT "


@dataclass(frozen=True)
class ConvShape:
    """A 3x3 'same' convolution, stride 1, on a ``[1, h, w, c_in]`` feature map."""

    name: str
    h: int
    w: int
    c_in: int
    c_out: int

    @property
    def flops(self) -> int:
        """Forward FLOPs (a multiply-add counts 2); the input gradient costs the same."""
        return 2 * self.h * self.w * 9 * self.c_in * self.c_out


@dataclass(frozen=True)
class GramShape:
    """``F^T F`` of features ``F [m, n]`` (m positions, n channels) at a style layer."""

    name: str
    m: int
    n: int

    @property
    def flops(self) -> int:
        """Forward FLOPs; the backward (two matmuls of the same size) costs twice this."""
        return 2 * self.m * self.n * self.n


def default_layers() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(content layers, style layers) of the package's default TransferConfig, internal names."""
    from neural_style import TransferConfig

    config = TransferConfig()
    return config.content_layers, config.style_layers


def network_shapes(height: int, width: int, content_layers: Sequence[str] | None = None,
                   style_layers: Sequence[str] | None = None) -> tuple[list[ConvShape], list[GramShape]]:
    """Convolutions (network order) and Grams (style layers) of one evaluation on an ``height x width`` image.

    The network is built up to the deepest tapped layer, as ``features.build_feature_extractor`` does;
    pooling is 2x2 stride 2 'valid', so each pooling floors the size.
    """
    from neural_style.layers import (
        LAYER_NAMES,
        canonical_layer_name,
        feature_size,
        layer_channels,
    )

    if content_layers is None or style_layers is None:
        content_layers, style_layers = default_layers()
    style = [canonical_layer_name(name) for name in style_layers]
    wanted = [canonical_layer_name(name) for name in content_layers] + style
    deepest = max(LAYER_NAMES.index(name) for name in wanted)
    c = 3
    convs, at = [], {}
    for name in LAYER_NAMES[: deepest + 1]:
        h, w = feature_size(name, height, width)
        if "_conv" in name:
            convs.append(ConvShape(name, h, w, c, layer_channels(name)))
            c = layer_channels(name)
        at[name] = (h, w, c)
    grams = [GramShape(name, at[name][0] * at[name][1], at[name][2]) for name in dict.fromkeys(style)]
    return convs, grams


def evaluation_flops(convs: Iterable[ConvShape], grams: Iterable[GramShape]) -> dict[str, int]:
    """FLOPs of one loss+gradient evaluation, by part (see the module docstring)."""
    convs, grams = list(convs), list(grams)
    parts = {
        "conv_fwd": sum(c.flops for c in convs),
        "conv_bwd_input": sum(c.flops for c in convs),
        "gram_fwd": sum(g.flops for g in grams),
        "gram_bwd": sum(2 * g.flops for g in grams),
    }
    parts["total"] = sum(parts.values())
    return parts


def flop_floor(flops: dict[str, int], precision: str, gflops: dict[str, float]) -> float:
    """Seconds one evaluation would take at the measured matmul rates: convs at the precision's rate,
    Grams at the float32 rate (the package computes them in float32 whatever the precision)."""
    conv = flops["conv_fwd"] + flops["conv_bwd_input"]
    gram = flops["gram_fwd"] + flops["gram_bwd"]
    return conv / (gflops[precision] * 1e9) + gram / (gflops["float32"] * 1e9)


# ---------------------------------------------------------------- timing (TensorFlow from here on)


def _sync(result) -> None:
    """Wait for ``result`` (a tensor or tuple of tensors): read one element back to the host."""
    first = result[0] if isinstance(result, (tuple, list)) else result
    first[(0,) * len(first.shape)].numpy()


def time_call(fn: Callable, args: Sequence, warmup: int, repeats: int) -> list[float]:
    """Seconds of ``repeats`` calls of ``fn(*args)`` after ``warmup`` untimed calls (the first traces)."""
    for _ in range(warmup):
        _sync(fn(*args))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        _sync(fn(*args))
        times.append(time.perf_counter() - start)
    return times


def measure_matmul_gflops(dtype: str, n: int = 4096, warmup: int = 2, repeats: int = 5) -> float:
    """GFLOP/s of an ``n x n`` by ``n x n`` matmul (``2 n^3`` FLOPs), median over ``repeats`` calls."""
    import tensorflow as tf

    rng = tf.random.Generator.from_seed(0)
    a = tf.cast(rng.normal((n, n)), dtype)
    b = tf.cast(rng.normal((n, n)), dtype)
    seconds = statistics.median(time_call(tf.function(tf.matmul), (a, b), warmup, repeats))
    return 2 * n**3 / seconds / 1e9


def measure_call_overhead(warmup: int = 5, repeats: int = 50) -> float:
    """Seconds of calling a trivial ``tf.function`` and syncing: included in every kernel time below."""
    import tensorflow as tf

    x = tf.zeros((1, 1))
    return statistics.median(time_call(tf.function(lambda t: t + 1.0), (x,), warmup, repeats))


def time_kernels(convs: Sequence[ConvShape], grams: Sequence[GramShape], precision: str = "float32",
                 warmup: int = 2, repeats: int = 5, weights: dict | None = None) -> list[dict]:
    """Median seconds of every kernel in isolation; one row per (layer, kind).

    Convolutions run in ``precision`` (inputs and kernels cast beforehand, outside the timing);
    Grams always in float32, as in the package. ``weights``: ``load_vgg19_weights`` output for the
    real kernels (values do not change the timing; None draws random ones).
    """
    import tensorflow as tf

    rng = tf.random.Generator.from_seed(1)
    conv_fwd = tf.function(lambda x, k: tf.nn.conv2d(x, k, 1, "SAME"))

    @tf.function
    def conv_bwd_input(sizes, k, dy):
        return tf.raw_ops.Conv2DBackpropInput(input_sizes=sizes, filter=k, out_backprop=dy,
                                              strides=[1, 1, 1, 1], padding="SAME")

    gram_fwd = tf.function(lambda f: tf.matmul(f, f, transpose_a=True))
    # TensorFlow's MatMul gradient for matmul(a=F, b=F, transpose_a=True) with upstream dG:
    # grad_a = F dG^T, grad_b = F dG, summed because a and b are the same tensor.
    gram_bwd = tf.function(lambda f, dg: tf.matmul(f, dg, transpose_b=True) + tf.matmul(f, dg))

    rows = []

    def add(layer: str, kind: str, shape: str, flops: int, fn: Callable, args: Sequence) -> None:
        times = time_call(fn, args, warmup, repeats)
        rows.append({"layer": layer, "kind": kind, "shape": shape, "flops": flops,
                     "seconds": statistics.median(times), "min": min(times), "max": max(times)})

    for c in convs:
        if weights is not None:
            kernel = tf.constant(weights[c.name][0])
        else:
            kernel = rng.normal((3, 3, c.c_in, c.c_out), stddev=0.05)
        x = tf.cast(rng.uniform((1, c.h, c.w, c.c_in), 0.0, 1.0), precision)
        dy = tf.cast(rng.normal((1, c.h, c.w, c.c_out)), precision)
        kernel = tf.cast(kernel, precision)
        shape = f"{c.h}x{c.w}x{c.c_in}->{c.c_out}"
        add(c.name, "conv fwd", shape, c.flops, conv_fwd, (x, kernel))
        sizes = tf.constant([1, c.h, c.w, c.c_in], tf.int32)
        add(c.name, "conv bwd input", shape, c.flops, conv_bwd_input, (sizes, kernel, dy))
    for g in grams:
        f = rng.uniform((g.m, g.n), 0.0, 1.0)
        dg = rng.normal((g.n, g.n))
        shape = f"[{g.m},{g.n}]^T[{g.m},{g.n}]"
        add(g.name, "gram fwd", shape, g.flops, gram_fwd, (f,))
        add(g.name, "gram bwd", shape, 2 * g.flops, gram_bwd, (f, dg))
    return rows


def kernel_sums(rows: Iterable[dict]) -> dict[str, float]:
    """Seconds by kind (``conv fwd``, ``conv bwd input``, ``gram fwd``, ``gram bwd``) and ``total``."""
    sums: dict[str, float] = {}
    for row in rows:
        sums[row["kind"]] = sums.get(row["kind"], 0.0) + row["seconds"]
    sums["total"] = sum(sums.values())
    return sums


# ---------------------------------------------------------------- command line


def output_shape(content: Path, size: int) -> tuple[int, int]:
    """The output shape run_transfer gives ``content`` at ``max_size=size``: scaled down to ``size``,
    never up (bench_speed.py enlarges a smaller content image first, so it passes --shapes)."""
    from neural_style import images

    image = images.fit_longest_side(images.load_image(content, "content", size), size)
    return image.shape[0], image.shape[1]


def print_kernel_table(rows: Sequence[dict]) -> None:
    print("| layer | kind | shape | GFLOP | ms median | ms min–max | GFLOP/s |")
    print("|-------|------|-------|------:|----------:|-----------:|--------:|")
    for r in rows:
        print(f"| {r['layer']} | {r['kind']} | {r['shape']} | {r['flops'] / 1e9:.3f} | {1e3 * r['seconds']:.2f} "
              f"| {1e3 * r['min']:.2f}–{1e3 * r['max']:.2f} | {r['flops'] / r['seconds'] / 1e9:.1f} |")


def measure(shapes: Sequence[tuple[int, int]], precisions: Sequence[str], args: argparse.Namespace) -> dict:
    """Matmul rates, call overhead, and per shape and precision: FLOPs, floor and kernel times."""
    import tensorflow as tf

    from neural_style.weights import load_vgg19_weights

    with tf.device(args.device):
        if args.peak_gflops:
            gflops = {"float32": args.peak_gflops[0], "bfloat16": args.peak_gflops[-1]}
            source = "given (--peak-gflops)"
        else:
            wanted = dict.fromkeys(("float32", *precisions))
            gflops = {p: measure_matmul_gflops(p, args.matmul_size, args.warmup, args.repeats) for p in wanted}
            source = f"measured: median of {args.repeats} {args.matmul_size}x{args.matmul_size} matmuls"
        print(f"matmul throughput ({source}): "
              + ", ".join(f"{p} {v:.1f} GFLOP/s" for p, v in gflops.items()), flush=True)
        overhead = measure_call_overhead()
        print(f"tf.function call + sync overhead: {1e6 * overhead:.0f} µs per kernel call (included in the kernel times)")
        weights = load_vgg19_weights("default")
        results = []
        for height, width in shapes:
            convs, grams = network_shapes(height, width)
            flops = evaluation_flops(convs, grams)
            for precision in precisions:
                rows = [] if args.no_timing else time_kernels(convs, grams, precision, args.warmup, args.repeats, weights)
                sums = kernel_sums(rows) if rows else {}
                floor = flop_floor(flops, precision, gflops)
                results.append({"shape": [height, width], "precision": precision, "flops": flops,
                                "floor_s": floor, "kernel_sums": sums, "kernel_calls": len(rows), "kernels": rows})
                print(f"\n{height}x{width} {precision}: {flops['total'] / 1e9:.2f} GFLOP per evaluation "
                      f"(conv fwd {flops['conv_fwd'] / 1e9:.2f} + conv input-grad {flops['conv_bwd_input'] / 1e9:.2f} "
                      f"+ Gram fwd {flops['gram_fwd'] / 1e9:.2f} + Gram bwd {flops['gram_bwd'] / 1e9:.2f}); "
                      f"FLOP floor {floor:.3f} s", flush=True)
                if rows:
                    print_kernel_table(rows)
                    print("kernel sum: " + ", ".join(f"{k} {v:.3f} s" for k, v in sums.items()), flush=True)
    return {"matmul_gflops": gflops, "gflops_source": source, "call_overhead_s": overhead,
            "device": args.device, "tf": tf.__version__, "results": results}


def parse_shape(text: str) -> tuple[int, int]:
    try:
        height, width = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"shape must look like 192x256 (height x width), not {text!r}") from None
    return height, width


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = p.add_mutually_exclusive_group()
    where.add_argument("--shapes", type=parse_shape, nargs="+", help="image shapes HxW (height x width)")
    where.add_argument("--sizes", type=int, nargs="+", help="longest sides; shapes from --content as run_transfer sizes it")
    p.add_argument("--content", type=Path, default=REPO / "tests" / "data" / "tubingen.jpg")
    p.add_argument("--precisions", nargs="+", choices=PRECISIONS, default=["float32"])
    p.add_argument("--repeats", type=int, default=5, help="timed calls per kernel and per matmul (median)")
    p.add_argument("--warmup", type=int, default=2, help="untimed calls first (the first one traces)")
    p.add_argument("--matmul-size", type=int, default=4096, help="n of the n x n matmul that measures GFLOP/s")
    p.add_argument("--peak-gflops", type=float, nargs="+", metavar="GFLOPS",
                   help="use these GFLOP/s instead of measuring: FLOAT32 [BFLOAT16] (one value: both)")
    p.add_argument("--no-timing", action="store_true", help="FLOP count and floor only, no kernel timing")
    p.add_argument("--device", default=None, help="TF device (default: the package's choice, GPU if any)")
    p.add_argument("--json", action="store_true", help="also print one tagged JSON line with everything")
    args = p.parse_args(argv)
    if args.repeats < 1 or args.warmup < 1:
        p.error("need --repeats >= 1 and --warmup >= 1")
    if args.peak_gflops and (len(args.peak_gflops) > 2 or min(args.peak_gflops) <= 0):
        p.error("--peak-gflops takes one or two positive numbers: FLOAT32 [BFLOAT16]")
    if not args.shapes and not args.sizes:
        args.sizes = [256]
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.device is None:
        from neural_style.transfer import resolve_device

        args.device = resolve_device(None)[0]
    shapes = args.shapes or [output_shape(args.content, size) for size in args.sizes]
    out = measure(shapes, args.precisions, args)
    if args.json:
        print(RESULT_TAG + json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
