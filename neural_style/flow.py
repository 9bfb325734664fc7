"""Optical flow between video frames, the warp it defines, and where it can be trusted.

A flow ``w`` from frame ``a`` to frame ``b`` is ``[H, W, 2]`` float32 pixels (x, y): the content at
pixel ``p`` of ``a`` is at ``p + w(p)`` in ``b``. To bring the previous stylised frame onto frame ``i``
one samples it along the *backward* flow (frame ``i`` to frame ``i-1``): ``warp(x_prev, w_back)(p) =
x_prev(p + w_back(p))``.

The consistency weights are Ruder, Dosovitskiy & Brox's ("Artistic style transfer for videos", GCPR
2016, section 3.1), with the forward flow ``w`` (``i-1`` to ``i``), the backward flow ``w^`` (``i`` to
``i-1``) and ``w~(p) = w(p + w^(p))``, the forward flow at the point each pixel of frame ``i`` came from:

    disoccluded       |w~ + w^|^2 > 0.01 (|w~|^2 + |w^|^2) + 0.5
    motion boundary   |grad u^|^2 + |grad v^|^2 > 0.01 |w^|^2 + 0.002
    c(p) = 0 where either holds, else 1

computed on the content frames at the size the video is stylised at (the thresholds are in pixels).
Ruder et al. computed flow with DeepFlow or EpicFlow, external binaries; here OpenCV's DIS or
Farneback computes it in the process (:data:`FLOW_METHODS`; bench/results/video.md measures them).
"""

from __future__ import annotations

import cv2
import numpy as np

FLOW_METHODS = ("dis_medium", "dis_fast", "dis_ultrafast", "farneback")
"""The flow methods offered: OpenCV's DIS at its three presets, and Farneback's polynomial expansion."""

DEFAULT_FLOW = "dis_medium"
"""The package's flow (bench/results/video.md, "Which flow"). The temporal-consistency yardstick
measures with another method (``farneback``), so a flow's own errors do not flatter it."""

SCENE_CUT_SHARE = 0.5
"""A frame whose consistency weights mark more than this share of its pixels unreliable follows a
scene cut: it starts from its own photo, and no temporal term ties it to the frame before."""


def _grey(frame: np.ndarray) -> np.ndarray:
    """RGB ``[H, W, 3]`` (0..255, any dtype) -> uint8 grey ``[H, W]``, as the flow methods take it."""
    return cv2.cvtColor(np.clip(frame, 0, 255).astype(np.uint8), cv2.COLOR_RGB2GRAY)


def compute_flow(source: np.ndarray, target: np.ndarray, method: str = DEFAULT_FLOW) -> np.ndarray:
    """The flow ``[H, W, 2]`` float32 from frame ``source`` to frame ``target`` (RGB ``[H, W, 3]``, 0..255)."""
    a, b = _grey(source), _grey(target)
    if method == "farneback":
        flow = cv2.calcOpticalFlowFarneback(a, b, None, 0.5, 4, 15, 3, 5, 1.1, 0)
    elif method.startswith("dis_"):
        presets = {"dis_medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM, "dis_fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
                   "dis_ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST}
        if method not in presets:
            raise ValueError(f"unknown flow method {method!r}; one of {', '.join(FLOW_METHODS)}")
        flow = cv2.DISOpticalFlow_create(presets[method]).calc(a, b, None)
    else:
        raise ValueError(f"unknown flow method {method!r}; one of {', '.join(FLOW_METHODS)}")
    return flow.astype(np.float32)


def warp(image: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """``image`` ``[H, W, C]`` (or ``[H, W]``) sampled at ``p + flow(p)``, bilinear; points outside the
    image take the nearest border pixel. float32, the shape of ``image``."""
    height, width = flow.shape[:2]
    grid_x, grid_y = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    return cv2.remap(np.asarray(image, np.float32), grid_x + flow[..., 0], grid_y + flow[..., 1], cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE)


def consistency(forward: np.ndarray, backward: np.ndarray) -> np.ndarray:
    """Ruder et al.'s weights ``[H, W]`` float32 in {0, 1} for frame ``i``: 0 where the pixel was
    disoccluded or lies on a motion boundary (module docstring). ``forward``: the flow from frame
    ``i-1`` to ``i``; ``backward``: from ``i`` to ``i-1``."""
    carried = warp(forward, backward)
    squared = np.sum((carried + backward) ** 2, axis=2)
    disoccluded = squared > 0.01 * (np.sum(carried**2, axis=2) + np.sum(backward**2, axis=2)) + 0.5
    gradients = [np.gradient(backward[..., k]) for k in range(2)]  # (d/dy, d/dx) of u and of v
    steepness = sum(dy**2 + dx**2 for dy, dx in gradients)
    boundary = steepness > 0.01 * np.sum(backward**2, axis=2) + 0.002
    return (~(disoccluded | boundary)).astype(np.float32)


def warping_error(previous: np.ndarray, current: np.ndarray, backward: np.ndarray, weights: np.ndarray) -> float:
    """Mean squared difference (0..255 units, over channels) between ``current`` and ``previous`` warped
    onto it by ``backward`` (current to previous), over the pixels ``weights`` ``[H, W]`` marks reliable."""
    difference = (np.asarray(current, np.float32) - warp(previous, backward)) ** 2
    total = float(weights.sum())
    return float((difference.mean(axis=2) * weights).sum() / total) if total > 0 else 0.0
