"""Exact conversion between torch.nn.Conv*d / ConvTranspose*d and linop's Convolution / ConvTranspose.

And torch's own path.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import linop
from linop.geometry import AxisGeometry, matching_high_padding, transposed_conv_size, transposed_output_padding
from linop.interop import from_torch
from linop.interop.torch_layers import TorchCannotExpress, torch_map
from tests.support.interop_support import one_torch_thread  # noqa: F401  (autouse fixture)

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths:UserWarning")
RNG = np.random.default_rng(5)
PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def channels_first(x: np.ndarray) -> torch.Tensor:
    """A channels-last sample as a batch of one channels-first tensor."""
    return torch.from_numpy(np.ascontiguousarray(np.moveaxis(x, -1, 0)[None]))


def torch_output(layer, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return np.moveaxis(layer(channels_first(x))[0].numpy(), 0, -1)


def random_input(shape, dtype=np.float64) -> np.ndarray:
    x = RNG.standard_normal(shape)
    if np.issubdtype(dtype, np.complexfloating):
        x = x + 1j * RNG.standard_normal(shape)
    return x.astype(dtype)


@st.composite
def layer_shapes(draw):
    """Spatial axes, groups, channels (multiples of the groups), kernel sizes and dilations of a random layer."""
    ndim = draw(st.integers(1, 3))
    groups = draw(st.integers(1, 2))
    channels = (groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2)))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(ndim))
    return ndim, groups, channels, kernel, dilation


def axis_values(draw, ndim: int, low: int, high: int) -> tuple[int, ...]:
    return tuple(draw(st.integers(low, high)) for _ in range(ndim))


@st.composite
def conv_layers(draw):
    """A random torch ConvNd (1-3 spatial axes, every padding mode, groups, dilation, stride) and a spatial size."""
    ndim, groups, (c_in, c_out), kernel, dilation = draw(layer_shapes())
    mode = draw(st.sampled_from(PADDING_MODES))
    if draw(st.booleans()):
        stride, padding = (1,) * ndim, draw(st.sampled_from(["same", "valid"]))
    else:
        stride, padding = axis_values(draw, ndim, 1, 3), axis_values(draw, ndim, 0, 2)
    size = axis_values(draw, ndim, 3, 7 if ndim < 3 else 5)
    dtype = draw(st.sampled_from([torch.float64, torch.complex128]))
    layer = getattr(torch.nn, f"Conv{ndim}d")(
        c_in,
        c_out,
        kernel,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        padding_mode=mode,
        bias=False,
        dtype=dtype,
    )
    return layer, size


@st.composite
def conv_transpose_layers(draw):
    """A random torch ConvTransposeNd with any output_padding torch accepts, and an input size."""
    ndim, groups, (c_in, c_out), kernel, dilation = draw(layer_shapes())
    stride, padding = axis_values(draw, ndim, 1, 3), axis_values(draw, ndim, 0, 2)
    output_padding = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
    size = axis_values(draw, ndim, 2, 5 if ndim < 3 else 4)
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
        dtype=torch.float64,
    )
    return layer, size


# -- Conv*d ---------------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(conv_layers())
def test_random_torch_conv_converts_to_linop_and_back_with_equal_outputs(layer_and_size):
    layer, size = layer_and_size
    x = random_input(size + (layer.in_channels,), np.dtype(str(layer.weight.dtype).rpartition(".")[2]))
    try:
        expected = torch_output(layer, x)
    except RuntimeError:
        assume(False)  # a configuration torch itself refuses (pad wider than the input, empty output)
    A = linop.Convolution.from_torch(layer, size)
    assert A.dtype == np.dtype(str(layer.weight.dtype).rpartition(".")[2])
    np.testing.assert_allclose(A.apply(x), expected, rtol=1e-12, atol=1e-12)
    back = A.to_torch()
    assert type(back) is type(layer) and back.padding_mode == layer.padding_mode
    assert (back.stride, back.dilation, back.groups) == (layer.stride, layer.dilation, layer.groups)
    assert torch.equal(back.weight, layer.weight)
    np.testing.assert_allclose(torch_output(back, x), expected, rtol=1e-12, atol=1e-12)


@settings(max_examples=15, deadline=None)
@given(conv_layers())
def test_linop_adjoint_of_a_converted_layer_is_torch_autograd(layer_and_size):
    """Two independent routes to A^H: linop's transposed convolution and autograd's VJP of the torch layer."""
    layer, size = layer_and_size
    dtype = np.dtype(str(layer.weight.dtype).rpartition(".")[2])
    try:
        autograd = from_torch(layer, (layer.in_channels,) + size)
    except ValueError:
        assume(False)  # a configuration torch refuses
    A = linop.Convolution.from_torch(layer, size)
    y = random_input(A.output_shape, dtype)
    expected = np.moveaxis(autograd.apply_adjoint(np.moveaxis(y, -1, 0)), 0, -1)
    np.testing.assert_allclose(A.apply_adjoint(y), expected, rtol=1e-12, atol=1e-12)


@settings(max_examples=15, deadline=None)
@given(ndim=st.integers(1, 3), flip=st.booleans(), single_channel=st.booleans(), float32=st.booleans())
def test_linop_convolution_converts_to_torch_with_equal_outputs(ndim, flip, single_channel, float32):
    size = (6,) * ndim
    dtype = np.float32 if float32 else np.float64
    kernel = RNG.standard_normal((3,) * ndim + (() if single_channel else (2, 3))).astype(dtype)
    A = linop.Convolution(
        kernel, size + (() if single_channel else (2,)), stride=2, padding=1, flip=flip, boundary="edge"
    )
    layer = A.to_torch()
    assert layer.weight.dtype == getattr(torch, np.dtype(dtype).name)
    x = random_input(A.input_shape, dtype)
    x_torch = x[..., None] if single_channel else x
    got = torch_output(layer, x_torch)
    expected = A.apply(x)[..., None] if single_channel else A.apply(x)
    np.testing.assert_allclose(got, expected, rtol=1e-5 if float32 else 1e-12, atol=1e-5 if float32 else 1e-12)


def test_torch_same_padding_converts_to_the_matching_asymmetric_pads():
    layer = torch.nn.Conv1d(1, 1, 4, padding="same", bias=False)
    A = linop.Convolution.from_torch(layer, 9)
    assert A.padding == ((1, 2),)
    assert A.to_torch().padding == "same"


def test_bias_is_refused_unless_ignored():
    layer = torch.nn.Conv2d(1, 2, 3)
    with pytest.raises(ValueError, match="has a bias.*ignore_bias=True"):
        linop.Convolution.from_torch(layer, (5, 5))
    A = linop.Convolution.from_torch(layer, (5, 5), ignore_bias=True)
    x = random_input((5, 5, 1), np.float32)
    expected = torch_output(layer, x) - layer.bias.detach().numpy()
    np.testing.assert_allclose(A.apply(x), expected, rtol=1e-5, atol=1e-5)


def test_input_size_must_be_the_spatial_sizes():
    with pytest.raises(
        ValueError, match=r"input_size must be 2 positive spatial sizes for a Conv2d .*; got \(5, 5, 1\)"
    ):
        linop.Convolution.from_torch(torch.nn.Conv2d(1, 1, 3, bias=False), (5, 5, 1))


def test_not_a_conv_layer_is_named():
    with pytest.raises(TypeError, match="layer must be a torch.nn.Conv1d / Conv2d / Conv3d; got Linear"):
        linop.Convolution.from_torch(torch.nn.Linear(2, 2), 4)


@pytest.mark.parametrize(
    ("keywords", "reason"),
    [
        (dict(padding=1, boundary="symmetric"), "no 'symmetric'"),
        (dict(padding=[(0, 2)]), "asymmetric and it is not PyTorch's 'same'"),
        (dict(padding="same", stride=2), "'same' exists at stride 1 only"),
        (dict(padding=9, boundary="wrap"), "wraps around more than once"),
    ],
    ids=["symmetric", "asymmetric", "same-with-stride", "circular-too-wide"],
)
def test_to_torch_names_what_torch_cannot_express(keywords, reason):
    A = linop.Convolution(np.ones((3, 1, 1)), (8, 1), **keywords)
    with pytest.raises(TorchCannotExpress, match=reason):
        A.to_torch()


# -- ConvTranspose*d ------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(conv_transpose_layers())
def test_random_torch_conv_transpose_converts_to_linop_and_back_with_equal_outputs(layer_and_size):
    layer, size = layer_and_size
    y = random_input(size + (layer.in_channels,))
    try:
        expected = torch_output(layer, y)
    except RuntimeError:
        assume(False)
    unreachable = [op >= p + s for op, p, s in zip(layer.output_padding, layer.padding, layer.stride)]
    if any(unreachable):  # trailing samples no input reaches (output_padding > padding + stride - 1, dilation > stride)
        assert not np.any(expected[tuple(slice(-1, None) if u else slice(None) for u in unreachable)])
        with pytest.raises(ValueError, match="samples are zeros no input reaches"):
            linop.ConvTranspose.from_torch(layer, size)
        return
    T = linop.ConvTranspose.from_torch(layer, size)
    assert T.input_shape == y.shape and T.output_shape == expected.shape
    np.testing.assert_allclose(T.apply(y), expected, rtol=1e-12, atol=1e-12)
    back = T.to_torch()
    assert back.output_padding == layer.output_padding and back.padding == layer.padding
    assert torch.equal(back.weight, layer.weight)
    np.testing.assert_allclose(torch_output(back, y), expected, rtol=1e-12, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 12),
    k=st.integers(1, 4),
    stride=st.integers(1, 4),
    dilation=st.integers(1, 3),
    low=st.integers(0, 3),
    high=st.integers(0, 3),
)
def test_linop_conv_transpose_to_torch_whenever_the_output_padding_is_legal(n, k, stride, dilation, low, high):
    axis = AxisGeometry(n, k, stride, dilation, low, high)
    assume(axis.output_size >= 1)
    T = linop.ConvTranspose(
        RNG.standard_normal((k, 2, 3)), (n, 2), stride=stride, dilation=dilation, padding=[(low, high)]
    )
    if 0 <= transposed_output_padding(axis) < max(stride, dilation):
        y = random_input(T.input_shape)
        np.testing.assert_allclose(torch_output(T.to_torch(), y), T.apply(y), rtol=1e-12, atol=1e-12)
    else:
        with pytest.raises(TorchCannotExpress, match="output_padding"):
            T.to_torch()


def test_conv_transpose_output_padding_beyond_the_reach_is_refused():
    layer = torch.nn.ConvTranspose1d(1, 1, 1, stride=2, dilation=4, padding=0, output_padding=3, bias=False)
    with pytest.raises(ValueError, match="output_padding=3 on axis 0 exceeds padding \\+ stride - 1 = 1"):
        linop.ConvTranspose.from_torch(layer, 4)


def test_conv_transpose_with_a_padding_boundary_cannot_go_to_torch():
    T = linop.ConvTranspose(np.ones(3), (8,), padding=1, boundary="reflect")
    with pytest.raises(TorchCannotExpress, match="zero padding only"):
        T.to_torch()


def test_geometry_transposed_size_inverts_the_convolution_size():
    for m, k, s, d, p, op in [(5, 3, 2, 1, 1, 1), (4, 2, 3, 2, 0, 2), (1, 1, 1, 1, 0, 0), (7, 4, 1, 3, 2, 0)]:
        n = transposed_conv_size(m, k, s, d, p, op)
        high = matching_high_padding(n, k, s, d, p, m)
        axis = AxisGeometry(n, k, s, d, p, high)
        assert axis.output_size == m and transposed_output_padding(axis) == op


# -- torch's own functions (the GPU path), run here on the CPU -----------------------------------
@settings(max_examples=25, deadline=None)
@given(
    boundary=st.sampled_from(["constant", "reflect", "wrap", "edge"]),
    ndim=st.integers(1, 3),
    stride=st.integers(1, 2),
    dilation=st.integers(1, 2),
    complex_kernel=st.booleans(),
    transpose=st.booleans(),
    single_channel=st.booleans(),
)
def test_torch_map_agrees_with_linop_forward_and_adjoint(
    boundary, ndim, stride, dilation, complex_kernel, transpose, single_channel
):
    dtype = np.complex128 if complex_kernel else np.float64
    channels = () if single_channel else (2, 2)
    kernel = random_input((2,) * ndim + channels, dtype)
    shape = (5,) * ndim + (() if single_channel else (2,))
    keywords = dict(stride=stride, dilation=dilation, padding=[(1, 0)] * ndim, boundary=boundary)
    op = linop.ConvTranspose(kernel, shape, **keywords) if transpose else linop.Convolution(kernel, shape, **keywords)
    for adjoint, shape_in in ((False, op.input_shape), (True, op.output_shape)):
        x = random_input((2,) + shape_in, dtype)
        got = torch_map(op, adjoint=adjoint)(torch.from_numpy(x))
        expected = op.apply_adjoint(x) if adjoint else op.apply(x)
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12, atol=1e-12)


def test_torch_map_declines_what_torch_lacks():
    assert torch_map(linop.Convolution(np.ones(3), (6,), padding=1, boundary="symmetric")) is None
    assert torch_map(linop.Identity((4,))) is None


@pytest.mark.parametrize("dtype", [torch.int64, torch.float32, torch.float64, torch.complex64])
def test_torch_map_returns_the_dtype_of_the_numpy_path(dtype):
    op = linop.Convolution(np.array([1.0, 2.0j, 1.0]), (5,), padding=1, boundary="wrap")
    t = torch.arange(5).to(dtype)
    assert torch_map(op)(t).dtype == op.apply(t).dtype
