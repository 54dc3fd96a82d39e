"""Physics objects (``A``/``A_adjoint`` on torch tensors, deepinv's protocol) in linop.verify.

deepinv's own classes are verified when deepinv imports (it imports torchvision at import
time); the protocol itself is tested with an object written like them, which needs only torch.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import linop
from linop.interop import adapt
from linop.interop.physics import PhysicsOperator, from_physics


class Downsampling:
    """Keep every second pixel; the adjoint puts them back (optionally with a planted error)."""

    def __init__(self, error_at: tuple[int, int] | None = None):
        self.error_at = error_at

    def A(self, x):
        return x[..., ::2, ::2]

    def A_adjoint(self, y):
        x = torch.zeros(y.shape[:-2] + (2 * y.shape[-2], 2 * y.shape[-1]), dtype=y.dtype)
        x[..., ::2, ::2] = y
        if self.error_at is not None:
            i, j = self.error_at
            x[..., 2 * i, 2 * j] *= 1.5
        return x


def test_a_physics_object_verifies_in_one_line_with_the_input_shape():
    report = linop.verify(Downsampling(), input_shape=(1, 1, 8, 8), seed=0)
    assert report.passed, report
    assert (report.input_shape, report.output_shape, report.dtype) == ((1, 1, 8, 8), (1, 1, 4, 4), "float32")


def test_a_planted_adjoint_error_is_caught_with_the_entry_named():
    report = linop.verify(Downsampling(error_at=(3, 2)), input_shape=(1, 1, 8, 8), seed=0)
    details = report["matrix"].details
    assert (details["output_index"], details["input_index"]) == ((0, 0, 3, 2), (0, 0, 6, 4))
    assert report["probes"].details["entry"]["input_index"] == (0, 0, 6, 4)


def test_the_input_shape_is_required():
    with pytest.raises(ValueError, match="physics object .A and A_adjoint.: the shape of its input cannot be read"):
        linop.verify(Downsampling())


def test_a_physics_object_that_fails_on_its_input_shape_is_refused_with_torchs_error():
    with pytest.raises(ValueError, match=r"physics.A fails on a float64 tensor of shape \(3,\)"):
        from_physics(Downsampling(), (3,), dtype=torch.float64)


def test_adapt_tells_a_physics_object_from_a_torch_module():
    class Module(torch.nn.Module):
        def A(self, x):
            return 2 * x

        def A_adjoint(self, y):
            return 2 * y

    A = adapt(Module(), input_shape=(1, 3))
    assert isinstance(A, PhysicsOperator)
    np.testing.assert_array_equal(A.to_dense(), 2 * np.eye(3, dtype=np.float32))


def _deepinv():
    try:
        import deepinv
    except Exception as exc:  # torchvision may not load against the installed torch
        pytest.skip(f"deepinv does not import here ({type(exc).__name__}: {exc})")
    return deepinv


def test_deepinv_physics_pass_in_one_line():
    dinv = _deepinv()
    blur = dinv.physics.Blur(filter=dinv.physics.functional.blur.gaussian_blur(sigma=(0.8, 0.8)), padding="circular")
    inpainting = dinv.physics.Inpainting(img_size=(1, 6, 6), mask=0.5, rng=torch.Generator().manual_seed(0))
    for physics in (blur, inpainting):
        report = linop.verify(physics, input_shape=(1, 1, 6, 6), seed=0)
        assert report.passed, report


class TwoMeasurements:
    """A physics returning a pair of tensors (like deepinv's pan-sharpening): the image and twice its sum."""

    def __init__(self, wrong: bool = False):
        self.wrong = wrong

    def A(self, x):
        return (x, 2 * x.sum(dim=(-1, -2), keepdim=True))

    def A_adjoint(self, y):
        image, total = y
        return image + (1 if self.wrong else 2) * total.expand_as(image)


def test_a_physics_returning_several_tensors_maps_into_their_concatenation():
    A = from_physics(TwoMeasurements(), (1, 1, 3, 3), dtype=torch.float64)
    assert A.output_shape == (10,) and A.output_parts == [(1, 1, 3, 3), (1, 1, 1, 1)]
    assert linop.verify(A, seed=0).passed
    report = linop.verify(TwoMeasurements(wrong=True), input_shape=(1, 1, 3, 3), dtype=torch.float64, seed=0)
    assert report["matrix"].details["row"] == 9
