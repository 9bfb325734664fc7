"""Should Pillow replace OpenCV as the decoder of every format? Decode time and peak memory of each.

    python -m bench.bench_decoders --repeats 5 > decoders.md

Cases: a 4000x3000 JPEG (quality 90) and PNG made from a shared photo enlarged (bicubic), and a
50-megapixel JPEG (8192x6144) decoded at a quarter of its size, as the loader decodes a photo much
larger than the run needs (libjpeg's DCT scaling: OpenCV's ``IMREAD_REDUCED_COLOR_4``, Pillow's
``Image.draft``). Each decoder gets the file's bytes already in memory and must produce an
``[H, W, 3]`` uint8 array (what the loader needs; for Pillow that includes ``np.asarray``).

Each case runs in a fresh process (``--child``): after its imports and the file's bytes, the
process's peak RSS is read, then the file is decoded ``--repeats`` times; the table gives the median
time and the peak RSS the decoding added. The peak is the kernel's high-water mark of the process's
memory (``VmHWM`` in /proc/self/status), which sees C allocations that tracemalloc cannot;
``resource.getrusage``'s ru_maxrss would not do here, as Linux carries it over ``exec`` from the
parent that forked the child (this script, after it made the 50-megapixel file). A script, not a test.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "images"
PHOTO = SHARED / "content" / "tubingen.jpg"
CASES = {  # name: (file, longest side after decoding or None for full size)
    "JPEG 4000x3000": ("photo_4000x3000.jpg", None),
    "PNG 4000x3000": ("photo_4000x3000.png", None),
    "JPEG 8192x6144 (50 MP) at 1/4": ("photo_8192x6144.jpg", 2048),
}


def make_files(folder: Path, photo: Path) -> None:
    """The benchmark's files, from ``photo`` enlarged with bicubic interpolation."""
    import cv2

    image = cv2.imread(str(photo), cv2.IMREAD_COLOR)
    for name, (width, height) in (("photo_4000x3000", (4000, 3000)), ("photo_8192x6144", (8192, 6144))):
        large = cv2.resize(image, (width, height), interpolation=cv2.INTER_CUBIC)
        cv2.imwrite(str(folder / f"{name}.jpg"), large, [cv2.IMWRITE_JPEG_QUALITY, 90])
        if width == 4000:
            cv2.imwrite(str(folder / f"{name}.png"), large)


def decode_opencv(raw: bytes, longest: int | None):
    import cv2
    import numpy as np

    flags = cv2.IMREAD_REDUCED_COLOR_4 if longest else cv2.IMREAD_COLOR
    return cv2.imdecode(np.frombuffer(raw, np.uint8), flags)


def decode_pillow(raw: bytes, longest: int | None):
    import io

    import numpy as np
    from PIL import Image

    with Image.open(io.BytesIO(raw)) as image:
        if longest:
            image.draft("RGB", (image.width // 4, image.height // 4))
        return np.asarray(image.convert("RGB"))


def peak_mib() -> float:
    """This process's peak resident memory so far, MiB (Linux)."""
    status = Path("/proc/self/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]) / 1024


def child(decoder: str, path: Path, longest: int | None, repeats: int) -> None:
    decode = {"opencv": decode_opencv, "pillow": decode_pillow}[decoder]
    if decoder == "opencv":
        import cv2  # noqa: F401 - imports before the baseline
    else:
        from PIL import Image  # noqa: F401
    import numpy  # noqa: F401

    raw = path.read_bytes()
    baseline = peak_mib()
    times, shape = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        shape = decode(raw, longest).shape
        times.append(time.perf_counter() - start)
    print(json.dumps({"seconds": statistics.median(times), "peak_mib": peak_mib() - baseline, "shape": list(shape)}))


def measure(decoder: str, path: Path, longest: int | None, repeats: int) -> dict:
    args = [sys.executable, "-m", "bench.bench_decoders", "--child", decoder, str(path), str(longest or 0),
            "--repeats", str(repeats)]
    done = subprocess.run(args, capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parent.parent)
    return json.loads(done.stdout.strip().splitlines()[-1])


def versions() -> str:
    import cv2
    import PIL

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return f"{cpu}, Python {platform.python_version()}, OpenCV {cv2.__version__}, Pillow {PIL.__version__}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--photo", type=Path, default=PHOTO)
    parser.add_argument("--child", nargs=3, metavar=("DECODER", "PATH", "LONGEST"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        decoder, path, longest = args.child
        child(decoder, Path(path), int(longest) or None, args.repeats)
        return
    print(f"Machine: {versions()}; median of {args.repeats} decodes, each case in a fresh process.\n")
    print("| file | decoder | seconds | peak RSS added, MiB | array |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        make_files(Path(folder), args.photo)
        for case, (name, longest) in CASES.items():
            for decoder in ("opencv", "pillow"):
                row = measure(decoder, Path(folder) / name, longest, args.repeats)
                print(f"| {case} | {decoder} | {row['seconds']:.3f} | {row['peak_mib']:.0f} | "
                      f"{row['shape'][1]}x{row['shape'][0]} |", flush=True)


if __name__ == "__main__":
    main()
