"""Subject masks from rough hints with OpenCV's GrabCut: a box around the subject (``neural-style
mask``, the ``masks/make_mask.py`` script), strokes painted on the photo (the studio's helper), and, in a
box, what the faces found in it say of where the person is not.

A hint map is uint8 ``[H, W]`` with OpenCV's GrabCut labels: ``cv2.GC_BGD`` (0, surely background),
``cv2.GC_FGD`` (1, surely subject), ``cv2.GC_PR_BGD`` (2, probably background), ``cv2.GC_PR_FGD`` (3,
probably subject). A mask comes back as float32 ``[H, W]`` in 0..1 (1 = subject), the package's form.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

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
        raise NeuralStyleError("grabcut: paint at least one stroke on the subject (red in a scribble)")
    hints = np.full(painted.shape, cv2.GC_PR_BGD, np.uint8) if box is None else box_hints(painted.shape, box)
    if background is not None:
        hints[background > 0.5] = cv2.GC_BGD
    hints[painted] = cv2.GC_FGD
    return hints


SCRIBBLE_SUBJECT = (255, 0, 0)
SCRIBBLE_BACKGROUND = (0, 0, 255)
SCRIBBLE_TOLERANCE = 60
"""A scribble marks the subject in red and the background in blue (each channel within this many levels),
painted over the photo or on any other canvas; every other pixel is left to GrabCut."""


def scribble_hints(scribble: np.ndarray) -> np.ndarray:
    """A hint map from a scribble (RGB ``[H, W, 3]`` 0..255): red strokes surely subject, blue surely
    background, the rest probably background (:func:`stroke_hints`)."""
    def near(colour: tuple[int, int, int]) -> np.ndarray:
        return (np.abs(scribble.astype(np.float32) - colour) <= SCRIBBLE_TOLERANCE).all(axis=2).astype(np.float32)

    return stroke_hints(near(SCRIBBLE_SUBJECT), near(SCRIBBLE_BACKGROUND))


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


# Faces in a box ---------------------------------------------------------------------------------------

class Face(NamedTuple):
    """A face found in a photo: its box in pixels (MTCNN's, about brow to chin and cheek to cheek)."""

    x: float
    y: float
    width: float
    height: float


FACE_CONFIDENCE = 0.9
"""MTCNN's score a face needs (0..1)."""
FACE_CORE = 0.5
"""The middle of a face's box, this share of its width and height, is surely the person. It changes
nothing on the colour portraits below; on greyscale copies, where the wall's greys are the skin's,
GrabCut otherwise gives 00110's whole head to the background (IoU 0.57, 0.71 with it)."""
FACE_MIN_SHARE = 0.05
"""A face narrower than this share of the box's width is someone else's, in the background."""
HEAD_HALF_WIDTH = 0.75
"""Above a face's chin, a person is at most this many face widths either side of the face's centre
(a head with its hair and ears is about 1.2 face widths across). IoU with the hand masks of four
portraits, the box being the hand mask's widened by 5 % (``python -m bench.bench_mask``; table in
bench/results/auto-regions.md, "Faces in a box"): at 0.75, 0.953 (00110.jpg), 0.945 (face.jpg), 0.823
and 0.986 (DPST's two close-ups), against 0.729, 0.800, none (the box is the whole photo) and 0.986
from the box alone; 0.5 cuts into the close-ups' hair (0.54, 0.70), 0.9 lets 00110's bookshelf in
(0.90)."""


FACE_SIDE = 1024
"""Faces are looked for in the photo shrunk to this longest side: MTCNN's time grows with the pixels
(a 3000x4000 photo: 19 s on 2 cores, against 0.6 s at 600x800), and a face worth a prior
(FACE_MIN_SHARE of the box) keeps dozens of pixels."""


def find_faces(image: np.ndarray) -> list[Face]:
    """Faces in an RGB image ``[H, W, 3]`` (0..255), in its pixels, by MTCNN (Zhang et al. 2016; the
    ``mtcnn`` package and its weights, on TensorFlow) at FACE_SIDE, those scored at least
    FACE_CONFIDENCE."""
    from mtcnn import MTCNN  # TensorFlow: only when a box is cut

    height, width = image.shape[:2]
    scale = min(1.0, FACE_SIDE / max(height, width))
    small = np.clip(image, 0, 255).astype(np.uint8)
    if scale < 1:
        small = cv2.resize(small, (max(1, round(width * scale)), max(1, round(height * scale))), interpolation=cv2.INTER_AREA)
    found = MTCNN().detect_faces(small)
    return [Face(*(float(v) / scale for v in face["box"])) for face in found if face["confidence"] >= FACE_CONFIDENCE]


def beside_heads(hints: np.ndarray, faces: Sequence[Face], box: Box) -> tuple[np.ndarray, list[Face]]:
    """``hints`` ``[H, W]`` with the box's probable subject turned probably background where no person
    is, by the faces in ``box`` (their centres inside it, each at least FACE_MIN_SHARE of its width):
    above the highest chin and further than HEAD_HALF_WIDTH face widths from every face's centre
    (beside the heads: the wall, the painting, the street behind the shoulders). GrabCut may still
    take such a pixel when its colours say subject. The middle of each face (FACE_CORE) becomes surely
    subject. Returns the new hints and the faces used."""
    height, width = hints.shape
    x0, y0, x1, y1 = box[0] * width, box[1] * height, box[2] * width, box[3] * height
    used = [f for f in faces if x0 <= f.x + f.width / 2 <= x1 and y0 <= f.y + f.height / 2 <= y1
            and f.width >= FACE_MIN_SHARE * (x1 - x0)]
    if not used:
        return hints, used
    columns = np.arange(width, dtype=np.float32)
    far = np.all([np.abs(columns - (f.x + f.width / 2)) > HEAD_HALF_WIDTH * f.width for f in used], axis=0)
    above = np.arange(height) < min(f.y + f.height for f in used)
    hints = hints.copy()
    hints[above[:, None] & far[None, :] & (hints == cv2.GC_PR_FGD)] = cv2.GC_PR_BGD
    for f in used:  # the middle of a face is surely the person, whatever its colours share with the wall
        core = hints[int(f.y + f.height * (1 - FACE_CORE) / 2):int(f.y + f.height * (1 + FACE_CORE) / 2),
                     int(f.x + f.width * (1 - FACE_CORE) / 2):int(f.x + f.width * (1 + FACE_CORE) / 2)]
        core[core == cv2.GC_PR_FGD] = cv2.GC_FGD
    return hints, used
