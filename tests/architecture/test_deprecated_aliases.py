"""Every name that moved or changed keeps working for one release, with a DeprecationWarning naming its successor.

The suite turns linop's own deprecation warnings into errors (pyproject.toml), so linop
itself never uses these aliases; here each is called on purpose, must warn, and must give
what its successor gives.
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import linop
from linop import backends
from linop.backends import cheapest_method, plan_convolution, workspace
from linop.backends.padding import fold_array, pad_array
from linop.geometry import (
    AxisGeometry,
    ConvGeometry,
    block_input_range,
    conv_geometry,
    fold_index,
    fold_pieces,
    input_block_bounds,
    max_pad_width,
    output_block_bounds,
    transposed_output_padding,
    window_centre,
)

WARNING = r"is deprecated and will be removed in linop 0\.4; use .* instead"
GEOM = ConvGeometry.build((12, 10), (3, 3), in_channels=2, out_channels=4)
AXIS = AxisGeometry(n=10, k=3, stride=2, pad_low=1, pad_high=1)


def _deprecated(call):
    with pytest.warns(DeprecationWarning, match=WARNING):
        return call()


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (lambda: backends.check_method("fft"), lambda: "fft"),
        (lambda: backends.choose_method(GEOM, np.float32), lambda: cheapest_method(GEOM, np.float32)),
        (lambda: backends.resolve_method("auto", GEOM, np.float32), lambda: cheapest_method(GEOM, np.float32)),
        (lambda: backends.resolve_backend("direct", GEOM), lambda: plan_convolution(GEOM, np.float64, "direct").method),
        (lambda: backends.backend_module("fft").__name__, lambda: "linop.backends.fft"),
        (lambda: backends.select_backend("gemm", GEOM).__name__, lambda: "linop.backends.gemm"),
    ],
    ids=["check_method", "choose_method", "resolve_method", "resolve_backend", "backend_module", "select_backend"],
)
def test_the_six_functions_of_one_choice_are_the_planners(old, new):
    assert _deprecated(old) == new()


def test_correlate_adjoint_interior_is_the_plans_cropped_adjoint():
    geom = ConvGeometry.build((7,), (3,), in_channels=1, out_channels=1)
    y, w = np.ones((1, 5, 1)), np.ones((3, 1, 1))
    got = _deprecated(lambda: backends.correlate_adjoint_interior(backends.direct, y, w, geom, [(1, 1)]))
    expected = workspace.interior(backends.direct.correlate_adjoint(y, w, geom), geom, [(1, 1)])
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize(
    ("module", "name", "new"),
    [
        ("linop.backends.cache", "immutable", "linop.immutable:immutable"),
        ("linop.backends.cache", "frozen", "linop.immutable:is_immutable"),
        ("linop.geometry", "check_flag", "linop.arguments:check_flag"),
        ("linop.geometry", "per_axis", "linop.arguments:per_axis"),
        ("linop.operators.base", "as_shape", "linop.arguments:as_shape"),
        ("linop.operators.convolution", "as_kernel", "linop.arguments:as_finite_array"),
        ("linop.operators.convolution", "conv_geometry", "linop.geometry:conv_geometry"),
        ("linop.interop.arrays", "apply_foreign", "linop.interop.foreign:apply_foreign"),
        ("linop.dask.plan", "axis_read", "linop.dask.halo:axis_read"),
        ("linop.dask.kernel", "DaskKernelConvolution", "linop.dask.kernel_operator:DaskKernelConvolution"),
    ],
)
def test_moved_names_are_reachable_where_they_were(module, name, new):
    new_module, _, new_name = new.partition(":")
    old = _deprecated(lambda: getattr(importlib.import_module(module), name))
    assert old is getattr(importlib.import_module(new_module), new_name)


@pytest.mark.parametrize(
    ("old", "new", "name"),
    [
        ("linop.symbolic.proofs", "linop.symbolic.exact_checks", "ProofResult"),
        ("linop.symbolic.layer_proofs", "linop.symbolic.layer_checks", "check_backpropagation"),
        ("linop.formula.proofs", "linop.formula.exact_twin", "FormulaProofs"),
        ("linop.formula.build", "linop.formula.reader", "build_formula"),
        ("linop.formula.compile", "linop.formula.compiler", "compile_formula"),
        ("linop.formula.make", "linop.formula.assembly", "make_operator"),
        ("linop.formula.runtime", "linop.formula.program", "Program"),
        ("linop.verification.catalogue", "linop.verification.builtin", "catalogue"),
        ("linop.demos.report", "linop.demos.findings", "DemoReport"),
        ("linop.solvers.arrays", "linop.solvers.vectors", "norm"),
        ("linop.backends.reach", "linop.backends.reaching_taps", "correlate"),
    ],
)
def test_renamed_modules_answer_under_their_old_name(old, new, name):
    value = _deprecated(lambda: getattr(importlib.import_module(old), name))
    assert value is getattr(importlib.import_module(new), name)


def test_the_block_methods_of_an_axis_are_the_block_functions():
    bounds = (0, 4, 7, 10)
    assert _deprecated(lambda: AXIS.output_block_bounds(bounds)) == output_block_bounds(AXIS, bounds)
    assert _deprecated(lambda: AXIS.input_block_bounds((0, 2, 4, 5))) == input_block_bounds(AXIS, (0, 2, 4, 5))
    assert _deprecated(lambda: AXIS.block_input_range(2, 4)) == block_input_range(AXIS, 2, 4)
    assert _deprecated(lambda: AXIS.window_centre(3)) == window_centre(AXIS, 3)
    assert _deprecated(lambda: AXIS.transposed_output_padding) == transposed_output_padding(AXIS)


def test_mode_is_the_former_name_of_boundary():
    x = np.arange(4.0)
    P = _deprecated(lambda: linop.Pad((4,), 2, mode="reflect"))
    np.testing.assert_array_equal(P.apply(x), linop.Pad((4,), 2, boundary="reflect").apply(x))
    assert _deprecated(lambda: P.mode) == P.boundary == "reflect"
    np.testing.assert_array_equal(
        _deprecated(lambda: fold_index(np.arange(-3, 8), 5, mode="wrap")), fold_index(np.arange(-3, 8), 5, "wrap")
    )
    assert _deprecated(lambda: fold_pieces(5, mode="reflect", low=-2, high=6)) == fold_pieces(5, "reflect", -2, 6)
    assert _deprecated(lambda: max_pad_width(5, mode="symmetric")) == max_pad_width(5, "symmetric") == 5
    np.testing.assert_array_equal(_deprecated(lambda: AXIS.tap_sources(1, mode="edge")), AXIS.tap_sources(1, "edge"))
    z = np.ones((1, 8))
    np.testing.assert_array_equal(fold_array(z, [(2, 2)], "reflect"), P.H.apply(z))
    np.testing.assert_array_equal(pad_array(x[None], [(2, 2)], "reflect"), P.apply(x)[None])


def test_mode_is_the_former_name_of_boundary_in_the_formula_catalogue_and_the_symbolic_padding():
    from linop import symbolic
    from linop.formula import catalogue

    old = _deprecated(lambda: catalogue.gradient(mode="wrap"))
    assert old.formula == catalogue.gradient(boundary="wrap").formula
    old = _deprecated(lambda: symbolic.padding_formula(4, 1, mode="edge"))
    assert str(old) == str(symbolic.padding_formula(4, 1, boundary="edge"))


def test_giving_both_names_of_a_keyword_is_refused():
    with pytest.raises(TypeError, match="got both boundary= and its deprecated name mode="):
        linop.Pad((4,), 1, boundary="wrap", mode="edge")


def test_the_geometry_of_the_convolution_module_is_the_geometry_packages():
    g = conv_geometry((3, 2, 4), (8, 2), padding="same")
    with pytest.warns(DeprecationWarning, match=WARNING):
        from linop.operators.convolution import conv_geometry as old
    assert old((3, 2, 4), (8, 2), padding="same") == g
