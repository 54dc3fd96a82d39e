"""Subclasses on Dask arrays: every operator computes its own map, never its base class's.

A block structure (``block_structure()``) runs the numerics of the class that defines it.
A subclass that overrides a numeric hook (``_forward``, ``_backward``, ``_batched`` or a
helper they call, the class's ``_numeric_hooks``) computes another map, so it has no
structure and runs through its own hooks (the whole-array path); a subclass that only adds
a constructor or properties (``ConvTranspose`` is such an ``AdjointOperator``) still runs
block by block. Checked for every class with a structure, forward and adjoint, on random
chunkings, inside combinators, and through ``linop.verify`` on a ``DaskBackedOperator``.
"""

from __future__ import annotations

import dis
import inspect

import dask
import dask.array as da
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import linop
from linop.dask import DaskBackedOperator, DaskKernelConvolution
from linop.operators.blocking import Adjoint
from tests.support.dask_strategies import chunkings

FEW = settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
RNG = np.random.default_rng(11)
KERNEL = RNG.standard_normal((2, 3))
IMAGE = RNG.standard_normal((5, 6))


@pytest.fixture(autouse=True)
def synchronous_scheduler():
    with dask.config.set(scheduler="sync"):
        yield


def convolution(kernel=KERNEL, **keywords):
    return linop.Convolution(kernel, (5, 6), padding="same", boundary="reflect", **keywords)


#: For every class of the rule table (and ConvTranspose): an instance of ``cls`` (the
#: class itself or a subclass of it), small enough for dense matrices.
FACTORIES = {
    linop.Identity: lambda cls: cls((3, 4)),
    linop.Convolution: lambda cls: cls(KERNEL, (5, 6), stride=(1, 2), padding="same", boundary="reflect"),
    linop.KernelConvolution: lambda cls: cls(IMAGE, (2, 3), padding=1, boundary="wrap"),
    linop.Pad: lambda cls: cls((5, 6), ((1, 2), (0, 1)), "symmetric"),
    linop.Subsample: lambda cls: cls((5, 6), (2, 3), offset=(1, 0)),
    DaskKernelConvolution: lambda cls: cls(da.from_array(IMAGE, chunks=(2, 4)), (2, 3), padding=1),
    linop.AdjointOperator: lambda cls: cls(convolution()),
    linop.ConvTranspose: lambda cls: cls(KERNEL, (5, 6), stride=2, padding=1, boundary="edge"),
    linop.TransposeOperator: lambda cls: cls(convolution(KERNEL + 1j)),
    linop.Composition: lambda cls: cls(convolution(), linop.Pad((5, 6), 0)),
    linop.SumOperator: lambda cls: cls(convolution(), convolution(KERNEL[::-1])),
    linop.ScaledOperator: lambda cls: cls(convolution(), 2.5),
}
CLASSES = list(FACTORIES)
IDS = [cls.__name__ for cls in CLASSES]


def _linop_classes(base):
    for sub in base.__subclasses__():
        if sub.__module__.startswith("linop."):
            yield sub
            yield from _linop_classes(sub)


#: The classes that define a block structure of their own (each describes its numerics by
#: ``_numeric_hooks``; a subclass that overrides one loses the structure).
OWNERS = sorted(
    {cls for cls in _linop_classes(linop.ShapedOperator) if "block_structure" in vars(cls)},
    key=lambda cls: cls.__name__,
)


def blocked(op) -> bool:
    """Whether a chunked-array scheduler runs ``op`` block by block (else: its own numerics, whole)."""
    return op.block_structure() is not None


def owner_of(cls):
    """The class whose ``block_structure`` (and ``_numeric_hooks``) ``cls`` inherits."""
    return next(k for k in cls.__mro__ if "block_structure" in vars(k))


def test_every_class_with_a_block_structure_is_tested_here():
    assert set(OWNERS) <= set(FACTORIES), set(OWNERS) - set(FACTORIES)


def doubled_numerics(cls):
    """A subclass of ``cls`` whose forward and adjoint are twice its base's."""

    def _forward(self, x):
        return 2 * cls._forward(self, x)

    def _backward(self, y):
        return 2 * cls._backward(self, y)

    return type(f"Doubled{cls.__name__}", (cls,), {"_forward": _forward, "_backward": _backward})


def doubled_input(cls):
    """A subclass of ``cls`` whose ``_batched`` (the step before ``_forward`` / ``_backward``) doubles the operand."""

    def _batched(self, arr, shape, name):
        a, batch = cls._batched(self, arr, shape, name)
        return 2 * a, batch

    return type(f"Scaling{cls.__name__}", (cls,), {"_batched": _batched})


def renamed(cls):
    """A subclass of ``cls`` that adds a constructor and a property and no numerics."""

    def __init__(self, *args, **keywords):
        cls.__init__(self, *args, **keywords)
        self.note = "same map, another name"

    return type(f"Named{cls.__name__}", (cls,), {"__init__": __init__, "label": property(lambda self: self.note)})


def random_operand(rng, shape, dtype):
    a = rng.standard_normal(shape)
    if np.issubdtype(dtype, np.complexfloating):
        a = a + 1j * rng.standard_normal(shape)
    return a.astype(dtype)


def assert_same_map_on_dask(op, data):
    """``op``'s forward and adjoint on randomly chunked Dask arrays equal its own NumPy results."""
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16), label="seed"))
    x = random_operand(rng, (2,) + op.input_shape, op.dtype)
    y = random_operand(rng, (2,) + op.output_shape, op.dtype)
    x_chunks = (1,) + data.draw(chunkings(op.input_shape), label="input chunks")
    y_chunks = (2,) + data.draw(chunkings(op.output_shape), label="output chunks")
    forward, adjoint = op.apply(x), op.apply_adjoint(y)
    scale = max(1.0, float(np.abs(forward).max()), float(np.abs(adjoint).max()))
    np.testing.assert_allclose(
        op.apply(da.from_array(x, chunks=x_chunks)).compute(), forward, rtol=0, atol=1e-12 * scale, err_msg="forward"
    )
    np.testing.assert_allclose(
        op.apply_adjoint(da.from_array(y, chunks=y_chunks)).compute(),
        adjoint,
        rtol=0,
        atol=1e-12 * scale,
        err_msg="adjoint",
    )


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
@FEW
@given(data=st.data())
def test_a_subclass_with_its_own_forward_and_backward_computes_its_own_map_on_dask(cls, data):
    op = FACTORIES[cls](doubled_numerics(cls))
    np.testing.assert_allclose(op.to_dense(), 2 * FACTORIES[cls](cls).to_dense())  # it is another map
    assert not blocked(op)
    assert_same_map_on_dask(op, data)


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
@FEW
@given(data=st.data())
def test_a_subclass_with_its_own_batching_computes_its_own_map_on_dask(cls, data):
    op = FACTORIES[cls](doubled_input(cls))
    assert not blocked(op)
    assert_same_map_on_dask(op, data)


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
@FEW
@given(data=st.data())
def test_a_subclass_without_numerics_of_its_own_still_runs_blocked(cls, data):
    op = FACTORIES[cls](renamed(cls))
    assert blocked(op) and type(op.block_structure()) is type(FACTORIES[cls](cls).block_structure())
    assert_same_map_on_dask(op, data)


def test_conv_transpose_runs_on_the_adjoint_operators_structure():
    T = FACTORIES[linop.ConvTranspose](linop.ConvTranspose)
    assert isinstance(T.block_structure(), Adjoint) and T.block_structure().op is T.convolution


def hook_overrides(cls):
    """For each numeric hook of ``cls``'s structure: a subclass overriding that hook alone (same code)."""
    for hook in owner_of(cls)._numeric_hooks:
        inherited = inspect.getattr_static(cls, hook)
        if isinstance(inherited, property):
            override = property(inherited.fget)
        else:

            def override(self, *args, _inherited=inherited, **keywords):
                return _inherited(self, *args, **keywords)

        yield hook, type(f"Overriding{hook}", (cls,), {hook: override})


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_overriding_any_one_numeric_hook_takes_the_operator_off_the_blocked_rule(cls):
    for hook, subclass in hook_overrides(cls):
        op = FACTORIES[cls](subclass)
        assert not blocked(op), f"{cls.__name__} with its own {hook} still runs block by block"
        x = random_operand(np.random.default_rng(0), op.input_shape, op.dtype)
        np.testing.assert_allclose(op.apply(da.from_array(x, chunks=2)).compute(), op.apply(x), atol=1e-12)


def numeric_helpers(cls, name, seen=None):
    """The methods and properties of ``cls`` that ``cls.<name>`` calls on ``self``, recursively."""
    seen = set() if seen is None else seen
    attribute = inspect.getattr_static(cls, name)
    function = attribute.fget if isinstance(attribute, property) else attribute
    instructions = list(dis.get_instructions(function))
    for before, instruction in zip(instructions, instructions[1:]):
        if not (
            before.opname == "LOAD_FAST"
            and before.argval == "self"
            and instruction.opname in ("LOAD_ATTR", "LOAD_METHOD")
        ):
            continue
        helper = instruction.argval
        found = inspect.getattr_static(cls, helper, None)
        defined_by_linop = any(helper in vars(k) and k.__module__.startswith("linop.") for k in cls.__mro__)
        if (callable(found) or isinstance(found, property)) and defined_by_linop and helper not in seen:
            seen.add(helper)
            numeric_helpers(cls, helper, seen)
    return seen


#: Methods the numeric hooks call that the Dask path calls on the operator itself, so that
#: an override is honoured: check_operand casts the operand to ``op._result_dtype``, and
#: DaskKernelConvolution's structure runs the operator's own graph builders.
HONOURED_ON_DASK = {"_result_dtype"}
STRUCTURE_CALLS = {DaskKernelConvolution: {"forward_graph", "adjoint_graph", "blocks"}}


@pytest.mark.parametrize("cls", OWNERS, ids=[cls.__name__ for cls in OWNERS])
def test_every_method_the_numeric_hooks_call_is_a_hook_of_the_structure(cls):
    called = set()
    for hook in ("_batched", "_forward", "_backward"):
        called |= numeric_helpers(cls, hook)
    missing = called - set(cls._numeric_hooks) - HONOURED_ON_DASK - STRUCTURE_CALLS.get(cls, set())
    assert not missing, (
        f"{cls.__name__}'s numerics call {sorted(missing)}, which its block structure neither calls nor lists"
    )


@pytest.mark.parametrize(
    "combine",
    [
        lambda A: A @ linop.Pad((5, 6), 0),
        lambda A: A + convolution(),
        lambda A: 3.0 * A,
        lambda A: A.H,
        lambda A: A.T,
        lambda A: linop.AdjointOperator(A),
        lambda A: (A.H @ A) - A.H @ convolution(),
    ],
    ids=["composition", "sum", "scaled", "H", "T", "adjoint", "nested"],
)
def test_combinators_run_a_subclass_inside_them_on_its_own_map(combine):
    rng = np.random.default_rng(1)
    mine = combine(doubled_numerics(linop.Convolution)(KERNEL, (5, 6), padding="same", boundary="reflect"))
    x = rng.standard_normal((2,) + mine.input_shape)
    y = rng.standard_normal((2,) + mine.output_shape)
    np.testing.assert_allclose(mine.apply(da.from_array(x, chunks=(1, 2, 4))).compute(), mine.apply(x), atol=1e-12)
    np.testing.assert_allclose(
        mine.apply_adjoint(da.from_array(y, chunks=(2, 3, 2))).compute(), mine.apply_adjoint(y), atol=1e-12
    )


def test_verify_on_a_dask_backed_subclass_checks_the_subclass_map():
    op = FACTORIES[linop.Convolution](doubled_numerics(linop.Convolution))
    blocked = DaskBackedOperator(op, (2, 3))
    np.testing.assert_allclose(blocked @ np.eye(op.shape[1]), op.to_dense(), atol=1e-12)
    np.testing.assert_allclose(blocked.H @ np.eye(op.shape[0]), op.to_dense().T, atol=1e-12)
    assert linop.verify(blocked, seed=0).passed


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_verify_on_a_dask_backed_subclass_finds_the_wrong_adjoint_it_has_on_numpy(cls):
    def _forward(self, x):  # the forward doubled, the adjoint left alone: not an adjoint pair
        return 2 * cls._forward(self, x)

    op = FACTORIES[cls](type(f"Broken{cls.__name__}", (cls,), {"_forward": _forward}))
    assert not linop.verify(op, checks=("adjoint",), seed=0).passed
    report = linop.verify(DaskBackedOperator(op, 2), checks=("adjoint",), seed=0)
    assert not report.passed


class Twice(linop.ShapedOperator):
    """An operator whose ``apply`` doubles what its hooks compute (and calls the base ``apply``)."""

    def __init__(self):
        super().__init__((6,), (6,), np.float64)

    def _forward(self, x):
        return np.cumsum(x, axis=-1)

    def _backward(self, y):
        return np.cumsum(y[..., ::-1], axis=-1)[..., ::-1]

    def apply(self, x):
        return 2 * super().apply(x)


def test_an_override_of_apply_runs_once_on_a_dask_array():
    op, x = Twice(), np.arange(12.0).reshape(2, 6)
    np.testing.assert_allclose(op.apply(da.from_array(x, chunks=(1, 3))).compute(), op.apply(x))
