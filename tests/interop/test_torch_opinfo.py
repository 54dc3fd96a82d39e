"""PyTorch's own OpInfo samples of conv1d/2d/3d and conv_transpose1d/2d/3d, in complex128 and float64, through linop.

The configurations are those of ``op_db``'s ``sample_inputs`` (recorded in
``tests/data/torch_opinfo_conv_samples.json`` by ``tests/data/make_torch_opinfo_samples.py``:
importing ``op_db`` needs PyTorch's testing internals, which the suite does not). Each
sample is rebuilt with random values and converted to a linop operator both ways:
``from_torch`` of the layer, and ``to_torch`` of that operator; both are compared with
``torch.nn.functional`` on the sample, and linop's adjoint with autograd's
vector-Jacobian product of the functional (``A^H g`` in PyTorch's conjugate Wirtinger
convention).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import linop
from tests.support.interop_support import one_torch_thread  # noqa: F401  (autouse fixture)
from tests.support.paths import DATA

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths:UserWarning")

SAMPLES = json.loads((DATA / "torch_opinfo_conv_samples.json").read_text())["samples"]
IDS = [f"{s['operator']}-{s['dtype']}-{i}" for i, s in enumerate(SAMPLES)]
TOLERANCE = dict(rtol=1e-11, atol=1e-11)


class Sample:
    """One OpInfo sample rebuilt: the tensors, the torch layer holding its weight, and the linop operator."""

    def __init__(self, index: int, config: dict):
        self.config = config
        kind, d = config["operator"][:-2], int(config["operator"][-2])
        self.transposed, self.ndim = kind == "conv_transpose", d
        self.dtype = getattr(torch, config["dtype"])
        generator = torch.Generator().manual_seed(index)
        self.x = torch.randn(config["input_shape"], dtype=self.dtype, generator=generator)
        self.weight = torch.randn(config["weight_shape"], dtype=self.dtype, generator=generator)
        groups = config["keywords"].get("groups", 1)
        out_channels = config["weight_shape"][1] * groups if self.transposed else config["weight_shape"][0]
        self.bias = torch.randn(out_channels, dtype=self.dtype, generator=generator) if config["bias"] else None
        self.batched = self.x.dim() == d + 2
        self.functional = getattr(torch.nn.functional, config["operator"])
        in_channels = config["weight_shape"][0] if self.transposed else config["weight_shape"][1] * groups
        layer_class = getattr(torch.nn, f"{'ConvTranspose' if self.transposed else 'Conv'}{d}d")
        self.layer = layer_class(
            in_channels,
            out_channels,
            tuple(config["weight_shape"][2:]),
            bias=False,
            dtype=self.dtype,
            **config["keywords"],
        )
        with torch.no_grad():
            self.layer.weight.copy_(self.weight)
        self.spatial_size = tuple(config["input_shape"][-d:])

    def torch_output(self) -> torch.Tensor:
        with torch.no_grad():
            return self.functional(self.x, self.weight, self.bias, **self.config["keywords"])

    def channels_last(self, t: torch.Tensor) -> np.ndarray:
        return np.moveaxis(t.detach().numpy(), 1 if self.batched else 0, -1)

    def channels_first(self, a: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(np.moveaxis(a, -1, 1 if self.batched else 0)))

    def bias_channels_last(self) -> np.ndarray | int:
        return 0 if self.bias is None else self.bias.numpy()

    def bias_channels_first(self) -> torch.Tensor | int:
        return 0 if self.bias is None else self.bias.reshape((-1,) + (1,) * self.ndim)

    def unreachable_output_padding(self) -> bool:
        """A transposed sample whose last outputs no input reaches (linop's ConvTranspose refuses it by name)."""
        layer = self.layer
        return self.transposed and any(
            op > p + s - 1 for op, p, s in zip(layer.output_padding, layer.padding, layer.stride)
        )

    def operator(self):
        kind = linop.ConvTranspose if self.transposed else linop.Convolution
        return kind.from_torch(self.layer, self.spatial_size)


@pytest.fixture(params=range(len(SAMPLES)), ids=IDS)
def sample(request) -> Sample:
    return Sample(request.param, SAMPLES[request.param])


def test_the_recorded_samples_cover_every_convolution_in_both_dtypes():
    kinds = {(s["operator"], s["dtype"]) for s in SAMPLES}
    assert kinds == {
        (f"{k}{d}d", t) for k in ("conv", "conv_transpose") for d in (1, 2, 3) for t in ("complex128", "float64")
    }


def test_linop_operator_from_the_layer_computes_torch_functional(sample):
    if sample.unreachable_output_padding():
        with pytest.raises(ValueError, match="samples are zeros no input reaches"):
            sample.operator()
        return
    A = sample.operator()
    assert A.dtype == np.dtype(sample.config["dtype"])
    got = A.apply(sample.channels_last(sample.x)) + sample.bias_channels_last()
    np.testing.assert_allclose(got, sample.channels_last(sample.torch_output()), **TOLERANCE)


def test_layer_from_the_linop_operator_computes_torch_functional(sample):
    if sample.unreachable_output_padding():
        pytest.skip("linop has no operator for this sample (its refusal is the test above)")
    layer = sample.operator().to_torch()
    with torch.no_grad():
        got = layer(sample.x) + sample.bias_channels_first()
    np.testing.assert_allclose(got.numpy(), sample.torch_output().numpy(), **TOLERANCE)


def test_linop_adjoint_is_torch_autograd_of_the_functional(sample):
    """For y = A x, PyTorch's input gradient with grad_output g is A^H g (conjugate Wirtinger convention)."""
    if sample.unreachable_output_padding():
        pytest.skip("linop has no operator for this sample (its refusal is the test above)")
    A = sample.operator()
    x = sample.x.clone().requires_grad_(True)
    y = sample.functional(x, sample.weight, None, **sample.config["keywords"])
    g = torch.randn(y.shape, dtype=sample.dtype, generator=torch.Generator().manual_seed(1))
    (expected,) = torch.autograd.grad(y, x, g)
    got = A.apply_adjoint(sample.channels_last(g))
    np.testing.assert_allclose(got, sample.channels_last(expected), **TOLERANCE)
