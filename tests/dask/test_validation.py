"""The Dask entry points check what they receive before any graph is built, naming the caller's parameter.

DaskKernelConvolution refuses a non-finite, empty or ill-fitting image when it is built
(not at ``compute``, in the words of a block's parameter); DaskBackedOperator checks its
chunks, batch chunks and scheduler (every form of chunks it documents is accepted and
resolved as Dask resolves it; anything else is refused by name); apply, matvec, dot...
refuse a non-operator or a non-Dask operand with a TypeError, not an AttributeError.
"""

from __future__ import annotations

import dask
import dask.array as da
import numpy as np
import pytest
from dask.array.core import normalize_chunks
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import linop
from linop.dask import DaskBackedOperator, DaskKernelConvolution, apply, apply_adjoint, dot, matvec, rmatvec
from tests.support.dask_strategies import axis_chunks

FEW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(autouse=True)
def synchronous_scheduler():
    with dask.config.set(scheduler="sync"):
        yield


# -- DaskKernelConvolution ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad", [np.nan, np.inf, -np.inf, complex(0, np.nan)], ids=["nan", "inf", "-inf", "complex nan"]
)
def test_a_non_finite_image_is_refused_when_the_operator_is_built_naming_image(bad):
    image = np.ones((8, 6), dtype=complex if isinstance(bad, complex) else float)
    image[5, 4] = bad
    with pytest.raises(ValueError, match=r"^image must be finite; it contains NaN or inf$"):
        DaskKernelConvolution(da.from_array(image, chunks=3), (3, 3))


def test_the_finiteness_check_is_the_same_as_the_in_memory_operators():
    image = np.ones((8, 6))
    image[0, 0] = np.nan
    with pytest.raises(ValueError, match="must be finite; it contains NaN or inf"):
        linop.KernelConvolution(image, (3, 3))


@pytest.mark.parametrize(
    "image, kernel_shape, message",
    [
        (da.from_array(np.float64(1.0)), (1,), r"^image must have at least one axis; got a 0-d array$"),
        (da.zeros((0, 5)), (1, 1), r"^image must not be empty; got shape \(0, 5\)$"),
        (da.ones((5, 5)), (3,), r"^kernel_shape of shape \(3,\) does not fit image \(5, 5\)"),
        (da.ones((5,)), (3, 1, 1), r"^kernel_shape of shape \(3, 1, 1\) does not fit image \(5,\)"),
        (da.ones((5, 5)), (3, 3, 3, 3), r"^kernel_shape of shape \(3, 3, 3, 3\) does not fit image \(5, 5\)"),
    ],
)
def test_an_image_that_cannot_be_convolved_is_refused_naming_image(image, kernel_shape, message):
    with pytest.raises(ValueError, match=message):
        DaskKernelConvolution(image, kernel_shape)


@pytest.mark.parametrize("dtype", [bool, np.int32])
def test_boolean_and_integer_images_compute_in_float64_as_in_memory(dtype):
    image = (np.arange(30).reshape(6, 5) % 3 == 0).astype(dtype)
    K = DaskKernelConvolution(da.from_array(image, chunks=2), (2, 2), padding=1)
    reference = linop.KernelConvolution(image, (2, 2), padding=1)
    w = np.arange(4.0).reshape(2, 2)
    assert K.dtype == reference.dtype == np.float64
    np.testing.assert_allclose(K.apply(w), reference.apply(w))


# -- DaskBackedOperator: chunks ----------------------------------------------------------------

SHAPES = st.lists(st.integers(1, 7), min_size=1, max_size=3).map(tuple)


def axis_entry(n):
    return st.one_of(
        st.integers(1, 9),
        st.just(-1),
        st.just("auto"),
        axis_chunks(n),
        axis_chunks(n).map(list),
        st.integers(1, 9).map(np.int64),
    )


@st.composite
def chunk_specs(draw, shape):
    """Every documented form of a chunks argument for an array of ``shape``."""
    form = draw(st.sampled_from(["one", "tuple", "list", "dict"]))
    if form == "one":
        return draw(st.one_of(st.integers(1, 9), st.just(-1), st.just("auto")))
    entries = [draw(axis_entry(n)) for n in shape]
    if form == "dict":
        axes = draw(st.sets(st.integers(0, len(shape) - 1)))
        return {axis: entries[axis] for axis in sorted(axes)}
    return tuple(entries) if form == "tuple" else entries


@st.composite
def operators_and_specs(draw):
    shape = draw(SHAPES)
    A = linop.Convolution(np.ones((2,) * len(shape)), shape, padding="same", boundary="wrap")
    return A, draw(chunk_specs(A.input_shape)), draw(chunk_specs(A.output_shape))


@FEW
@given(operators_and_specs())
def test_every_documented_form_of_chunks_is_resolved_as_dask_resolves_it(case):
    A, input_chunks, output_chunks = case
    D = DaskBackedOperator(A, input_chunks, output_chunks)
    assert D.input_chunks == normalize_chunks(input_chunks, A.input_shape, dtype=A.dtype)
    assert D.output_chunks == normalize_chunks(output_chunks, A.output_shape, dtype=A.dtype)
    v, w = np.arange(A.shape[1], dtype=float), np.arange(A.shape[0], dtype=float)
    np.testing.assert_allclose(D.matvec(v), A.matvec(v))
    np.testing.assert_allclose(D.rmatvec(w), A.rmatvec(w))


#: One wrong entry for an axis of length 5, the error it gets, and the words the error uses.
WRONG_ENTRIES = [
    (0, ValueError, "must be a positive chunk size"),
    (-2, ValueError, "must be a positive chunk size"),
    (True, TypeError, "must be a positive chunk size"),
    (2.5, TypeError, "must be a positive chunk size"),
    (None, TypeError, "must be a positive chunk size"),
    ("big", ValueError, "must be a positive chunk size"),
    ((2, 2), ValueError, r"must add up to the axis length 5; got \(2, 2\) \(sum 4\)"),
    ((2, 0, 3), ValueError, "must be a positive chunk size"),
    ((2, -1, 4), ValueError, "must be a positive chunk size"),
    ((), ValueError, "must be a positive chunk size"),
]


@pytest.mark.parametrize("entry, error, words", WRONG_ENTRIES, ids=[repr(e[0]) for e in WRONG_ENTRIES])
@pytest.mark.parametrize("name", ["input_chunks", "output_chunks"])
def test_a_wrong_chunks_entry_is_refused_naming_the_parameter_and_the_axis(name, entry, error, words):
    A = linop.Identity((4, 5))
    with pytest.raises(error, match=rf"^{name}\[1\] {words}"):
        DaskBackedOperator(A, **{"input_chunks": 2, name: (2, entry)})


@pytest.mark.parametrize(
    "chunks, error, message",
    [
        ((2,), ValueError, r"^input_chunks must have one entry per axis of shape \(4, 5\) \(2\); got 1 in \(2,\)"),
        ((2, 2, 2), ValueError, r"^input_chunks must have one entry per axis"),
        (0, ValueError, r"^input_chunks must be a positive chunk size"),
        (2.0, TypeError, r"^input_chunks must be an int, 'auto', a sequence .* got float 2.0"),
        (None, TypeError, r"^input_chunks must be an int, 'auto', a sequence .* got NoneType None"),
        ({2: 1}, ValueError, r"^input_chunks names axis 2; the array has axes 0..1 \(shape \(4, 5\)\)"),
        ({0: (1, 1)}, ValueError, r"^input_chunks\[0\] must add up to the axis length 4"),
    ],
)
def test_wrong_chunks_are_refused_before_any_product(chunks, error, message):
    with pytest.raises(error, match=message):
        DaskBackedOperator(linop.Identity((4, 5)), chunks)


@pytest.mark.parametrize("value, error", [(0, ValueError), (-3, ValueError), (2.0, TypeError), (True, TypeError)])
def test_batch_chunks_must_be_a_positive_int_or_minus_one(value, error):
    with pytest.raises(error, match=rf"^batch_chunks must be a positive int or -1 \(one chunk\); got .*{value!r}"):
        DaskBackedOperator(linop.Identity(4), 2, batch_chunks=value)


def test_an_unknown_scheduler_is_refused_naming_the_ones_there_are():
    with pytest.raises(ValueError, match=r"^scheduler must be None, a Client or one of 'sync', .*; got 'bogus'"):
        DaskBackedOperator(linop.Identity(4), 2, scheduler="bogus")
    with pytest.raises(TypeError, match=r"^scheduler must be None, a Client or a scheduler name; got int 3"):
        DaskBackedOperator(linop.Identity(4), 2, scheduler=3)


@pytest.mark.parametrize("scheduler", ["sync", "threads", None, dask.get])
def test_the_schedulers_dask_knows_are_accepted(scheduler):
    D = DaskBackedOperator(linop.Identity(4), 2, scheduler=scheduler)
    np.testing.assert_allclose(D.matvec(np.arange(4.0)), np.arange(4.0))


def test_a_non_operator_is_refused_naming_op():
    with pytest.raises(TypeError, match=r"^op must be a ShapedOperator; got ndarray$"):
        DaskBackedOperator(np.eye(3), 1)


# -- apply, apply_adjoint, matvec, rmatvec, dot ------------------------------------------------

ENTRY_POINTS = {
    "apply": (apply, "x"),
    "apply_adjoint": (apply_adjoint, "y"),
    "matvec": (matvec, "x"),
    "rmatvec": (rmatvec, "y"),
    "dot": (dot, "x"),
}


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_an_entry_point_refuses_a_non_operator_naming_op(entry):
    function, _ = ENTRY_POINTS[entry]
    with pytest.raises(TypeError, match=r"^op must be a ShapedOperator; got str$"):
        function("A", da.ones(4, chunks=2))


@pytest.mark.parametrize("operand", [[1.0, 2.0, 3.0, 4.0], np.ones(4)], ids=["list", "ndarray"])
@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_an_entry_point_refuses_a_non_dask_operand_naming_it(entry, operand):
    function, name = ENTRY_POINTS[entry]
    with pytest.raises(TypeError, match=rf"^{name} must be a dask.array.Array; got {type(operand).__name__}$"):
        function(linop.Identity(4), operand)


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_an_entry_point_names_the_fix_for_unknown_chunk_sizes(entry):
    function, name = ENTRY_POINTS[entry]
    x = da.arange(8.0, chunks=3)
    x = x[x < 4]  # shape (nan,)
    with pytest.raises(
        ValueError, match=rf"^{name} has unknown chunk sizes .* call {name}.compute_chunk_sizes\(\) first"
    ):
        function(linop.Identity(4), x)
