"""A convolution's parameters are checked before any work: a group count below one and sizes no
array can hold are refused with an error that names the parameter."""

from __future__ import annotations

import numpy as np
import pytest

import linop


def test_a_convolution_with_groups_zero_says_it_must_be_at_least_one():
    with pytest.raises(ValueError, match="groups must be >= 1; got 0"):
        linop.Convolution(np.ones(3), 8, groups=0)


@pytest.mark.parametrize("padding, dilation", [("full", 10**30), ([(10**30, 0)], 1), ([(5, 10**19)], 1), (10**19, 1)])
def test_an_output_no_array_can_hold_is_rejected_naming_the_parameter(padding, dilation):
    with pytest.raises(ValueError, match=r"padding=.*dilation=.*more than an array can hold"):
        linop.Convolution(np.ones(3), 8, padding=padding, dilation=dilation)
