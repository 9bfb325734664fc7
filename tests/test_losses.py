"""Each loss against a plain numpy reference of the formula in neural_style.losses."""

import numpy as np
import pytest
import tensorflow as tf

from neural_style import losses

RNG = np.random.default_rng(7)


def features(h=5, w=4, c=3):
    return RNG.normal(size=(h, w, c)).astype(np.float32)


def test_gram_matches_numpy_mean_over_positions():
    f = features()
    flat = f.reshape(-1, 3).astype(np.float64)
    expected = flat.T @ flat / flat.shape[0]
    np.testing.assert_allclose(losses.gram_matrix(tf.constant(f)).numpy(), expected, rtol=1e-5)


def test_masked_gram_is_weighted_second_moment_over_the_region():
    f = features()
    mask = RNG.uniform(size=(5, 4)).astype(np.float32)
    flat = f.reshape(-1, 3).astype(np.float64)
    m = mask.reshape(-1, 1).astype(np.float64)
    expected = flat.T @ (flat * m) / np.sum(m)  # sum_p m_p f_p f_p^T / sum_p m_p
    np.testing.assert_allclose(losses.gram_matrix(tf.constant(f), tf.constant(mask)).numpy(), expected, rtol=1e-5)


def test_binary_mask_gram_equals_gram_of_the_region_alone():
    f = features(6, 6)
    mask = np.zeros((6, 6), np.float32)
    mask[:2, :3] = 1.0  # a small region: 6 of 36 positions
    region = f[:2, :3].reshape(-1, 3)
    np.testing.assert_allclose(
        losses.gram_matrix(tf.constant(f), tf.constant(mask)).numpy(), region.T @ region / 6, rtol=1e-5
    )


@pytest.mark.parametrize("masked", [False, True])
def test_gram_gradient_equals_automatic_differentiation_of_the_formula(masked):
    """The hand-written backward pass of gram_matrix against tf's own gradient of the plain formula."""
    f = tf.constant(features(6, 5, 4))
    mask = tf.constant(RNG.uniform(size=(6, 5)).astype(np.float32)) if masked else None
    target = tf.constant(RNG.normal(size=(4, 4)).astype(np.float32))
    weights = tf.constant(RNG.uniform(1, 3, size=(4, 4)).astype(np.float32))  # a non-symmetric upstream gradient

    def plain(x):
        flat = tf.reshape(x, (-1, 4))
        m = tf.ones((30, 1)) if mask is None else tf.reshape(mask, (-1, 1))
        g = tf.matmul(flat, flat * m, transpose_a=True) / tf.reduce_sum(m)
        return tf.reduce_sum(weights * tf.square(g - target))

    def ours(x):
        return tf.reduce_sum(weights * tf.square(losses.gram_matrix(x, mask) - target))

    grads = []
    for fn in (plain, ours):
        with tf.GradientTape() as tape:
            tape.watch(f)
            value = fn(f)
        grads.append(tape.gradient(value, f).numpy())
    assert np.abs(grads[0]).max() > 0.1
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-4, atol=1e-5)


def test_gram_of_bfloat16_features_sums_in_float32_and_returns_a_bfloat16_gradient():
    f32 = tf.constant(features(8, 8, 4) + 3.0)  # large mean: float32 sums, not bf16 ones
    f16 = tf.cast(f32, tf.bfloat16)
    with tf.GradientTape() as tape:
        tape.watch(f16)
        gram = losses.gram_matrix(f16)
        value = tf.reduce_sum(gram * gram)
    gradient = tape.gradient(value, f16)
    assert gram.dtype == tf.float32 and gradient.dtype == tf.bfloat16
    exact = losses.gram_matrix(tf.cast(f16, tf.float32)).numpy()  # the same bf16 values, in float32
    np.testing.assert_allclose(gram.numpy(), exact, rtol=1e-6)
    with tf.GradientTape() as tape:
        f = tf.cast(f16, tf.float32)
        tape.watch(f)
        reference = tape.gradient(tf.reduce_sum(losses.gram_matrix(f) ** 2), f).numpy()
    relative = np.linalg.norm(gradient.numpy().astype(np.float32) - reference) / np.linalg.norm(reference)
    assert relative < 0.01


def test_style_layer_loss_equals_papers_formula_on_raw_grams():
    f, a = features(), features()
    n, m = 3, 20
    raw_g = f.reshape(m, n).T @ f.reshape(m, n)
    raw_a = a.reshape(m, n).T @ a.reshape(m, n)
    papers = np.sum((raw_g - raw_a) ** 2) / (4 * n**2 * m**2)
    ours = losses.style_layer_loss(losses.gram_matrix(tf.constant(f)), losses.gram_matrix(tf.constant(a)))
    assert float(ours) == pytest.approx(papers, rel=1e-5)


def test_content_layer_loss_is_nst_formula_times_scale():
    f, p = features(), features()
    n, m = 3, 20
    nst = np.sum((f.astype(np.float64) - p) ** 2) / (2 * np.sqrt(n) * np.sqrt(m))
    assert float(losses.content_layer_loss(tf.constant(f), tf.constant(p), 4.0)) == pytest.approx(4 * nst, rel=1e-5)


def test_total_variation_is_tf_image_total_variation_rounded_off_at_zero_times_scale_squared():
    image = RNG.uniform(0, 255, size=(7, 9, 3)).astype(np.float32)
    d = np.concatenate([np.diff(image, axis=1).ravel(), np.diff(image, axis=0).ravel()]).astype(np.float64)
    e = losses.TV_SMOOTHING
    assert float(losses.total_variation_loss(tf.constant(image), 2.0)) == pytest.approx(
        4 * np.sum(np.sqrt(d**2 + e**2) - e), rel=1e-5)
    plain = float(tf.image.total_variation(tf.constant(image)))
    assert plain - d.size * e <= float(losses.total_variation_loss(tf.constant(image))) <= plain  # within e a pair


def test_total_variation_has_a_true_gradient_where_neighbours_are_equal():
    """An 8-bit photo has equal neighbours in its flat parts; there ``|d|`` has no derivative and
    ``tf.image.total_variation``'s gradient (sign 0 = 0) misstates the change a step makes. The rounded
    TV's gradient predicts it: a finite difference along a random direction agrees."""
    image = np.full((6, 6, 3), 120.0, np.float32)
    image[:, 3:] = 121.0
    direction = RNG.normal(size=image.shape).astype(np.float32)
    x = tf.constant(image)
    with tf.GradientTape() as tape:
        tape.watch(x)
        value = losses.total_variation_loss(x)
    predicted = float(tf.reduce_sum(tape.gradient(value, x) * direction))
    h = 1e-2
    measured = (float(losses.total_variation_loss(x + h * direction)) - float(losses.total_variation_loss(x - h * direction))) / (2 * h)
    assert measured == pytest.approx(predicted, rel=1e-2, abs=1e-3)


def test_content_balance_is_scale_free():
    """The same per-position error at 4x the positions (an image twice as large) gives the same loss."""
    f, p = features(4, 4, 8), features(4, 4, 8)
    big_f, big_p = (np.repeat(np.repeat(x, 2, axis=0), 2, axis=1) for x in (f, p))
    small_loss = losses.content_layer_loss(tf.constant(f), tf.constant(p), losses.size_factor(128))
    big_loss = losses.content_layer_loss(tf.constant(big_f), tf.constant(big_p), losses.size_factor(256))
    assert float(big_loss) == pytest.approx(float(small_loss), rel=1e-5)
    assert losses.size_factor(512) == 1.0
