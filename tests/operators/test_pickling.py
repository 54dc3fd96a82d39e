"""Every operator linop builds pickles, deep-copies and comes back equal, in this process and in others."""

from __future__ import annotations

import copy
import multiprocessing
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import linop
from linop.immutable import is_immutable
from linop.testing.strategies import ConvConfig, conv_configs
from tests.support.reliability_operators import KINDS, build, random_input

SMALL = dict(max_size=6, max_channels=3, ndims=(1, 2))


def assert_same_operator(a: object, b: object, path: str = "op") -> None:
    """``a`` and ``b`` are the same operator: same class and equal attributes, recursively
    (arrays: same dtype, shape and bits; operators: by their own attributes)."""
    assert type(a) is type(b), f"{path}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, f"{path}: {a.dtype}{a.shape} != {b.dtype}{b.shape}"
        assert a.tobytes() == b.tobytes(), f"{path}: values differ"
    elif isinstance(a, linop.ShapedOperator):
        assert a.__dict__.keys() == b.__dict__.keys(), f"{path}: attributes differ"
        for name in a.__dict__:
            assert_same_operator(a.__dict__[name], b.__dict__[name], f"{path}.{name}")
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


def results(op: linop.ShapedOperator, seed: int = 1) -> tuple[bytes, bytes]:
    """The bits of ``op``'s forward and adjoint on a fixed random batch."""
    x = random_input(op, seed, batch=(2,))
    y = random_input(op, seed + 1, adjoint=True, batch=(2,))
    return op.apply(x).tobytes(), op.apply_adjoint(y).tobytes()


@settings(max_examples=80, deadline=None)
@given(config=conv_configs(**SMALL), kind=st.sampled_from(KINDS), deep=st.booleans())
def test_every_operator_round_trips_to_an_equal_operator_with_identical_results(config, kind, deep):
    op = build(kind, config)
    twin = copy.deepcopy(op) if deep else pickle.loads(pickle.dumps(op))
    assert_same_operator(op, twin)
    assert results(twin) == results(op)


def test_the_backend_is_held_by_name():
    A = linop.Convolution(np.ones(3), 8, method="fft")
    assert not any(type(v).__name__ == "module" for v in A.__dict__.values())
    assert pickle.loads(pickle.dumps(A)).backend == "fft"


def test_an_unpickled_kernel_is_immutable_again():
    A = pickle.loads(pickle.dumps(linop.Convolution(np.arange(3.0), 8)))
    assert is_immutable(A.kernel) and is_immutable(A._weights)
    with pytest.raises(ValueError):
        A.kernel.setflags(write=True)


def test_arrays_shared_by_two_attributes_stay_shared():
    A = copy.deepcopy(linop.Convolution(np.arange(3.0), 8))
    assert A._weights_conj is A._weights


def _shipped_operators() -> list[linop.ShapedOperator]:
    """One operator of every kind and method, with the methods of the convolution family."""
    rng = np.random.default_rng(3)
    ops = []
    for method in ("gemm", "fft", "direct"):
        config = ConvConfig(
            kernel=rng.standard_normal((3, 2, 2, 4)),
            input_shape=(6, 5, 4),
            stride=(1, 2),
            padding="same",
            dilation=(2, 1),
            groups=2,
            boundary="reflect",
            method=method,
        )
        ops += [build(kind, config) for kind in KINDS]
    kernel = rng.standard_normal(4) + 1j * rng.standard_normal(4)
    ops.append(build("normal", ConvConfig(kernel=kernel, input_shape=(9,), padding="full", method="fft")))
    return ops


@pytest.mark.parametrize("start_method", ["spawn", "fork"])
def test_operators_compute_identical_results_in_another_process(start_method):
    ops = _shipped_operators()
    inputs = [random_input(op, 7, batch=(2,)) for op in ops]
    context = multiprocessing.get_context(start_method)
    with context.Pool(1) as pool:
        remote = pool.starmap(linop.ShapedOperator.apply, zip(ops, inputs))
    for op, x, there in zip(ops, inputs, remote):
        assert there.tobytes() == op.apply(x).tobytes(), repr(op)
