"""Testing helpers for linear operators, in the style of :mod:`numpy.testing`.

* :mod:`linop.testing.assertions`: ``assert_adjoint``, ``assert_linear``,
  ``assert_shape_reversal``, ``assert_verified`` (raise ``AssertionError`` with the
  verification report's message);
* :mod:`linop.testing.strategies`: hypothesis strategies ``conv_configs``,
  ``convolutions``, ``vectors_for`` (import it explicitly; it needs ``hypothesis``).
"""

from .assertions import assert_adjoint, assert_linear, assert_shape_reversal, assert_verified

__all__ = ["assert_adjoint", "assert_linear", "assert_shape_reversal", "assert_verified"]
