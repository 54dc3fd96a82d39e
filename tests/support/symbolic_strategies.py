"""Hypothesis strategies for the symbolic tests: small valid convolution configurations with every option."""

from __future__ import annotations

from hypothesis import strategies as st

from linop.geometry import max_pad_width, resolve_padding

BOUNDARIES = ["constant", "wrap", "reflect", "symmetric", "edge", "zeros", "circular", "replicate"]


@st.composite
def small_configs(draw, max_ndim: int = 2):
    """``(kernel_shape, input_shape, keywords, seed)``: 1-2 spatial axes, sizes small enough for
    exact work, every keyword of Convolution drawn (stride, dilation, padding in each form,
    groups with channels, boundary including PyTorch's names, flip)."""
    ndim = draw(st.integers(1, max_ndim))
    n = [draw(st.integers(1, 7)) for _ in range(ndim)]
    k = [draw(st.integers(1, 3)) for _ in range(ndim)]
    stride = [draw(st.integers(1, 3)) for _ in range(ndim)]
    dilation = [draw(st.integers(1, 2)) for _ in range(ndim)]
    n = [max(v, d * (kk - 1) + 1) for v, d, kk in zip(n, dilation, k)]
    kind = draw(st.sampled_from(["valid", "same", "full", "int", "pairs"]))
    if kind == "int":
        padding = draw(st.integers(0, 2))
    elif kind == "pairs":
        padding = [(draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in range(ndim)]
    else:
        padding = kind
    boundary = draw(st.sampled_from(BOUNDARIES))
    pads = resolve_padding(padding, n, k, stride, dilation)
    canonical = {"zeros": "constant", "circular": "wrap", "replicate": "edge"}.get(boundary, boundary)
    for a in range(ndim):
        limit = max_pad_width(n[a], canonical)
        if limit is not None and max(pads[a]) > limit:
            boundary = "constant"
    channels = draw(st.booleans())
    groups, kernel_shape, input_shape = 1, tuple(k), tuple(n)
    if channels:
        groups = draw(st.integers(1, 2))
        c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
        kernel_shape, input_shape = tuple(k) + (c_in // groups, c_out), tuple(n) + (c_in,)
    keywords = dict(
        stride=stride, dilation=dilation, padding=padding, groups=groups, boundary=boundary, flip=draw(st.booleans())
    )
    return kernel_shape, input_shape, keywords, draw(st.integers(0, 2**31 - 1))
