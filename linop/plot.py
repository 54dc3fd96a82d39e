"""Pictures of operators and images: matrices, image panels and convergence curves.

matplotlib is an optional dependency (``pip install 'linop[plot]'``); it is imported
on first use, so ``import linop.plot`` always works and only drawing needs it.
The functions draw on bare :class:`matplotlib.figure.Figure` objects, not on pyplot's
global state, so they work in scripts, tests and servers without a display; in a
Jupyter notebook a returned figure shows itself.

* :func:`plot_matrix`: the matrix of a linear operator, entries as colours (and as
  numbers written in the cells when the matrix is small), or its sparsity pattern.
* :func:`plot_images`: a row (or grid) of images, grayscale or RGB.
* :func:`plot_convergence`: quantities against the iteration number.
* :func:`new_figure`, :func:`save_figure`: a figure with a grid of panels; PNG output.
"""

from __future__ import annotations

import importlib
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator

from .arguments import is_integer

__all__ = [
    "INSTALL_HINT",
    "matplotlib_available",
    "new_figure",
    "plot_convergence",
    "plot_images",
    "plot_matrix",
    "require_matplotlib",
    "save_figure",
]

#: How to get the figures.
INSTALL_HINT = "pip install 'linop[plot]'"

#: Matrices with at most this many entries have their values written in the cells
#: when ``annotate="auto"``.
ANNOTATE_LIMIT = 400

#: Matrices with more entries than this are drawn as a sparsity pattern when
#: ``style="auto"`` (a dense picture of them would not show single entries anyway).
VALUES_LIMIT = 1_000_000

#: Largest matrix :func:`plot_matrix` builds from an operator without ``to_sparse``.
PROBE_LIMIT = 4_000_000


def matplotlib_available() -> bool:
    """Whether matplotlib can be imported (without importing it when it is already loaded).

    Returns
    -------
    bool
        ``True`` when ``import matplotlib`` would succeed.

    Examples
    --------
    >>> from linop.plot import matplotlib_available
    >>> matplotlib_available()
    True
    """
    try:
        require_matplotlib()
    except ImportError:
        return False
    return True


def require_matplotlib() -> Any:
    """Import matplotlib, or raise an ImportError that says how to install it.

    Returns
    -------
    module
        The ``matplotlib`` module.

    Raises
    ------
    ImportError
        When matplotlib is not installed; the message names ``pip install 'linop[plot]'``.

    Examples
    --------
    >>> from linop.plot import require_matplotlib
    >>> require_matplotlib().__name__
    'matplotlib'
    """
    try:
        matplotlib = importlib.import_module("matplotlib")
        importlib.import_module("matplotlib.figure")
    except ImportError as exc:
        raise ImportError(
            f"linop's figures need matplotlib, which is not installed; install it with {INSTALL_HINT}"
        ) from exc
    return matplotlib


def new_figure(
    nrows: int = 1,
    ncols: int = 1,
    *,
    panel_size: float | tuple[float, float] = 3.0,
    width_ratios: Sequence[float] | None = None,
    title: str | None = None,
) -> tuple[Any, list[Any]]:
    """A figure with an ``nrows x ncols`` grid of panels, and the panels in row-major order.

    Parameters
    ----------
    nrows, ncols : int
        The grid.
    panel_size : float or (width, height)
        Size of one panel in inches.
    width_ratios : sequence of float, optional
        Relative widths of the columns.
    title : str, optional
        A title over the whole figure.

    Returns
    -------
    (matplotlib.figure.Figure, list of Axes)

    Raises
    ------
    ValueError
        If ``nrows`` or ``ncols`` is not a positive int, or ``width_ratios`` does not have
        ``ncols`` entries.
    ImportError
        When matplotlib is not installed.

    Examples
    --------
    >>> from linop.plot import new_figure
    >>> fig, axes = new_figure(1, 2, title="two panels")
    >>> len(axes)
    2
    """
    require_matplotlib()
    from matplotlib.figure import Figure

    for name, value in (("nrows", nrows), ("ncols", ncols)):
        if not is_integer(value) or value < 1:
            raise ValueError(f"{name} must be a positive int; got {value!r}")
    if isinstance(panel_size, (tuple, list, np.ndarray)):
        width, height = panel_size
    else:
        width = height = panel_size
    if width_ratios is not None:
        if len(width_ratios) != ncols:
            raise ValueError(f"width_ratios must have ncols={ncols} entries; got {list(width_ratios)!r}")
        total_width = width * float(sum(width_ratios)) / max(width_ratios)  # the widest column gets `width`
    else:
        total_width = width * ncols
    fig = Figure(figsize=(total_width, height * nrows + (0.4 if title else 0.0)), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, gridspec_kw={"width_ratios": width_ratios})
    if title:
        fig.suptitle(title)
    return fig, [ax for row in axes for ax in row]


def save_figure(fig: Any, path: str | os.PathLike, *, dpi: int = 100) -> Path:
    """Write ``fig`` as a PNG to ``path`` (parent directories are created); returns the path.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    path : str or path-like
        The file to write, ending in ``.png``.
    dpi : int, default 100
        Resolution.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ValueError
        If ``path`` does not end in ``.png``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from linop.plot import plot_matrix, save_figure
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = save_figure(plot_matrix(np.eye(3)), pathlib.Path(tmp) / "eye.png")
    ...     print(path.name, path.stat().st_size > 0)
    ...
    eye.png True
    """
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"path must name a .png file; got {str(path)!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, format="png")
    return path


def _axes(ax: Any, panel_size: float | tuple[float, float] = 3.0) -> Any:
    if ax is not None:
        return ax
    _, (ax,) = new_figure(1, 1, panel_size=panel_size)
    return ax


# -- matrices ------------------------------------------------------------------------------


def _as_matrix(op: object) -> tuple[np.ndarray | sp.sparray, tuple | None, tuple | None]:
    """The explicit matrix of ``op`` (dense or sparse) and its input/output shapes if known."""
    if isinstance(op, (np.ndarray, list, tuple)):
        a = np.asarray(op)
        if a.ndim != 2 or not np.issubdtype(a.dtype, np.number):
            raise ValueError(f"op must be a 2-D numeric matrix; got an array of shape {a.shape}, dtype {a.dtype}")
        return a, None, None
    if sp.issparse(op):
        return sp.csr_array(op), None, None
    if isinstance(op, LinearOperator):
        input_shape = getattr(op, "input_shape", None)
        output_shape = getattr(op, "output_shape", None)
        to_sparse = getattr(op, "to_sparse", None)
        if callable(to_sparse):
            return to_sparse(), input_shape, output_shape
        rows, cols = op.shape
        if rows * cols > PROBE_LIMIT:
            raise ValueError(
                f"op is a {rows} x {cols} LinearOperator without to_sparse(); plot_matrix builds "
                f"matrices of at most {PROBE_LIMIT:.0e} entries by applying it to the identity"
            )
        return np.asarray(op.matmat(np.eye(cols, dtype=op.dtype))), input_shape, output_shape
    raise TypeError(f"op must be a scipy LinearOperator, a scipy sparse matrix or a 2-D array; got {type(op).__name__}")


def _block_size(shape: tuple | None, length: int) -> int | None:
    """Entries per index of the first axis (one image row), when lines between those blocks help."""
    if not shape or len(shape) < 2:
        return None
    block = math.prod(int(s) for s in shape[1:])
    if block <= 1 or block >= length or length // block > 64:
        return None
    return block


def _shape_text(shape: tuple) -> str:
    return " x ".join(str(int(s)) for s in shape)


def _cell_text(value: complex | float) -> str:
    if np.iscomplexobj(value) and value.imag != 0:
        return f"{value.real:.3g}{value.imag:+.3g}j"
    return f"{np.real(value):.3g}"


def plot_matrix(
    op: object,
    *,
    ax: Any = None,
    style: str = "auto",
    annotate: bool | str = "auto",
    title: str | None = None,
    cmap: str = "RdBu_r",
    block_lines: bool = True,
) -> Any:
    """Draw the matrix of a linear operator.

    Entry ``a_ij`` is row ``i`` (output index) and column ``j`` (input index) of the
    operator's matrix in C-order flattening: for a convolution, the weight with which
    input sample ``j`` enters output sample ``i``.

    Parameters
    ----------
    op : scipy LinearOperator, scipy sparse matrix or 2-D array
        linop operators are drawn from their exact ``to_sparse()``; other operators are
        applied to the identity (at most ``PROBE_LIMIT`` entries).
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.
    style : {"auto", "values", "pattern"}
        ``"values"``: colours show the entries (diverging colormap centred on zero, zero
        entries white); ``"pattern"``: a dot per stored non-zero (``Axes.spy``);
        ``"auto"``: values up to ``VALUES_LIMIT`` entries, the pattern beyond.
    annotate : bool or "auto"
        Write each entry's value in its cell (``"auto"``: when the matrix has at most
        ``ANNOTATE_LIMIT`` entries).
    title : str, optional
        Panel title; by default the matrix size and number of non-zeros.
    cmap : str
        A matplotlib colormap name for the values.
    block_lines : bool
        For shaped operators (``input_shape``/``output_shape``) of 2 or more axes, draw thin
        lines between the blocks that belong to one index of the first axis (one image
        row): a 2-D convolution's matrix is block-Toeplitz in these blocks.

    Returns
    -------
    matplotlib.figure.Figure
        The figure ``ax`` belongs to.

    Raises
    ------
    TypeError
        If ``op`` is not a matrix or LinearOperator.
    ValueError
        For an unknown ``style`` or ``annotate``, or an operator too large to probe.
    ImportError
        If matplotlib is not installed.

    Notes
    -----
    Complex matrices are drawn by the modulus ``|a_ij|`` (the cell texts show the complex value).

    Examples
    --------
    >>> from linop.plot import plot_matrix
    >>> A = linop.Convolution([0.5, 1, 0.5], input_shape=(7,), stride=2)
    >>> fig = plot_matrix(A)          # values in the cells
    >>> fig = plot_matrix(A.H)        # the 7 x 3 transpose
    >>> type(fig).__name__
    'Figure'
    """
    if style not in ("auto", "values", "pattern"):
        raise ValueError(f"style must be 'auto', 'values' or 'pattern'; got {style!r}")
    if annotate not in (True, False, "auto"):
        raise ValueError(f"annotate must be True, False or 'auto'; got {annotate!r}")
    require_matplotlib()
    matrix, input_shape, output_shape = _as_matrix(op)
    rows, cols = matrix.shape
    if style == "auto":
        style = "values" if rows * cols <= VALUES_LIMIT else "pattern"
    sparse = sp.csr_array(matrix)
    sparse.eliminate_zeros()
    ax = _axes(ax, panel_size=(min(8.0, 1.0 + 0.45 * cols), min(8.0, 1.0 + 0.45 * rows)))

    if style == "pattern":
        ax.spy(sparse, markersize=max(0.5, min(6.0, 300.0 / max(rows, cols))), color="tab:blue")
    else:
        dense = sparse.toarray()
        complex_values = np.iscomplexobj(dense)
        shown = np.abs(dense) if complex_values else dense.real.astype(float)
        masked = np.ma.masked_where(dense == 0, shown)
        vmax = float(np.abs(shown).max()) or 1.0
        vmin = 0.0 if complex_values else -vmax
        import matplotlib

        colormap = matplotlib.colormaps[cmap].with_extremes(bad="white")
        image = ax.imshow(masked, cmap=colormap, vmin=vmin, vmax=vmax, interpolation="nearest", aspect="equal")
        if annotate == "auto":
            annotate = rows * cols <= ANNOTATE_LIMIT
        if annotate:
            for (i, j), value in np.ndenumerate(dense):
                strong = abs(shown[i, j]) > 0.6 * vmax
                ax.text(
                    j,
                    i,
                    _cell_text(value),
                    ha="center",
                    va="center",
                    fontsize=9,
                    color="0.7" if value == 0 else "white" if strong else "black",
                )
        else:
            ax.figure.colorbar(image, ax=ax, shrink=0.8, label="|entry|" if complex_values else "entry")
        if cols <= 32:
            ax.set_xticks(np.arange(cols))
        if rows <= 32:
            ax.set_yticks(np.arange(rows))
        ax.set_xlim(-0.5, cols - 0.5)
        ax.set_ylim(rows - 0.5, -0.5)

    if block_lines:
        for block, length, draw in (
            (_block_size(output_shape, rows), rows, ax.axhline),
            (_block_size(input_shape, cols), cols, ax.axvline),
        ):
            if block:
                for edge in range(block, length, block):
                    draw(edge - 0.5, color="0.75", linewidth=0.5)
    ax.xaxis.set_ticks_position("bottom")
    ax.set_xlabel("input index" + (f"\n(input shape {_shape_text(input_shape)})" if input_shape else ""))
    ax.set_ylabel("output index" + (f"\n(output shape {_shape_text(output_shape)})" if output_shape else ""))
    if title is None:
        title = f"{rows} x {cols} matrix, {sparse.nnz} non-zeros"
    ax.set_title(title)
    return ax.figure


# -- images --------------------------------------------------------------------------------


def _as_image(image: object, name: str) -> np.ndarray:
    a = np.asarray(image)
    if not np.issubdtype(a.dtype, np.number) or np.iscomplexobj(a):
        raise TypeError(f"{name} must be a real numeric array; got dtype {a.dtype}")
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    if not (a.ndim == 2 or (a.ndim == 3 and a.shape[-1] in (3, 4))):
        raise ValueError(
            f"{name} must be a 2-D grayscale image (H, W) or an RGB(A) image (H, W, 3 or 4); got shape {a.shape}"
        )
    return a


def plot_images(
    images: Sequence[object] | Mapping[str, object],
    titles: Sequence[str] | None = None,
    *,
    axes: Sequence[Any] | None = None,
    ncols: int | None = None,
    value_range: tuple[float, float] | None = None,
    cmap: str = "gray",
    show_shape: bool = False,
    panel_size: float = 3.0,
) -> Any:
    """Show images side by side, one panel each.

    Parameters
    ----------
    images : sequence of arrays, or mapping title -> array
        Grayscale ``(H, W)`` or RGB(A) ``(H, W, 3|4)`` images (an ``(H, W, 1)`` image is
        grayscale). Images of different sizes are drawn at the same panel size, so a
        low-resolution image shows its coarse pixels.
    titles : sequence of str, optional
        One title per image (not with a mapping, whose keys are the titles).
    axes : sequence of Axes, optional
        Where to draw (one per image); a new figure when omitted.
    ncols : int, optional
        Panels per row of a new figure (default: all in one row).
    value_range : (low, high), optional
        Grayscale values mapped to black and white, the same for every image so that
        they compare; RGB values are clipped to it and rescaled to [0, 1]. Default:
        each grayscale image's own range, RGB values as they are (clipped to [0, 1]).
    cmap : str
        Colormap for grayscale images.
    show_shape : bool
        Append the array shape to each title.
    panel_size : float
        Inches per panel of a new figure.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    TypeError, ValueError
        For arrays that are not images, titles that do not match the images, or axes
        that are too few.
    ImportError
        If matplotlib is not installed.

    Examples
    --------
    >>> from linop.plot import plot_images
    >>> A = linop.Convolution([0.5, 1, 0.5], input_shape=(7,), stride=2)
    >>> fig = plot_images({"I": np.eye(7), "A.H A": A.H.to_dense() @ A.to_dense()}, value_range=(0, 1))
    >>> len(fig.axes)
    2
    """
    if isinstance(images, Mapping):
        if titles is not None:
            raise ValueError("titles must be omitted when images is a mapping (its keys are the titles)")
        titles = [str(key) for key in images]
        images = list(images.values())
    else:
        images = list(images)
    if not images:
        raise ValueError("images must contain at least one image")
    arrays = [_as_image(image, f"images[{i}]") for i, image in enumerate(images)]
    if titles is None:
        titles = [""] * len(arrays)
    titles = list(titles)
    if len(titles) != len(arrays):
        raise ValueError(f"titles must have one entry per image ({len(arrays)}); got {len(titles)}")
    if value_range is not None:
        low, high = (float(v) for v in value_range)
        if not high > low:
            raise ValueError(f"value_range must be (low, high) with high > low; got {value_range!r}")
    require_matplotlib()
    if axes is None:
        columns = len(arrays) if ncols is None else int(ncols)
        if columns < 1:
            raise ValueError(f"ncols must be a positive int; got {ncols!r}")
        _, axes = new_figure(math.ceil(len(arrays) / columns), columns, panel_size=panel_size)
        for extra in axes[len(arrays) :]:
            extra.set_axis_off()
    elif len(axes) < len(arrays):
        raise ValueError(f"axes must provide one Axes per image ({len(arrays)}); got {len(axes)}")
    for ax, array, title in zip(axes, arrays, titles):
        if array.ndim == 2:
            limits = {} if value_range is None else {"vmin": value_range[0], "vmax": value_range[1]}
            ax.imshow(array, cmap=cmap, interpolation="nearest", **limits)
        else:
            rgb = array.astype(float)
            if value_range is not None:
                rgb = (np.clip(rgb, low, high) - low) / (high - low)
            ax.imshow(np.clip(rgb, 0.0, 1.0), interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        label = title
        if show_shape:
            label = f"{title}\n{' x '.join(map(str, array.shape))}" if title else " x ".join(map(str, array.shape))
        ax.set_title(label, fontsize=10)
    return axes[0].figure


# -- curves --------------------------------------------------------------------------------


def plot_convergence(
    iterations: npt.ArrayLike,
    series: Mapping[str, npt.ArrayLike],
    *,
    ax: Any = None,
    log_scale: bool = True,
    xlabel: str = "iteration",
    ylabel: str = "",
    title: str | None = None,
) -> Any:
    """Plot one or more quantities against the iteration number, with a marker per point.

    Parameters
    ----------
    iterations : sequence of int
        The iteration numbers at which the quantities were measured.
    series : mapping label -> sequence of float
        Each sequence has one value per iteration number.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.
    log_scale : bool
        Logarithmic value axis (values must then be positive).
    xlabel, ylabel, title : str
        The axis labels and an optional panel title.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If a series has a different length than ``iterations``, or a log scale meets a
        value that is not positive.

    Examples
    --------
    >>> from linop.plot import plot_convergence
    >>> fig = plot_convergence([1, 2, 4, 8], {"residual": [1.0, 0.3, 0.05, 0.01]}, ylabel="norm")
    >>> fig.axes[0].get_yscale()
    'log'
    """
    iterations = np.asarray(iterations)
    if iterations.ndim != 1 or iterations.size == 0:
        raise ValueError(f"iterations must be a non-empty 1-D sequence; got shape {iterations.shape}")
    if not series:
        raise ValueError("series must contain at least one labelled sequence")
    checked = {}
    for label, values in series.items():
        values = np.asarray(values, dtype=float)
        if values.shape != iterations.shape:
            raise ValueError(f"series {label!r} has {values.size} values but there are {iterations.size} iterations")
        if log_scale and not np.all(values > 0):
            raise ValueError(f"series {label!r} has values <= 0, which a log scale cannot show")
        checked[label] = values
    require_matplotlib()
    ax = _axes(ax, panel_size=(4.0, 3.0))
    for label, values in checked.items():
        ax.plot(iterations, values, marker="o", markersize=3, label=label)
    if log_scale:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, which="both", alpha=0.3)
    if len(checked) > 1 or next(iter(checked)):
        ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    return ax.figure
