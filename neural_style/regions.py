"""Subject masks from rough hints with OpenCV's GrabCut: boxes in fractions of the image (the
``masks/make_mask.py`` script) or strokes painted on the photo (the studio's helper).

A hint map is uint8 ``[H, W]`` with OpenCV's GrabCut labels: ``cv2.GC_BGD`` (0, surely background),
``cv2.GC_FGD`` (1, surely subject), ``cv2.GC_PR_BGD`` (2, probably background), ``cv2.GC_PR_FGD`` (3,
probably subject). A mask comes back as float32 ``[H, W]`` in 0..1 (1 = subject), the package's form.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from neural_style.errors import NeuralStyleError

Box = tuple[float, float, float, float]
"""``left, top, right, bottom`` as fractions of the width and height."""

GRABCUT_ITERATIONS = 8
GRABCUT_SIDE = 512
"""GrabCut runs on the photo shrunk to this longest side and its mask is scaled back (soft-edged): its
time grows with the pixels (600x800: 7 s at full size on 2 cores), its colour models do not need them."""


def box_hints(shape: tuple[int, int], box: Box, fg: Sequence[Box] = (), bg: Sequence[Box] = ()) -> np.ndarray:
    """A hint map ``[H, W]`` from boxes: outside ``box`` surely background, inside probably subject,
    ``bg`` boxes probably background, ``fg`` boxes surely subject (painted in that order)."""
    h, w = shape
    hints = np.full((h, w), cv2.GC_BGD, np.uint8)

    def paint(b: Box, value: int) -> None:
        hints[int(b[1] * h):int(b[3] * h), int(b[0] * w):int(b[2] * w)] = value

    paint(box, cv2.GC_PR_FGD)
    for b in bg:
        paint(b, cv2.GC_PR_BGD)
    for b in fg:
        paint(b, cv2.GC_FGD)
    return hints


def stroke_hints(subject: np.ndarray, background: np.ndarray | None = None, box: Box | None = None) -> np.ndarray:
    """A hint map from painted strokes (masks ``[H, W]`` in 0..1; above 0.5 counts as painted): the
    strokes are sure, every other pixel probably background (inside ``box``, if given, probably subject
    and surely background outside). GrabCut then grows the subject from the strokes' colours: on
    face.jpg, two strokes across the person (3 % of the photo) give an IoU of 0.93 with its hand-made
    mask (tests/test_studio.py); the strokes' extent grown by a quarter as a box gave 0.77."""
    painted = subject > 0.5
    if not painted.any():
        raise NeuralStyleError("grabcut: paint at least one stroke on the subject")
    hints = np.full(painted.shape, cv2.GC_PR_BGD, np.uint8) if box is None else box_hints(painted.shape, box)
    if background is not None:
        hints[background > 0.5] = cv2.GC_BGD
    hints[painted] = cv2.GC_FGD
    return hints


def grabcut_mask(image: np.ndarray, hints: np.ndarray, iterations: int = GRABCUT_ITERATIONS) -> np.ndarray:
    """The subject's mask, float32 ``[H, W]`` 0..1, from an RGB image ``[H, W, 3]`` (0..255, any
    dtype) and a hint map of the same size; deterministic (OpenCV's RNG seeded), small specks opened
    away (5 px at :data:`GRABCUT_SIDE`)."""
    if image.shape[:2] != hints.shape:
        raise NeuralStyleError(f"grabcut: hints of {hints.shape[1]}x{hints.shape[0]} px for an image of "
                               f"{image.shape[1]}x{image.shape[0]} px")
    if not np.isin(hints, (cv2.GC_FGD, cv2.GC_PR_FGD)).any() or not np.isin(hints, (cv2.GC_BGD, cv2.GC_PR_BGD)).any():
        raise NeuralStyleError("grabcut: the hints need both subject and background")
    height, width = hints.shape
    scale = min(1.0, GRABCUT_SIDE / max(height, width))
    small = (max(1, round(width * scale)), max(1, round(height * scale)))
    bgr = cv2.resize(np.clip(image, 0, 255).astype(np.uint8)[:, :, ::-1], small, interpolation=cv2.INTER_AREA)
    labels = cv2.resize(hints, small, interpolation=cv2.INTER_NEAREST)
    cv2.setRNGSeed(0)
    models = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.grabCut(np.ascontiguousarray(bgr), labels, None, *models, iterations, cv2.GC_INIT_WITH_MASK)
    subject = np.isin(labels, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.uint8)
    subject = cv2.morphologyEx(subject, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8)).astype(np.float32)
    return np.clip(cv2.resize(subject, (width, height), interpolation=cv2.INTER_LINEAR), 0.0, 1.0)
