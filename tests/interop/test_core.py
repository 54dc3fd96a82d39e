"""linop.interop's plumbing.

Frameworks recognised without importing them, one error for the rest, the CLI, array-API arrays.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from scipy.sparse.linalg import aslinearoperator

import linop
from linop.cli import main
from linop.interop import framework_of
from linop.interop.array_api import apply_to_array
from linop.interop.frameworks import check_dtype
from linop.operators.base import _array_kind
from tests.support.interop_support import one_torch_thread  # noqa: F401  (autouse fixture)
from tests.support.paths import ROOT

FRAMEWORKS = ("torch", "jax", "jaxlib", "pylops", "array_api_compat")


def test_import_linop_and_numpy_work_load_no_framework():
    code = textwrap.dedent(f"""
        import sys
        import numpy as np
        import linop
        A = linop.Convolution(np.ones((3, 2, 2)), (6, 2), padding=1)
        A.H.apply(A.apply(np.ones((2, 6, 2))))
        linop.verify(A, seed=0, checks=["shapes", "adjoint"])
        try:
            linop.verify("not an operator")
        except TypeError:
            pass
        print(sorted(m for m in {FRAMEWORKS!r} if m in sys.modules))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_framework_is_recognised_from_module_names_alone():
    Fake = type("Module", (), {"__module__": "torch.nn.modules.fake"})
    User = type("MyLayer", (Fake,), {"__module__": "my_project.layers"})  # a user's subclass
    assert framework_of(User()) == "torch"
    assert framework_of(type("Op", (), {"__module__": "pylops.basicoperators"})()) == "pylops"
    assert framework_of(np.ones(3)) is None and framework_of(len) is None and framework_of(lambda x: x) is None


def test_custom_function_class_is_recognised_as_torch():
    class Twice(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return 2 * x

        @staticmethod
        def backward(ctx, g):
            return 2 * g

    assert framework_of(Twice) == "torch"


def test_verify_gives_one_error_naming_everything_it_accepts():
    with pytest.raises(TypeError) as info:
        linop.verify({"not": "an operator"})
    message = str(info.value)
    for accepted in (
        "scipy.sparse.linalg.LinearOperator",
        "torch.nn.Module",
        "torch.autograd.Function",
        "jax.custom_vjp",
        "pylops.LinearOperator",
        "from_torch",
        "got builtins.dict",
    ):
        assert accepted in message


def test_input_shape_for_a_scipy_operator_is_refused():
    with pytest.raises(ValueError, match="input_shape and dtype describe PyTorch/JAX objects"):
        linop.verify(aslinearoperator(np.eye(3)), input_shape=(3,))


def test_dtype_names_accept_numpy_and_framework_spellings():
    assert check_dtype(torch.complex64) == np.complex64
    assert check_dtype("float64") == np.float64 and check_dtype(np.float32) == np.float32
    with pytest.raises(TypeError, match=r"got torch.bfloat16"):
        check_dtype(torch.bfloat16)


def test_foreign_arrays_are_recognised_without_importing():
    assert _array_kind(torch.ones(2)) == "foreign"
    assert _array_kind(np.ones(2)) is None and _array_kind([1.0, 2.0]) is None and _array_kind(np.float64(1)) is None


def test_array_api_path_returns_the_namespace_dtype_and_values():
    A = linop.Convolution(np.array([1.0, 2.0j, -1.0]), (6,), padding=1, boundary="wrap")
    t = torch.arange(6, dtype=torch.float64)
    out = apply_to_array(A, t)
    assert isinstance(out, torch.Tensor) and out.dtype == torch.complex128
    np.testing.assert_allclose(out.numpy(), A.apply(np.arange(6.0)), rtol=1e-14)
    np.testing.assert_allclose(apply_to_array(A, out, adjoint=True).numpy(), A.H.apply(A.apply(np.arange(6.0))))


# -- linop verify on framework targets --------------------------------------------------------------
TORCH_TARGETS = """
import torch

class CumSum(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return torch.cumsum(x, -1)

    @staticmethod
    def backward(ctx, g):
        return torch.cumsum(g, -1)  # wrong: the reversed cumulative sum is the adjoint

layer = torch.nn.Conv1d(2, 2, 3, padding=1, bias=False, dtype=torch.float64)
"""


@pytest.fixture
def torch_targets(tmp_path):
    path = tmp_path / "torch_targets.py"
    path.write_text(TORCH_TARGETS)
    return path


def test_cli_verifies_torch_targets_and_names_the_wrong_backward(torch_targets, capsys):
    status = main(
        [
            "verify",
            f"{torch_targets}:CumSum",
            f"{torch_targets}:layer",
            "--input-shape",
            "2,7",
            "--dtype",
            "float64",
            "--seed",
            "0",
        ]
    )
    out = capsys.readouterr().out
    assert status == 1
    assert "CumSum [matrix]: A and A^H disagree at 84 of 196 entries" in out
    assert "1 of 2 operators failed" in out


def test_cli_asks_for_the_input_shape_of_a_module(torch_targets, capsys):
    status = main(["verify", f"{torch_targets}:layer"])
    err = capsys.readouterr().err  # usage errors go to stderr
    assert status == 2 and "pass input_shape=" in err and "--input-shape" in err


def test_cli_names_a_malformed_input_shape(torch_targets, capsys):
    status = main(["verify", f"{torch_targets}:layer", "--input-shape", "2;7"])
    assert status == 2 and "--input-shape must be sizes separated by commas" in capsys.readouterr().err


def test_kind_of_tells_pairs_and_physics_objects_by_their_shape_before_frameworks():
    from linop.interop.detect import kind_of

    class Physics:
        __module__ = "torch.nn.modules.module"  # a deepinv physics object is a torch module too

        def A(self, x):
            return x

        def A_adjoint(self, y):
            return y

    assert kind_of((np.sum, np.sum)) == "pair"
    assert kind_of(Physics()) == "physics"
    assert kind_of(Physics) == "torch"  # the class itself is no physics object
    assert kind_of(type("Op", (), {"__module__": "odl.core.operator"})()) == "odl"
    assert kind_of(type("Op", (), {"__module__": "sigpy.linop"})()) == "sigpy"
    assert kind_of((np.sum, 3)) is None and kind_of((np.sum, np.sum, np.sum)) is None
    assert kind_of([np.sum, np.sum]) is None  # a list of callables is a list of targets


def test_a_tuple_of_two_operators_is_not_a_pair_of_functions():
    from scipy.sparse.linalg import aslinearoperator

    from linop.interop.detect import kind_of

    operators = (aslinearoperator(np.eye(2)), aslinearoperator(np.ones((2, 2))))
    assert callable(operators[0]) and kind_of(operators) is None
