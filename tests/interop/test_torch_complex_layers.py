"""Complex layers convert exactly both ways.

Torch's ConvTranspose*d is the transpose of conv*d, linop's ConvTranspose its adjoint.

``torch.nn.ConvTransposeNd`` with weight ``W`` computes ``conv(W)^T`` (no conjugate);
``linop.ConvTranspose(K)`` is ``Convolution(K)^H``. So a layer with weight ``W`` is the
linop operator of the conjugated kernel, in both directions. A round trip
(``from_torch`` then ``to_torch``) cancels a missing conjugate, so every test here
compares one direction at a time with torch's own numbers: the layer's forward, and
autograd's vector-Jacobian product (for ``y = A x`` PyTorch's input gradient with
``grad_output`` g is ``A^H g``: its complex gradients are conjugate Wirtinger
derivatives).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import linop
from linop.geometry import AxisGeometry, transposed_output_padding
from tests.support.interop_support import one_torch_thread  # noqa: F401  (autouse fixture)

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths:UserWarning")
COMPLEX = (torch.complex64, torch.complex128)
PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
LINOP_BOUNDARY = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def numpy_dtype(dtype: torch.dtype) -> np.dtype:
    return np.dtype(str(dtype).rpartition(".")[2])


def random_array(rng: np.random.Generator, shape, dtype: np.dtype) -> np.ndarray:
    a = rng.standard_normal(shape)
    if dtype.kind == "c":
        a = a + 1j * rng.standard_normal(shape)
    return a.astype(dtype)


def assert_close(got: np.ndarray, expected: np.ndarray, dtype: np.dtype) -> None:
    """Equal up to rounding in ``dtype``, relative to the largest entry (complex64 rounds at 1e-7)."""
    scale = max(float(np.max(np.abs(expected), initial=0.0)), 1.0)
    tolerance = 1e-11 if dtype in (np.float64, np.complex128) else 2e-5
    np.testing.assert_allclose(got, expected, rtol=tolerance, atol=tolerance * scale)


def to_channels_first(a: np.ndarray) -> torch.Tensor:
    """A channels-last batch ``(B, *spatial, C)`` as a channels-first tensor ``(B, C, *spatial)``."""
    return torch.from_numpy(np.ascontiguousarray(np.moveaxis(a, -1, 1)))


def to_channels_last(t: torch.Tensor) -> np.ndarray:
    return np.moveaxis(t.detach().resolve_conj().numpy(), 1, -1)


def layer_forward(layer, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return to_channels_last(layer(to_channels_first(x)))


def layer_vjp(layer, x: np.ndarray, g: np.ndarray) -> np.ndarray:
    """PyTorch's input gradient of ``y = layer(x)`` for ``grad_output`` g: ``layer^H g``."""
    t = to_channels_first(x).requires_grad_(True)
    (grad,) = torch.autograd.grad(layer(t), t, to_channels_first(g))
    return to_channels_last(grad)


def randomize_weight(layer, seed: int) -> None:
    """Complex (or real) weights with nonzero real and imaginary parts, independent of torch's default init."""
    with torch.no_grad():
        layer.weight.copy_(
            torch.from_numpy(
                random_array(np.random.default_rng(seed), tuple(layer.weight.shape), numpy_dtype(layer.weight.dtype))
            )
        )


# -- the example, both directions --------------------------------------------------------
def test_complex_conv_transpose_layer_converts_to_the_same_numbers():
    layer = torch.nn.ConvTranspose1d(1, 1, 1, bias=False, dtype=torch.complex128)
    with torch.no_grad():
        layer.weight.fill_(1 + 1j)
    assert layer(torch.ones(1, 1, 1, dtype=torch.complex128)).item() == 1 + 1j
    T = linop.ConvTranspose.from_torch(layer, 1)
    assert T.apply(np.ones((1, 1), complex)).item() == 1 + 1j


def test_complex_linop_conv_transpose_converts_to_a_layer_with_the_same_numbers():
    T = linop.ConvTranspose(np.array([1 + 1j]), (1,))  # Convolution([1 + 1j]).H: multiplies by 1 - 1j
    assert T.apply(np.ones(1, complex)).item() == 1 - 1j
    layer = T.to_torch()
    assert layer(torch.ones(1, 1, 1, dtype=torch.complex128)).item() == 1 - 1j


def test_conv_transpose_layer_weight_is_the_conjugated_kernel():
    kernel = np.array([1 + 2j, -0.5j, 0.25 + 0j])
    layer = linop.ConvTranspose(kernel, (6,)).to_torch()
    np.testing.assert_array_equal(layer.weight.detach().numpy()[0, 0], kernel.conj())
    back = linop.ConvTranspose.from_torch(layer, 4)
    np.testing.assert_array_equal(back.kernel[:, 0, 0], kernel)  # from_torch gives channels: (k, 1, 1)


# -- random torch layers -> linop (from_torch) ---------------------------------------------------
@st.composite
def layer_shapes(draw):
    """Spatial axes, groups, channels (multiples of the groups), kernel sizes and dilations of a random layer."""
    ndim = draw(st.integers(1, 3))
    groups = draw(st.integers(1, 2))
    channels = (groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2)))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(ndim))
    return ndim, groups, channels, kernel, dilation


def per_axis(draw, ndim: int, low: int, high: int) -> tuple[int, ...]:
    return tuple(draw(st.integers(low, high)) for _ in range(ndim))


@st.composite
def torch_conv_layers(draw):
    """A random complex torch ConvNd (every padding_mode, "same"/"valid"/int padding, stride, dilation, groups)."""
    ndim, groups, (c_in, c_out), kernel, dilation = draw(layer_shapes())
    if draw(st.booleans()):
        stride, padding = (1,) * ndim, draw(st.sampled_from(["same", "valid"]))
    else:
        stride, padding = per_axis(draw, ndim, 1, 3), per_axis(draw, ndim, 0, 2)
    layer = getattr(torch.nn, f"Conv{ndim}d")(
        c_in,
        c_out,
        kernel,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        padding_mode=draw(st.sampled_from(PADDING_MODES)),
        bias=False,
        dtype=draw(st.sampled_from(COMPLEX)),
    )
    randomize_weight(layer, draw(st.integers(0, 2**16)))
    return layer, per_axis(draw, ndim, 3, 7 if ndim < 3 else 5)


@st.composite
def torch_conv_transpose_layers(draw):
    """A random complex torch ConvTransposeNd with any output_padding linop can express."""
    ndim, groups, (c_in, c_out), kernel, dilation = draw(layer_shapes())
    stride, padding = per_axis(draw, ndim, 1, 3), per_axis(draw, ndim, 0, 2)
    # torch allows output_padding < max(stride, dilation); linop needs the last samples reachable (<= p + s - 1).
    output_padding = tuple(
        draw(st.integers(0, min(max(s, d) - 1, p + s - 1))) for s, d, p in zip(stride, dilation, padding)
    )
    layer = getattr(torch.nn, f"ConvTranspose{ndim}d")(
        c_in,
        c_out,
        kernel,
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        dilation=dilation,
        groups=groups,
        bias=False,
        dtype=draw(st.sampled_from(COMPLEX)),
    )
    randomize_weight(layer, draw(st.integers(0, 2**16)))
    return layer, per_axis(draw, ndim, 2, 5 if ndim < 3 else 4)


@settings(max_examples=30, deadline=None)
@given(torch_layer=st.one_of(torch_conv_layers(), torch_conv_transpose_layers()), seed=st.integers(0, 2**16))
def test_random_complex_torch_layer_from_torch_computes_the_layer_and_its_autograd(torch_layer, seed):
    layer, size = torch_layer
    dtype = numpy_dtype(layer.weight.dtype)
    rng = np.random.default_rng(seed)
    x = random_array(rng, (2,) + size + (layer.in_channels,), dtype)
    try:
        expected = layer_forward(layer, x)
    except RuntimeError:
        assume(False)  # a configuration torch itself refuses (pad wider than the input, empty output)
    assume(expected.size > 0)  # torch returns an empty output where linop refuses a size-0 axis by name
    kind = linop.ConvTranspose if "Transpose" in type(layer).__name__ else linop.Convolution
    A = kind.from_torch(layer, size)
    assert A.dtype == dtype
    assert_close(A.apply(x), expected, dtype)
    g = random_array(rng, expected.shape, dtype)
    assert_close(A.apply_adjoint(g), layer_vjp(layer, x, g), dtype)


# -- random linop operators -> torch (to_torch) --------------------------------------------------
@st.composite
def linop_convolutions(draw):
    """A random complex linop Convolution that PyTorch can express (symmetric pads, or "same" at stride 1)."""
    ndim, groups, (c_in, c_out), kernel, dilation = draw(layer_shapes())
    size = per_axis(draw, ndim, 3, 7 if ndim < 3 else 5)
    boundary = LINOP_BOUNDARY[draw(st.sampled_from(PADDING_MODES))]
    widest = min(size) - 1 if boundary == "reflect" else min(size)  # torch: reflect < n, circular <= n
    if draw(st.booleans()):
        stride, padding = (1,) * ndim, "same"
    else:
        stride, padding = per_axis(draw, ndim, 1, 3), draw(st.integers(0, min(2, widest)))
    dtype = numpy_dtype(draw(st.sampled_from(COMPLEX)))
    kernel_array = random_array(
        np.random.default_rng(draw(st.integers(0, 2**16))), kernel + (c_in // groups, c_out), dtype
    )
    flip = draw(st.booleans())
    geometry = dict(stride=stride, padding=padding, dilation=dilation, groups=groups, boundary=boundary, flip=flip)
    try:
        return linop.Convolution(kernel_array, size + (c_in,), **geometry)
    except ValueError:
        assume(False)  # no output (kernel span above the padded size), or "same" wider than reflect allows
        raise


@st.composite
def linop_conv_transposes(draw):
    """A random complex linop ConvTranspose whose output_padding PyTorch accepts."""
    ndim, groups, (c_out, c_in), kernel, dilation = draw(layer_shapes())
    size = per_axis(draw, ndim, 2, 7 if ndim < 3 else 5)
    stride = per_axis(draw, ndim, 1, 3)
    pads = [(draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in range(ndim)]
    axes = [AxisGeometry(n, k, s, d, lo, hi) for n, k, s, d, (lo, hi) in zip(size, kernel, stride, dilation, pads)]
    assume(all(ax.output_size >= 1 and 0 <= transposed_output_padding(ax) < max(ax.stride, ax.dilation) for ax in axes))
    dtype = numpy_dtype(draw(st.sampled_from(COMPLEX)))
    kernel_array = random_array(
        np.random.default_rng(draw(st.integers(0, 2**16))), kernel + (c_out // groups, c_in), dtype
    )
    return linop.ConvTranspose(
        kernel_array,
        size + (c_out,),
        stride=stride,
        padding=pads,
        dilation=dilation,
        groups=groups,
        flip=draw(st.booleans()),
    )


@settings(max_examples=30, deadline=None)
@given(op=st.one_of(linop_convolutions(), linop_conv_transposes()), seed=st.integers(0, 2**16))
def test_random_complex_linop_operator_to_torch_computes_the_operator_and_its_adjoint(op, seed):
    layer = op.to_torch()
    assert layer.weight.dtype == getattr(torch, op.dtype.name)
    rng = np.random.default_rng(seed)
    x = random_array(rng, (2,) + op.input_shape, op.dtype)
    assert_close(layer_forward(layer, x), op.apply(x), op.dtype)
    g = random_array(rng, (2,) + op.output_shape, op.dtype)
    assert_close(layer_vjp(layer, x, g), op.apply_adjoint(g), op.dtype)
