"""Images for the demos: a real photograph, a synthetic fallback, blur kernels and quality measures.

The photograph is Grace Hopper's portrait from matplotlib's sample data, which ships
inside every matplotlib installation, so nothing is downloaded. Without matplotlib the
demos use :func:`synthetic_image`, a synthetic image drawn here, and say so.
"""

from __future__ import annotations

import importlib

import numpy as np

from ..arguments import is_integer

__all__ = [
    "LUMA_WEIGHTS",
    "PHOTOGRAPH",
    "block_average",
    "gaussian_kernel",
    "load_image",
    "mean_abs_gradient",
    "motion_blur_kernel",
    "psnr",
    "synthetic_image",
]

#: matplotlib's sample photograph (600 x 512 RGB).
PHOTOGRAPH = "grace_hopper.jpg"

#: ITU-R BT.601 luma: ``Y = 0.299 R + 0.587 G + 0.114 B``.
LUMA_WEIGHTS = (0.299, 0.587, 0.114)

#: Full size of the photograph, and of the synthetic pattern that stands in for it.
FULL_SHAPE = (600, 512)


def block_average(image: np.ndarray, factor: int) -> np.ndarray:
    """Shrink an image by an integer factor: the mean over ``factor x factor`` blocks.

    ``out[i, j] = mean(image[f i : f i + f, f j : f j + f])``; rows and columns that do not
    fill a whole block at the high end are dropped. Trailing (channel) axes are kept.

    Raises
    ------
    ValueError
        If ``factor`` is not a positive int or larger than the image.
    """
    if not is_integer(factor) or factor < 1:
        raise ValueError(f"factor must be a positive int; got {factor!r}")
    rows, cols = image.shape[0] // factor, image.shape[1] // factor
    if rows < 1 or cols < 1:
        raise ValueError(f"factor={factor} is larger than the image ({image.shape[0]} x {image.shape[1]})")
    cropped = image[: rows * factor, : cols * factor]
    return cropped.reshape((rows, factor, cols, factor) + image.shape[2:]).mean(axis=(1, 3))


def _read_photograph() -> np.ndarray | None:
    """The photograph as floats in [0, 1], ``(600, 512, 3)``; None without matplotlib."""
    try:
        cbook = importlib.import_module("matplotlib.cbook")
        mpl_image = importlib.import_module("matplotlib.image")
    except ImportError:
        return None
    with cbook.get_sample_data(PHOTOGRAPH) as handle:
        pixels = mpl_image.imread(handle, format="jpg")
    pixels = np.asarray(pixels)[..., :3]
    if np.issubdtype(pixels.dtype, np.integer):
        return pixels.astype(np.float64) / np.iinfo(pixels.dtype).max
    return pixels.astype(np.float64)


#: Width, in pixels, over which the edges of :func:`synthetic_image` rise (like a lens would blur them).
EDGE_WIDTH = 0.8


def _soft_inside(distance: np.ndarray) -> np.ndarray:
    """Weight of a shape at a signed distance (pixels, positive inside) from its edge:
    ``(1 + tanh(distance / EDGE_WIDTH)) / 2``."""
    return 0.5 * (1.0 + np.tanh(distance / EDGE_WIDTH))


def synthetic_image(shape: tuple[int, int] = FULL_SHAPE, *, color: bool = False) -> np.ndarray:
    """A synthetic image with edges, smooth shading and stripes, values in [0, 1].

    A diagonal shading, three discs and an ellipse of different brightness, a square,
    and a patch of sinusoidal stripes whose period shrinks from 16 to 4 pixels. Edges
    rise over about :data:`EDGE_WIDTH` pixels, as in a photograph, so the image has no
    detail finer than its pixels. ``color=True`` gives an RGB image whose channels
    weight the shapes differently.

    Raises
    ------
    ValueError
        If ``shape`` is not two sizes of at least 16.
    """
    rows, cols = (int(s) for s in shape)
    if rows < 16 or cols < 16:
        raise ValueError(f"shape must be (rows, cols) with both >= 16; got {shape!r}")
    py, px = np.mgrid[0:rows, 0:cols].astype(float)  # pixel coordinates
    y, x = py / rows, px / cols  # fractions of the height and width
    background = 0.25 + 0.1 * (x + y)
    ellipses = [  # (centre_y, centre_x, radius_y, radius_x) as fractions, then the RGB value
        ((0.3, 0.3, 0.18, 0.18), (0.55, 0.35, 0.2)),
        ((0.3, 0.72, 0.12, 0.12), (0.3, 0.6, 0.7)),
        ((0.68, 0.3, 0.1, 0.22), (0.7, 0.7, 0.25)),
        ((0.72, 0.75, 0.06, 0.06), (0.05, 0.1, 0.3)),
    ]
    square = _soft_inside(np.minimum(0.06 * rows - abs(py - 0.5 * rows), 0.06 * cols - abs(px - 0.5 * cols)))
    stripe_patch = _soft_inside(
        np.minimum(np.minimum(py - 0.84 * rows, 0.95 * rows - py), np.minimum(px - 0.1 * cols, 0.9 * cols - px))
    )
    period = 16 - 12 * np.clip((x - 0.1) / 0.8, 0, 1)  # 16 px at the left end, 4 px at the right end
    stripes = 0.5 + 0.35 * np.sin(2 * np.pi * np.cumsum(1 / period, axis=1))
    channels = []
    for c in range(3):
        img = background.copy()
        for (cy, cx, ry, rx), rgb in ellipses:
            radius = np.sqrt(((py - cy * rows) / (ry * rows)) ** 2 + ((px - cx * cols) / (rx * cols)) ** 2)
            inside = _soft_inside((1 - radius) * min(ry * rows, rx * cols))
            img = (1 - inside) * img + inside * rgb[c]
        img = (1 - square) * img + square * (0.95 - 0.2 * c)
        img = (1 - stripe_patch) * img + stripe_patch * stripes
        channels.append(img)
    rgb = np.clip(np.stack(channels, axis=-1), 0.0, 1.0)
    return rgb if color else rgb @ np.array(LUMA_WEIGHTS)


def load_image(downscale: int, *, color: bool = False) -> tuple[np.ndarray, str]:
    """The demos' test image, shrunk by ``downscale``, and a description of where it came from.

    Returns Grace Hopper's portrait (matplotlib's ``grace_hopper.jpg``, 600 x 512) as floats
    in [0, 1], grayscale by the BT.601 luma ``0.299 R + 0.587 G + 0.114 B`` unless ``color``;
    without matplotlib, :func:`synthetic_image` drawn at the shrunk size.

    Parameters
    ----------
    downscale : int
        Block-average factor (:func:`block_average`): 2 gives 300 x 256.
    color : bool
        RGB ``(H, W, 3)`` instead of grayscale ``(H, W)``.
    """
    pixels = _read_photograph()
    if pixels is None:
        # the shape block_average gives (without averaging uninitialised memory to learn it)
        shape = block_average(np.zeros((FULL_SHAPE[0], FULL_SHAPE[1], 0)), downscale).shape[:2]
        source = "a synthetic test image (matplotlib, whose sample photograph the demos use, is not installed)"
        return synthetic_image(shape, color=color), source
    image = pixels if color else pixels @ np.array(LUMA_WEIGHTS)
    return block_average(image, downscale), f"Grace Hopper's portrait ({PHOTOGRAPH}, matplotlib's sample data)"


def gaussian_kernel(size: int, sigma: float) -> np.ndarray:
    """A ``size x size`` Gaussian blur kernel that sums to 1.

    ``k[i, j] = exp(-((i - c)^2 + (j - c)^2) / (2 sigma^2)) / Z`` with ``c = (size - 1) / 2``.
    """
    if not is_integer(size) or size < 1:
        raise ValueError(f"size must be a positive int; got {size!r}")
    if not sigma > 0:
        raise ValueError(f"sigma must be positive; got {sigma!r}")
    r = np.arange(size) - (size - 1) / 2
    k = np.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / (2 * sigma**2))
    return k / k.sum()


def motion_blur_kernel(length: int) -> np.ndarray:
    """A ``length x length`` diagonal streak that sums to 1: a camera moving diagonally.

    ``k[i, j] = 1/length`` if ``i == j``, else 0.
    """
    if not is_integer(length) or length < 1:
        raise ValueError(f"length must be a positive int; got {length!r}")
    return np.eye(length) / length


def psnr(estimate: np.ndarray, reference: np.ndarray, peak: float = 1.0) -> float:
    """Peak signal-to-noise ratio in dB: ``10 log10(peak^2 / mean((estimate - reference)^2))``.

    Higher is better; ``inf`` for identical images.

    Raises
    ------
    ValueError
        If the shapes differ.
    """
    estimate, reference = np.asarray(estimate, float), np.asarray(reference, float)
    if estimate.shape != reference.shape:
        raise ValueError(f"estimate has shape {estimate.shape} but reference has shape {reference.shape}")
    mse = float(np.mean((estimate - reference) ** 2))
    return float("inf") if mse == 0 else float(10 * np.log10(peak**2 / mse))


def mean_abs_gradient(image: np.ndarray) -> float:
    """Sharpness as the mean size of neighbouring differences:
    ``mean |x[i+1, j] - x[i, j]| + mean |x[i, j+1] - x[i, j]|`` (over every channel).

    A blurred image has smaller differences than the sharp one it came from.
    """
    image = np.asarray(image, float)
    return float(np.mean(np.abs(np.diff(image, axis=0))) + np.mean(np.abs(np.diff(image, axis=1))))
