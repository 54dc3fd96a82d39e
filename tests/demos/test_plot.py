"""linop.plot: the pictures of matrices, images and convergence curves, and the PNGs they save."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.linalg import aslinearoperator

import linop
from linop import plot

matplotlib = pytest.importorskip("matplotlib")
import matplotlib.image as mpl_image  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

LECTURE = linop.Convolution([0.5, 1, 0.5], input_shape=(7,), stride=2)


def drawn_matrix(fig: Figure) -> np.ma.MaskedArray:
    """The array that the first panel of ``fig`` shows with imshow."""
    return fig.axes[0].images[0].get_array()


def cell_texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.axes[0].texts]


# -- plot_matrix ------------------------------------------------------------------------------


def test_plot_matrix_returns_a_figure_with_the_lecture_matrix():
    fig = plot.plot_matrix(LECTURE)
    assert isinstance(fig, Figure)
    shown = drawn_matrix(fig)
    np.testing.assert_array_equal(shown.filled(0), LECTURE.to_dense())
    assert shown.mask.sum() == 21 - 9  # zeros are blank cells


def test_plot_matrix_writes_the_kernel_values_in_the_cells():
    texts = cell_texts(plot.plot_matrix(LECTURE))
    assert len(texts) == 21
    assert texts.count("0.5") == 6 and texts.count("1") == 3 and texts.count("0") == 12


def test_plot_matrix_of_the_adjoint_is_the_transpose():
    shown = drawn_matrix(plot.plot_matrix(LECTURE.H))
    np.testing.assert_array_equal(shown.filled(0), LECTURE.to_dense().T)


def test_plot_matrix_default_title_gives_size_and_non_zeros():
    fig = plot.plot_matrix(LECTURE)
    assert fig.axes[0].get_title() == "3 x 7 matrix, 9 non-zeros"


def test_plot_matrix_labels_axes_with_the_operator_shapes():
    conv = linop.Convolution(np.ones((3, 3, 2, 3)), (6, 6, 2), stride=2, padding=1)
    ax = plot.plot_matrix(conv).axes[0]
    assert "6 x 6 x 2" in ax.get_xlabel() and "3 x 3 x 3" in ax.get_ylabel()


def test_plot_matrix_does_not_annotate_large_matrices_by_default():
    conv = linop.Convolution(np.ones((3, 3, 2, 3)), (6, 6, 2), stride=2, padding=1)
    fig = plot.plot_matrix(conv)
    assert cell_texts(fig) == []
    assert len(fig.axes) == 2  # the panel and its colour bar


def test_plot_matrix_draws_lines_between_image_rows():
    conv = linop.Convolution(np.ones((3, 3, 2, 3)), (6, 6, 2), stride=2, padding=1)
    ax = plot.plot_matrix(conv, annotate=False).axes[0]
    horizontal = [line for line in ax.lines if line.get_ydata()[0] == line.get_ydata()[1]]
    vertical = [line for line in ax.lines if line.get_xdata()[0] == line.get_xdata()[1]]
    assert len(horizontal) == 3 - 1  # output rows of 3 x 3 channels
    assert len(vertical) == 6 - 1  # input rows of 6 x 2 entries
    assert {line.get_ydata()[0] for line in horizontal} == {8.5, 17.5}


def test_plot_matrix_block_lines_can_be_switched_off():
    conv = linop.Convolution(np.ones((3, 3, 2, 3)), (6, 6, 2), stride=2, padding=1)
    assert len(plot.plot_matrix(conv, block_lines=False).axes[0].lines) == 0


def test_plot_matrix_pattern_style_marks_every_stored_non_zero():
    conv = linop.Convolution(np.ones((3, 3)), (10, 10), padding="same")
    fig = plot.plot_matrix(conv, style="pattern", block_lines=False)
    (markers,) = fig.axes[0].lines
    assert len(markers.get_xdata()) == conv.to_sparse().nnz


def test_plot_matrix_draws_the_pattern_of_matrices_too_large_for_values(monkeypatch):
    monkeypatch.setattr(plot, "VALUES_LIMIT", 100)
    fig = plot.plot_matrix(linop.Convolution(np.ones((3, 3)), (6, 6), padding="same"), block_lines=False)
    assert len(fig.axes[0].images) == 0 and len(fig.axes[0].lines) == 1


def test_plot_matrix_accepts_a_generic_linear_operator():
    dense = np.arange(12.0).reshape(3, 4) - 5
    fig = plot.plot_matrix(aslinearoperator(dense))
    np.testing.assert_array_equal(drawn_matrix(fig).filled(0), dense)


def test_plot_matrix_accepts_arrays_and_sparse_matrices():
    dense = np.array([[1.0, 0.0], [0.0, -2.0]])
    np.testing.assert_array_equal(drawn_matrix(plot.plot_matrix(dense)).filled(0), dense)
    np.testing.assert_array_equal(drawn_matrix(plot.plot_matrix(sp.csr_array(dense))).filled(0), dense)


def test_plot_matrix_shows_complex_entries_by_their_modulus():
    matrix = np.array([[3 + 4j, 0], [0, 1j]])
    fig = plot.plot_matrix(matrix)
    np.testing.assert_allclose(drawn_matrix(fig).filled(0), np.abs(matrix))
    assert "3+4j" in cell_texts(fig)


def test_plot_matrix_draws_into_a_given_axes():
    fig, axes = plot.new_figure(1, 2)
    assert plot.plot_matrix(LECTURE, ax=axes[1]) is fig
    assert len(axes[0].images) == 0 and len(axes[1].images) == 1


def test_plot_matrix_does_not_modify_an_array_it_is_given():
    dense = np.array([[1.0, 0.0], [0.0, -2.0]])
    copy = dense.copy()
    plot.plot_matrix(dense)
    np.testing.assert_array_equal(dense, copy)


@pytest.mark.parametrize("bad", ["matrix", 3.0, None])
def test_plot_matrix_rejects_what_is_not_a_matrix(bad):
    with pytest.raises(TypeError, match="op must be a scipy LinearOperator"):
        plot.plot_matrix(bad)


def test_plot_matrix_rejects_arrays_that_are_not_2d():
    with pytest.raises(ValueError, match="2-D numeric matrix.*shape \\(2, 2, 2\\)"):
        plot.plot_matrix(np.ones((2, 2, 2)))


def test_plot_matrix_rejects_an_unknown_style_or_annotate():
    with pytest.raises(ValueError, match="style must be.*'dots'"):
        plot.plot_matrix(LECTURE, style="dots")
    with pytest.raises(ValueError, match="annotate must be.*'yes'"):
        plot.plot_matrix(LECTURE, annotate="yes")


def test_plot_matrix_refuses_to_probe_a_huge_operator_without_to_sparse(monkeypatch):
    monkeypatch.setattr(plot, "PROBE_LIMIT", 10)
    with pytest.raises(ValueError, match="without to_sparse"):
        plot.plot_matrix(aslinearoperator(np.ones((4, 4))))


@settings(max_examples=15, deadline=None)
@given(
    n=st.integers(4, 7),
    k=st.integers(1, 3),
    stride=st.integers(1, 2),
    padding=st.sampled_from(["valid", "same", "full"]),
    boundary=st.sampled_from(["constant", "wrap", "reflect"]),
    channels=st.sampled_from([None, (1, 2), (2, 2)]),
    ndim=st.integers(1, 2),
    seed=st.integers(0, 2**16),
)
def test_plot_matrix_shows_exactly_the_operator_matrix(n, k, stride, padding, boundary, channels, ndim, seed):
    rng = np.random.default_rng(seed)
    spatial = (n,) * ndim
    if channels is None:
        kernel, shape = rng.standard_normal((k,) * ndim), spatial
    else:
        kernel, shape = rng.standard_normal((k,) * ndim + channels), spatial + (channels[0],)
    conv = linop.Convolution(kernel, shape, stride=stride, padding=padding, boundary=boundary)
    fig = plot.plot_matrix(conv, style="values")
    np.testing.assert_allclose(drawn_matrix(fig).filled(0), conv.to_dense(), rtol=1e-12, atol=1e-12)


# -- plot_images ------------------------------------------------------------------------------


def test_plot_images_draws_one_panel_per_image_with_its_title():
    images = [np.zeros((4, 5)), np.ones((8, 10)), np.full((6, 6, 3), 0.5)]
    fig = plot.plot_images(images, ["zeros", "ones", "grey rgb"])
    assert [ax.get_title() for ax in fig.axes] == ["zeros", "ones", "grey rgb"]
    assert [ax.images[0].get_array().shape for ax in fig.axes] == [(4, 5), (8, 10), (6, 6, 3)]


def test_plot_images_takes_titles_from_a_mapping():
    fig = plot.plot_images({"a": np.eye(3), "b": np.eye(4)})
    assert [ax.get_title() for ax in fig.axes] == ["a", "b"]


def test_plot_images_can_append_the_shape_to_the_titles():
    fig = plot.plot_images([np.zeros((4, 5, 3))], ["low"], show_shape=True)
    assert fig.axes[0].get_title() == "low\n4 x 5 x 3"


def test_plot_images_uses_one_value_range_for_all_grayscale_images():
    fig = plot.plot_images([np.zeros((3, 3)), np.ones((3, 3))], value_range=(0, 2))
    assert all(ax.images[0].get_clim() == (0, 2) for ax in fig.axes)


def test_plot_images_rescales_rgb_to_the_value_range():
    fig = plot.plot_images([np.full((2, 2, 3), 5.0)], value_range=(0, 10))
    np.testing.assert_allclose(fig.axes[0].images[0].get_array(), 0.5)


def test_plot_images_treats_a_single_channel_as_grayscale():
    fig = plot.plot_images([np.zeros((3, 4, 1))])
    assert fig.axes[0].images[0].get_array().shape == (3, 4)


def test_plot_images_arranges_a_grid_and_hides_unused_panels():
    fig = plot.plot_images([np.eye(3)] * 5, ncols=3)
    assert len(fig.axes) == 6
    assert not fig.axes[5].axison


def test_plot_images_does_not_modify_the_images():
    image = np.linspace(-1, 2, 12).reshape(2, 2, 3)
    copy = image.copy()
    plot.plot_images([image], value_range=(0, 1))
    np.testing.assert_array_equal(image, copy)


@pytest.mark.parametrize("bad_shape", [(5,), (2, 3, 5), (2, 2, 2, 3)])
def test_plot_images_rejects_arrays_that_are_not_images(bad_shape):
    with pytest.raises(ValueError, match=r"images\[0\] must be a 2-D grayscale image"):
        plot.plot_images([np.zeros(bad_shape)])


def test_plot_images_rejects_complex_images():
    with pytest.raises(TypeError, match="real numeric array"):
        plot.plot_images([np.zeros((2, 2), complex)])


def test_plot_images_rejects_mismatched_titles_axes_and_ranges():
    with pytest.raises(ValueError, match="one entry per image \\(2\\); got 1"):
        plot.plot_images([np.eye(2), np.eye(2)], ["only one"])
    with pytest.raises(ValueError, match="titles must be omitted"):
        plot.plot_images({"a": np.eye(2)}, ["a"])
    with pytest.raises(ValueError, match="value_range must be"):
        plot.plot_images([np.eye(2)], value_range=(1, 1))
    _, axes = plot.new_figure(1, 1)
    with pytest.raises(ValueError, match="one Axes per image \\(2\\); got 1"):
        plot.plot_images([np.eye(2), np.eye(2)], axes=axes)
    with pytest.raises(ValueError, match="at least one image"):
        plot.plot_images([])


# -- plot_convergence, new_figure, save_figure -------------------------------------------------


def test_plot_convergence_draws_one_line_per_series_on_a_log_scale():
    fig = plot.plot_convergence([1, 2, 4], {"a": [1.0, 0.1, 0.01], "b": [2.0, 1.0, 0.5]})
    ax = fig.axes[0]
    assert len(ax.lines) == 2 and ax.get_yscale() == "log"
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [1, 2, 4])


def test_plot_convergence_rejects_series_of_the_wrong_length():
    with pytest.raises(ValueError, match="series 'a' has 2 values but there are 3 iterations"):
        plot.plot_convergence([1, 2, 3], {"a": [1.0, 2.0]})


def test_plot_convergence_rejects_non_positive_values_on_a_log_scale():
    with pytest.raises(ValueError, match="values <= 0"):
        plot.plot_convergence([1, 2], {"a": [1.0, 0.0]})
    assert plot.plot_convergence([1, 2], {"a": [1.0, 0.0]}, log_scale=False).axes[0].get_yscale() == "linear"


def test_new_figure_rejects_a_bad_grid():
    with pytest.raises(ValueError, match="ncols must be a positive int; got 0"):
        plot.new_figure(1, 0)
    with pytest.raises(ValueError, match="width_ratios must have ncols=2 entries"):
        plot.new_figure(1, 2, width_ratios=[1])


def test_save_figure_writes_a_png_and_creates_the_directory(tmp_path):
    path = plot.save_figure(plot.plot_matrix(LECTURE), tmp_path / "new" / "lecture.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = mpl_image.imread(path)
    assert pixels.ndim == 3 and pixels.std() > 0.05


def test_save_figure_insists_on_png(tmp_path):
    with pytest.raises(ValueError, match="must name a .png file"):
        plot.save_figure(plot.plot_matrix(LECTURE), tmp_path / "lecture.pdf")


# -- without matplotlib ------------------------------------------------------------------------


def test_without_matplotlib_plotting_says_how_to_install_it(monkeypatch):
    for name in [name for name in sys.modules if name.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert not plot.matplotlib_available()
    with pytest.raises(ImportError, match=r"pip install 'linop\[plot\]'"):
        plot.plot_matrix(LECTURE)
    with pytest.raises(ImportError, match=r"pip install 'linop\[plot\]'"):
        plot.plot_images([np.eye(3)])
