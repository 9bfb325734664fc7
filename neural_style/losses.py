"""Pure loss functions. The one place where every normalisation is written down: the formula, the
reason, and where it departs from Gatys et al. or neural-style-tf (nst). The measurements behind each
choice are in bench/results/losses.md.

Notation: ``x`` is the image being optimised, RGB in 0..255, longest side ``L`` pixels.
At a layer ``l``, ``F`` are its activations ``[H_l, W_l, N_l]``, ``M_l = H_l * W_l`` positions,
``P`` the content image's activations, ``A`` the style target Gram matrix.
``s = REFERENCE_SIZE / L`` (``REFERENCE_SIZE = 512``) is the size factor.

    content, per layer   E_c = s / (2 sqrt(N_l) sqrt(M_l)) * sum (F - P)^2
    Gram                 G   = F^T F / M_l           (weighted by rho: sum_p rho_p f_p f_p^T / sum_p rho_p)
    style, per layer     E_s = 1 / (4 N_l^2) * sum (G - A)^2                          (--style_normalization gatys)
                         E_s = R * sum (G - A)^2 / sum A^2,   R = RELATIVE_SCALE = 1e8  (relative, the default)
    total variation      T   = s^2 * sum h(x[i+1, j] - x[i, j]) + h(x[i, j+1] - x[i, j])
                             h(d) = sqrt(d^2 + e^2) - e,  e = TV_SMOOTHING = 1 grey level
    temporal (video)     T_t = (1 / D) * sum_k c_k (x_k - w_k)^2,   D = 3 H W
    total                alpha * C + beta * S + theta * T  (+ gamma * T_t for a video frame)
       C = (1 / n_c) sum_l w_l E_c^l           layer weights w_l normalised to sum 1
       S = (1 / n_s) sum_l w_l sum_k a_k g_l E_s^{l,k}   a_k: a style group's share (below), g_l its gain

Relative style loss. The relative ``E_s`` is ``R * 4 N_l^2 / ||A||^2`` (:func:`relative_style_factor`)
times the Gram formula's. The Gram formula weighs a layer by the size of its painting's Grams,
``||A||^2 / (4 N^2)``, which spans orders of magnitude over the layers and between paintings: one
layer (relu4_1) carries the style term and relu5_1 hardly counts. Measured against its own target,
each layer counts by how far its Gram is from the target's, in proportion, whatever the painting. ``R``
keeps ``--style_weight``'s default meaningful (a sweep chose it). Not in Gatys et al. or nst;
crowsonkb/style-transfer-pytorch scales each term by its own error's size (``sum d^2 / sum |d|``), a
related idea. A recoloured style needs no gain under it (``g_l = 1``): its own target is the measure.

Masks and regions (``--style_mask``, segmentations). Style ``k`` has a mask ``m_k(p)`` in 0..1 (none: 1
everywhere) and a weight ``v_k``. At each pixel

    strength     t(p)     = min(1, sum_j m_j(p))                  1 inside any white mask, 0.5 under a lone grey 0.5
    weight map   rho_k(p) = t(p) v_k m_k(p) / sum_j v_j m_j(p)    overlapping styles share a pixel by weight
    region Gram  G_k      = sum_p rho_k(p) f_p f_p^T / sum_p rho_k(p)   (rho_k resized to the layer by area)
    term weight  a_k      = mean_p rho_k(p)                       the region's share of the output

so ``sum_k rho_k(p) = t(p) <= 1``: a pixel's style push, ``a_k * dE/df_p ~ rho_k(p) / M_l``, is what one
unmasked style gives it, times its mask, however small the region and however many regions there are.
A segmentation with one region, or an all-white mask, is exactly the unmasked run (``rho = 1`` runs as
no mask), and a uniform grey 0.5 mask gives half the style term. This is Gatys et al. 2017's spatial
control with the guidance channels normalised to sum to 1 per pixel, and Luan et al.'s segmented style
loss (each region's Gram divided by its own area, its loss weighted by that area's share). Departures:
(a) ``rho`` weighs the Gram linearly; Gatys et al. multiply the features by the guidance channel, which
squares it inside the Gram. The two agree for black-and-white masks; linear weights keep
``sum_k rho_k = 1`` for feathered masks. (b) nst divides a masked Gram by the whole image's positions
(a small region gets quadratically weaker style) and splits the style weight between masks.

Segmentations (``--content_seg``): the content weight is ``alpha`` times
``config.segmentation_content_factor(K)``, by default ``K``, the effective number of regions
(``exp(-sum_k a_k ln a_k)``, :func:`styles.effective_regions`). Region ``k`` (share ``a_k`` of the
output, target ``A_k`` from the style's same-coloured region) adds ``a_k R ||G_k - A_k||^2 / ||A_k||^2``;
since ``sum_k a_k = 1`` the style term is the share-weighted mean of the regions' relative errors, the
measure of the unsegmented ``R ||G - A||^2 / ||A||^2``, and its gradient at a pixel of region ``k`` is
the unsegmented one's with ``A_k`` for ``A``: at the photo the segmented pull is about the unsegmented
one's. But a region's target lies farther from the photo's region than the whole painting from the
whole photo, and each region is one more Gram the output can match, so the pull lasts longer and the
output ends farther from the photo the more regions there are: over the fourteen DPST sets the content
distance, over the unsegmented run's, grows with ``K`` and falls like ``factor ** -0.2``, and a factor
of ``K`` keeps each set near the unsegmented run's distance while every region still ends nearer its
own target (the measurements are at ``config.segmentation_content_factor``). With
``--style_normalization gatys`` the terms are absolute and grow with how far their targets lie: 8 was
that formula's factor for three regions. Masks alone (``--style_mask``) always keep ``alpha``: their
style targets are whole paintings.

Colour control (``--color_transfer``, ``--luminance_only``), Gram formula only: a recoloured style's
term is weighted per layer by its gain ``g_l = ||A_l(original)||^2 / ||A_l(recoloured)||^2``
(``styles.recolour_gains``; Grams of the whole style image at its size at that scale, at most 512 px).
``E_s`` grows like the square of the Grams' scale, so giving a painting the photo's duller colours
would otherwise weaken its pull, and brighter colours strengthen it: colour transfer would change how
stylised the output is, not only its colours. Gatys et al. 2017 and nst have no such factor.

Video (``neural-style video``): ``w`` is the previous stylised frame warped onto this one by the
backward optical flow, ``c_k`` in {0, 1} Ruder et al.'s consistency weight of the pixel (0 where it was
disoccluded or lies on a motion boundary: :mod:`neural_style.flow`), ``k`` runs over pixels and
channels. This is Ruder, Dosovitskiy & Brox's short-term temporal loss (GCPR 2016, eq. 7) and nst's
``temporal_loss``, unchanged: a mean over the image, so its pull on a pixel falls like ``1 / D`` as
the style's and (with ``s``) the content's do, and ``gamma`` holds at every size. Its default
``gamma`` is not nst's 2e2: our style term's scale is not nst's (``R``), so it was chosen from a table
(``video.VideoConfig.temporal_weight``).

Against Gatys et al. and nst:

* Style: identical to the papers' ``1/(4 N^2 M^2) sum (G_raw - A_raw)^2`` when style and output have the
  same number of positions. We divide each Gram by its own ``M`` first because our style images keep
  their aspect ratio (nst stretches them to the content's shape), so ``M`` differs between the two.
* Content: nst's ``K = 1/(2 sqrt(N) sqrt(M))`` times ``s``. nst's content term grows like ``sqrt(M)``
  (that is, like ``L``) while the Gram term does not, so its balance depends on image size: weights that
  look right at 512 px leave the content barely visible at 128 px. With the factor ``s`` the balance is
  scale-free and equals nst's exactly at a 512 px longest side, so previews and coarse-to-fine scales
  look like the final image.
* Total variation: nst's ``tf.image.total_variation`` (sum of absolute differences, 0..255 scale)
  times ``s^2``, so the term per pixel of noise is the same at every size and equals nst's at 512 px.
  Departure: ``|d|`` is rounded off to ``sqrt(d^2 + e^2) - e`` (within 1 level of ``|d|`` everywhere).
  ``|d|`` has no derivative at 0, and an 8-bit photo, the start image, has equal neighbours everywhere
  in its flat parts: the gradient there (``sign(0) = 0``) says nothing of the pairs a step pulls apart,
  so L-BFGS-B, which assumes a smooth loss, can be sent along a direction in which the loss does not
  fall.
* Layer weights: like nst, normalised to sum 1 *and* divided by the number of layers (``1/n_c``,
  ``1/n_s``), so nst's weights (content 5, style 1e4, tv 1e-3) give nst's balance.
* Default weights (``config.TransferConfig``): style 1e4 and tv 1e-3 as nst; content **100, not nst's 5**,
  because the default is coarse-to-fine: at 5 the coarsest scale, where the deepest style layers see the
  whole picture, paints the painting's layout over the photo and the finer scales keep it.
* Style-image weights ``v_k``: normalised once to sum 1. nst also divides by the number of style images,
  which makes a two-style run half as stylised as a one-style run; we do not. With masks they share each
  pixel as above (``masks.style_weight_maps``), so two styles on complementary masks each get full
  strength in their region.
* Blending: styles with equal masks (or none) blend as one Gram target ``sum_k v_k A_k / sum_k v_k`` with
  weight ``sum_k a_k``: since ``sum_k v_k ||G - A_k||^2 = (sum_k v_k) ||G - sum_k v_k A_k / sum_k v_k||^2 +
  const``, the minimiser is the same as summing per-style losses, at one comparison per layer instead of
  one per style (``styles.style_terms``). Two style images with segmentations thus give one term per region.

All functions return float32 tensors; activations may come in float32 or bfloat16 (mixed precision) and
are summed in float32. The batch dimension is stripped by the caller.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

REFERENCE_SIZE = 512
"""Longest side (px) at which our balance equals neural-style-tf's; see the module docstring."""

RELATIVE_SCALE = 1e8
"""``R`` of the relative style loss; see the module docstring."""

TV_SMOOTHING = 1.0
"""``e`` of the total variation (grey levels): ``|d|`` is rounded off to ``sqrt(d^2 + e^2) - e`` within about
``e`` of 0; see the module docstring ("Total variation")."""

_EPS = 1e-8


def size_factor(longest_side: int) -> float:
    """``s = REFERENCE_SIZE / L`` for an image whose longest side is ``L`` pixels."""
    return REFERENCE_SIZE / float(longest_side)


def gram_matrix(features: tf.Tensor, mask: tf.Tensor | None = None) -> tf.Tensor:
    """Gram matrix ``[C, C]`` (float32) of ``features [H, W, C]`` (float32 or bfloat16), averaged over
    positions.

    With ``mask [H, W]`` (values >= 0), the average is weighted by it: ``sum_p m_p f_p f_p^T / sum_p m_p``,
    the features' second moment inside the region, whatever its size.

    The sums run in float32. The gradient is written out, ``dF = m F (dG + dG^T) / norm``, in the
    features' own dtype, so the backward pass keeps only ``features`` (which the ReLU's gradient keeps
    anyway): automatic differentiation would also keep their float32 copy, 200 MB for relu1_1 at
    1024 px in bfloat16. In float32 the two are the same computation.
    """
    channels = tf.shape(features)[-1]
    flat = tf.reshape(features, (-1, channels))
    if mask is None:
        weights = None
        norm = tf.cast(tf.shape(flat)[0], tf.float32)
    else:
        weights = tf.reshape(tf.cast(mask, tf.float32), (-1, 1))
        norm = tf.reduce_sum(weights) + _EPS

    @tf.custom_gradient
    def gram(x: tf.Tensor) -> tf.Tensor:
        y = tf.cast(x, tf.float32)
        weighted = y if weights is None else y * weights

        def backward(upstream: tf.Tensor) -> tf.Tensor:
            symmetric = tf.cast((upstream + tf.transpose(upstream)) / norm, x.dtype)
            if weights is None:
                return tf.matmul(x, symmetric)
            return tf.cast(weights, x.dtype) * tf.matmul(x, symmetric)

        return tf.matmul(y, weighted, transpose_a=True) / norm, backward

    return gram(flat)


def style_layer_loss(gram: tf.Tensor, target: tf.Tensor) -> tf.Tensor:
    """``1 / (4 N^2) * sum (G - A)^2`` for Gram matrices ``[N, N]`` from :func:`gram_matrix`."""
    n = tf.cast(tf.shape(gram)[0], gram.dtype)
    return tf.reduce_sum(tf.square(gram - target)) / (4.0 * n * n)


def relative_style_factor(target: tf.Tensor | np.ndarray) -> float:
    """``R * 4 N^2 / sum A^2`` for a target Gram ``A [N, N]``: the factor that turns
    :func:`style_layer_loss` into the relative loss ``R * sum (G - A)^2 / sum A^2`` (0 for an all-zero
    target, which has no style to match)."""
    target = np.asarray(target, np.float64)
    size = float(np.sum(target * target))
    return RELATIVE_SCALE * 4.0 * target.shape[0] ** 2 / size if size > 0 else 0.0


def content_layer_loss(features: tf.Tensor, target: tf.Tensor, scale: float = 1.0) -> tf.Tensor:
    """``scale / (2 sqrt(N) sqrt(M)) * sum (F - P)^2`` for activations ``[H, W, N]`` (computed in float32)."""
    features = tf.cast(features, tf.float32)
    shape = tf.cast(tf.shape(features), features.dtype)
    positions, channels = shape[0] * shape[1], shape[2]
    k = scale / (2.0 * tf.sqrt(channels) * tf.sqrt(positions))
    return k * tf.reduce_sum(tf.square(features - target))


def total_variation_loss(image: tf.Tensor, scale: float = 1.0) -> tf.Tensor:
    """``scale^2 * sum h(dx) + h(dy)`` of an image ``[H, W, 3]`` in 0..255, ``h(d) = sqrt(d^2 + e^2) - e``
    with ``e = TV_SMOOTHING``: ``tf.image.total_variation`` (``h = |d|``) with its kink at 0 rounded off."""
    def smooth_abs(d: tf.Tensor) -> tf.Tensor:
        return tf.reduce_sum(tf.sqrt(tf.square(d) + TV_SMOOTHING**2) - TV_SMOOTHING)

    dy = smooth_abs(image[1:, :, :] - image[:-1, :, :])
    dx = smooth_abs(image[:, 1:, :] - image[:, :-1, :])
    return (scale * scale) * (dx + dy)


def temporal_loss(image: tf.Tensor, target: tf.Tensor, weights: tf.Tensor) -> tf.Tensor:
    """``(1 / D) * sum_k c_k (x_k - w_k)^2`` for an image and its target ``[H, W, 3]`` (0..255) and
    per-pixel weights ``c`` ``[H, W]`` (0..1); ``D = 3 H W``."""
    squared = tf.square(tf.cast(image, tf.float32) - target) * weights[..., None]
    return tf.reduce_sum(squared) / tf.cast(tf.size(squared), tf.float32)
