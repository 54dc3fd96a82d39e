"""No cache returns a result for contents an array no longer has, however the array was made."""

from __future__ import annotations

import contextlib

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import linop
from linop.backends import cache
from linop.immutable import immutable, is_immutable


def _owned_read_only(values: np.ndarray) -> np.ndarray:
    a = values.copy()
    a.setflags(write=False)
    return a


def _read_only_view(values: np.ndarray) -> np.ndarray:
    base = np.concatenate([values, values])
    view = base[: len(values)]
    view.setflags(write=False)
    return view


def _over_bytearray(values: np.ndarray) -> np.ndarray:
    a = np.frombuffer(bytearray(values.tobytes()), dtype=values.dtype)
    a.setflags(write=False)
    return a


#: Ways a user's array can come about; each is changed in place afterwards (``_change``).
MAKERS = {"owned_read_only": _owned_read_only, "read_only_view": _read_only_view, "over_bytearray": _over_bytearray}


def _change(a: np.ndarray, values: np.ndarray) -> None:
    """Write ``values`` into ``a`` as a user could: make it (or its base) writeable, write, freeze again."""
    target = a if a.base is None or not isinstance(a.base, np.ndarray) else a.base
    if isinstance(target.base, bytearray):
        target.base[:] = values.tobytes()
        return
    target.setflags(write=True)
    target[: len(values)] = values
    target.setflags(write=False)


@settings(max_examples=30, deadline=None)
@given(
    maker=st.sampled_from(sorted(MAKERS)),
    method=st.sampled_from(["fft", "gemm", "direct", "auto"]),
    padding=st.sampled_from(["valid", "same", 2]),
    seed=st.integers(0, 2**16),
)
def test_a_changed_input_never_gets_the_old_result(maker, method, padding, seed):
    rng = np.random.default_rng(seed)
    A = linop.Convolution(rng.standard_normal(5), 24, padding=padding, method=method)
    first, second = rng.standard_normal(24), rng.standard_normal(24)
    x = MAKERS[maker](first)
    A.apply(x)
    _change(x, second)
    np.testing.assert_array_equal(x, second)
    np.testing.assert_array_equal(A.apply(x), A.apply(second.copy()))


@settings(max_examples=15, deadline=None)
@given(maker=st.sampled_from(sorted(MAKERS)), seed=st.integers(0, 2**16))
def test_a_changed_kernel_input_of_a_kernel_operator_never_gets_the_old_result(maker, seed):
    rng = np.random.default_rng(seed)
    K = linop.KernelConvolution(rng.standard_normal(24), 5, padding="same", method="fft")
    first, second = rng.standard_normal(24), rng.standard_normal(24)
    y = MAKERS[maker](first)
    K.apply_adjoint(y)
    _change(y, second)
    np.testing.assert_array_equal(K.apply_adjoint(y), K.apply_adjoint(second.copy()))


def test_the_issue_example_read_only_writeable_changed_read_only_again():
    A = linop.Convolution(np.ones(3), 16, method="fft")
    x = np.arange(16.0)
    x.setflags(write=False)
    A.apply(x)
    x.setflags(write=True)
    x[:] = 0
    x.setflags(write=False)
    np.testing.assert_array_equal(A.apply(x), np.zeros(14))


def test_only_immutable_arrays_are_cached():
    cache.clear()
    user = np.arange(8.0)
    user.setflags(write=False)
    cache.cached(user, "test", lambda: np.zeros(4))
    assert cache.nbytes() == 0
    private = immutable(user)
    cache.cached(private, "test", lambda: np.zeros(4))
    assert cache.nbytes() == 32
    cache.clear()


def test_a_kernel_operator_still_caches_its_fixed_image_spectrum():
    cache.clear()
    K = linop.KernelConvolution(np.random.default_rng(0).standard_normal((32, 32)), (9, 9), method="fft")
    K.apply_adjoint(np.ones(K.output_shape))
    held = cache.nbytes()
    K.apply_adjoint(np.ones(K.output_shape))
    assert held > 0 and cache.nbytes() == held
    cache.clear()


def test_an_operator_kernel_cannot_be_made_writeable():
    A = linop.Convolution(np.ones(3), 8)
    with contextlib.suppress(ValueError):
        A.kernel.setflags(write=True)
    assert not A.kernel.flags.writeable and is_immutable(A.kernel)
