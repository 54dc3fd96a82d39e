"""The interop entry points leave torch's random stream alone and name every argument they refuse.

Converting a layer must not change what a seeded program draws next (building a torch
layer runs its random initialisation; probing a function with random input draws from
the global stream). Bad arguments get an error that names the parameter, the value and
what is allowed, before any work is done.
"""

from __future__ import annotations

import re

import jax.numpy as jnp
import numpy as np
import pylops
import pytest
import torch

import linop
from linop.interop import CallbackOperator, adapt, from_jax, from_torch
from linop.interop.array_api import apply_to_array as apply_to_array_api
from linop.interop.foreign import apply_foreign
from linop.interop.jax import apply_to_array as apply_to_jax_array
from linop.interop.pylops import adapt_pylops_object
from linop.interop.torch import apply_to_tensor
from linop.interop.torch_layers import conv_to_torch, conv_transpose_to_torch, torch_map
from tests.support.interop_support import one_torch_thread  # noqa: F401  (autouse fixture)

CONV = linop.Convolution(np.ones((3, 2, 2)), (8, 2), padding=1)
TRANSPOSE = linop.ConvTranspose(np.ones((3, 2, 2)), (8, 2), stride=2, padding=1)


# -- torch's global random stream -------------------------------------------------------------------
CONVERSIONS = {
    "Convolution.to_torch": lambda: CONV.to_torch(),
    "ConvTranspose.to_torch": lambda: TRANSPOSE.to_torch(),
    "Convolution.from_torch": lambda: linop.Convolution.from_torch(LAYERS["conv"], 8),
    "ConvTranspose.from_torch": lambda: linop.ConvTranspose.from_torch(LAYERS["transpose"], 4),
    "from_torch(module)": lambda: from_torch(LAYERS["conv"], (2, 8)),
    "from_torch(function)": lambda: from_torch(lambda x: 2 * x, (5,)),
    "from_torch(dropout)": lambda: from_torch(torch.nn.Dropout(0.5), (5,)),
    "adapt(module)": lambda: adapt(LAYERS["conv"], input_shape=(2, 8)),
}
LAYERS = {
    "conv": torch.nn.Conv1d(2, 2, 3, bias=False),
    "transpose": torch.nn.ConvTranspose1d(2, 2, 3, stride=2, padding=1, bias=False),
}


@pytest.mark.parametrize("name", list(CONVERSIONS))
def test_conversion_leaves_torch_random_state_unchanged(name):
    before = torch.get_rng_state()
    CONVERSIONS[name]()
    assert torch.equal(torch.get_rng_state(), before)


def test_seeded_draws_after_to_torch_are_those_without_it():
    torch.manual_seed(3)
    expected = torch.rand(4)
    torch.manual_seed(3)
    CONV.to_torch()
    assert torch.equal(torch.rand(4), expected)


# -- from_torch / to_torch of layers ---------------------------------------------------------------
@pytest.mark.parametrize("input_size", [True, 2.0, "8", None, (8.0,), (True,), [np.float64(8)]], ids=repr)
@pytest.mark.parametrize("kind", ["conv", "transpose"])
def test_input_size_that_is_not_ints_is_refused_by_name(kind, input_size):
    converter = linop.Convolution if kind == "conv" else linop.ConvTranspose
    message = f"input_size must be a positive int or a sequence of positive ints; got {input_size!r}"
    with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
        converter.from_torch(LAYERS[kind], input_size)


@pytest.mark.parametrize("input_size", [0, -3, (8, 8), (0,), ()], ids=repr)
def test_input_size_of_the_wrong_count_or_value_is_refused_by_name(input_size):
    with pytest.raises(ValueError, match=r"input_size must be 1 positive spatial sizes for a Conv1d"):
        linop.Convolution.from_torch(LAYERS["conv"], input_size)


@pytest.mark.parametrize("bias", [True, False], ids=["with-bias", "without-bias"])
@pytest.mark.parametrize("kind", ["conv", "transpose"])
def test_ignore_bias_must_be_a_bool(kind, bias):
    converter = linop.Convolution if kind == "conv" else linop.ConvTranspose
    layer = (torch.nn.Conv1d if kind == "conv" else torch.nn.ConvTranspose1d)(2, 2, 3, bias=bias)
    with pytest.raises(TypeError, match="ignore_bias must be True or False; got 'yes'"):
        converter.from_torch(layer, 8, ignore_bias="yes")


def test_to_torch_functions_name_an_operator_of_the_wrong_kind():
    with pytest.raises(
        TypeError, match="op must be a linop.Convolution; got linop.operators.convolution.ConvTranspose"
    ):
        conv_to_torch(TRANSPOSE)
    with pytest.raises(
        TypeError, match="op must be a linop.ConvTranspose; got linop.operators.convolution.Convolution"
    ):
        conv_transpose_to_torch(CONV)


# -- arrays through operators -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "call",
    [
        lambda: torch_map(CONV, adjoint="no"),
        lambda: apply_to_tensor(CONV, torch.ones(8, 2), adjoint=1),
        lambda: apply_to_jax_array(CONV, jnp.ones((8, 2)), adjoint="no"),
        lambda: apply_to_array_api(CONV, torch.ones(8, 2), adjoint=None),
        lambda: apply_foreign(CONV, torch.ones(8, 2), adjoint="no"),
    ],
    ids=["torch_map", "apply_to_tensor", "jax", "array_api", "apply_foreign"],
)
def test_adjoint_flag_must_be_a_bool(call):
    with pytest.raises(TypeError, match="adjoint must be True or False; got"):
        call()


@pytest.mark.parametrize(
    "call",
    [
        lambda: apply_foreign(np.eye(2), torch.ones(2)),
        lambda: apply_to_tensor(np.eye(2), torch.ones(2)),
        lambda: apply_to_jax_array(np.eye(2), jnp.ones(2)),
        lambda: apply_to_array_api(np.eye(2), torch.ones(2)),
    ],
    ids=["apply_foreign", "apply_to_tensor", "jax", "array_api"],
)
def test_operator_that_is_not_a_linop_operator_is_named(call):
    with pytest.raises(TypeError, match="op must be a linop ShapedOperator .*; got numpy.ndarray"):
        call()


# -- adapters ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: from_torch(lambda x: x, True),
            TypeError,
            "input_shape must be an int or a sequence of ints; got True",
        ),
        (lambda: from_torch(lambda x: x, 2.0), TypeError, "input_shape must be an int or a sequence of ints; got 2.0"),
        (lambda: from_torch(lambda x: x, (3,), batched="yes"), TypeError, "batched must be True or False; got 'yes'"),
        (
            lambda: from_torch(lambda x: x, (3,), device="gpu0"),
            ValueError,
            "device must be a torch.device or a device name .*; got 'gpu0'",
        ),
        (lambda: from_jax(lambda x: x, 2.0), TypeError, "input_shape must be an int or a sequence of ints; got 2.0"),
        (
            lambda: adapt(torch.nn.Linear(2, 2, bias=False), input_shape=2.5),
            TypeError,
            "input_shape must be an int or a sequence of ints; got 2.5",
        ),
        (
            lambda: adapt_pylops_object(pylops.Identity(3), input_shape=(True,)),
            ValueError,
            r"input_shape must be a non-empty sequence of positive ints; got \(True,\)",
        ),
        (
            lambda: adapt(torch.eye(3), input_shape=(5,)),
            ValueError,
            r"input_shape=\(5,\) differs from the matrix's \(3,\) columns",
        ),
        (
            lambda: adapt(jnp.eye(3), input_shape=(5,)),
            ValueError,
            r"input_shape=\(5,\) differs from the matrix's \(3,\) columns",
        ),
        (
            lambda: CallbackOperator((3,), 3.0, "float64"),
            TypeError,
            "output_shape must be an int or a sequence of ints; got 3.0",
        ),
        (
            lambda: CallbackOperator((3,), (3,), "int64"),
            TypeError,
            "dtype must be one of float32, float64, complex64, complex128; got 'int64'",
        ),
    ],
    ids=[
        "torch-bool-shape",
        "torch-float-shape",
        "batched",
        "device",
        "jax-float-shape",
        "adapt-float-shape",
        "pylops-bool-shape",
        "torch-matrix-shape",
        "jax-matrix-shape",
        "callback-shape",
        "callback-dtype",
    ],
)
def test_adapter_arguments_are_checked_by_name(call, error, message):
    with pytest.raises(error, match=message):
        call()
