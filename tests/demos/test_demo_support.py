"""The demos' helpers: images, blur kernels, quality measures and the report."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linop.demos import images
from linop.demos.findings import DemoReport, Measurement, format_report

# -- images and measures -----------------------------------------------------------------------


def test_psnr_of_a_constant_error_of_a_tenth_is_20_db():
    reference = np.zeros((4, 4))
    assert images.psnr(reference + 0.1, reference) == pytest.approx(20.0)


def test_psnr_of_identical_images_is_infinite():
    assert images.psnr(np.ones(3), np.ones(3)) == float("inf")


def test_psnr_rejects_different_shapes():
    with pytest.raises(ValueError, match="estimate has shape \\(2,\\) but reference has shape \\(3,\\)"):
        images.psnr(np.zeros(2), np.zeros(3))


def test_block_average_is_the_mean_of_each_block_and_drops_the_remainder():
    image = np.arange(30.0).reshape(5, 6)
    shrunk = images.block_average(image, 2)
    assert shrunk.shape == (2, 3)
    assert shrunk[0, 0] == np.mean([0, 1, 6, 7])
    assert shrunk[1, 2] == np.mean([16, 17, 22, 23])


def test_block_average_keeps_the_channel_axis():
    assert images.block_average(np.ones((6, 4, 3)), 2).shape == (3, 2, 3)


@pytest.mark.parametrize("factor", [0, 2.0, True, 7])
def test_block_average_rejects_a_bad_factor(factor):
    with pytest.raises(ValueError, match="factor"):
        images.block_average(np.ones((6, 6)), factor)


@settings(max_examples=20, deadline=None)
@given(rows=st.integers(1, 4), cols=st.integers(1, 4), factor=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_block_average_preserves_the_mean_of_a_tiled_image(rows, cols, factor, seed):
    image = np.random.default_rng(seed).random((rows * factor, cols * factor))
    assert images.block_average(image, factor).mean() == pytest.approx(image.mean())


def test_gaussian_kernel_sums_to_one_and_is_symmetric():
    k = images.gaussian_kernel(5, 1.0)
    assert k.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(k, k.T)
    np.testing.assert_allclose(k, k[::-1, ::-1])
    assert k.argmax() == 12  # the centre


def test_gaussian_kernel_rejects_bad_parameters():
    with pytest.raises(ValueError, match="size must be a positive int; got 0"):
        images.gaussian_kernel(0, 1.0)
    with pytest.raises(ValueError, match="sigma must be positive; got -1"):
        images.gaussian_kernel(3, -1)


def test_motion_blur_kernel_is_a_diagonal_streak_that_sums_to_one():
    k = images.motion_blur_kernel(4)
    np.testing.assert_array_equal(k, np.eye(4) / 4)
    with pytest.raises(ValueError, match="length must be a positive int"):
        images.motion_blur_kernel(0)


def test_mean_abs_gradient_is_smaller_for_a_blurred_image():
    rng = np.random.default_rng(0)
    sharp = rng.random((20, 20))
    blurred = (sharp[:-1, :-1] + sharp[1:, :-1] + sharp[:-1, 1:] + sharp[1:, 1:]) / 4  # 2 x 2 box blur
    assert images.mean_abs_gradient(blurred) < images.mean_abs_gradient(sharp)
    assert images.mean_abs_gradient(np.ones((5, 5))) == 0


def test_synthetic_image_has_values_in_the_unit_interval_and_structure():
    gray = images.synthetic_image((60, 50))
    rgb = images.synthetic_image((60, 50), color=True)
    assert gray.shape == (60, 50) and rgb.shape == (60, 50, 3)
    assert gray.min() >= 0 and gray.max() <= 1 and gray.std() > 0.1
    np.testing.assert_allclose(rgb @ np.array(images.LUMA_WEIGHTS), gray)


def test_synthetic_image_rejects_a_tiny_shape():
    with pytest.raises(ValueError, match="both >= 16"):
        images.synthetic_image((8, 30))


def test_load_image_gives_the_photograph_shrunk_in_the_unit_interval():
    pytest.importorskip("matplotlib")
    image, source = images.load_image(4)
    assert image.shape == (150, 128)
    assert image.min() >= 0 and image.max() <= 1
    assert "grace_hopper.jpg" in source
    color, _ = images.load_image(4, color=True)
    np.testing.assert_allclose(color @ np.array(images.LUMA_WEIGHTS), image)


# -- the report --------------------------------------------------------------------------------


def test_report_measure_returns_the_value_and_value_finds_it():
    report = DemoReport("d", "A demo")
    assert report.measure("psnr", "PSNR", np.float64(25.5), "dB") == 25.5
    assert report.value("psnr") == 25.5
    assert type(report.value("psnr")) is float  # numpy scalars are stored as Python numbers


def test_report_rejects_a_repeated_key_and_names_unknown_ones():
    report = DemoReport("d", "A demo")
    report.measure("psnr", "PSNR", 1.0)
    with pytest.raises(ValueError, match="'psnr' is already recorded"):
        report.measure("psnr", "PSNR again", 2.0)
    with pytest.raises(KeyError, match="no measurement 'ssim'; recorded: psnr"):
        report.value("ssim")


def test_report_is_ok_only_when_every_claim_holds():
    report = DemoReport("d", "A demo")
    assert report.ok
    report.claim("true", True)
    assert report.ok
    report.claim("false", False)
    assert not report.ok


@pytest.mark.parametrize(
    "value, unit, text",
    [
        (25.4567, "dB", "25.46 dB"),
        (1.5e-10, "", "1.5e-10"),
        (648, "bytes", "648 bytes"),
        (11_700_000, "bytes", "11.7 MB"),
        (305_000, "bytes", "305 kB"),
        ("3 x 7", "", "3 x 7"),
        (93, "", "93"),
    ],
)
def test_measurement_formatting(value, unit, text):
    assert Measurement("k", "label", value, unit).formatted() == text


def test_format_report_aligns_values_and_lists_claims_figures_and_notes(tmp_path):
    report = DemoReport("d", "A demo")
    report.details.append("image: a test")
    report.measure("a", "short", 1.0)
    report.measure("b", "a longer label", 2.0, "s")
    report.claim("it works", True)
    report.claim("it is fast", False)
    report.figures.append(tmp_path / "d.png")
    report.notes.append("something to know")
    text = format_report(report)
    assert text.splitlines()[0] == "A demo"
    assert "  image: a test" in text
    assert "  short           1" in text and "  a longer label  2 s" in text
    assert "  [ok] it works" in text and "  [FAILED] it is fast" in text
    assert f"  {tmp_path / 'd.png'}" in text
    assert "note: something to know" in text
