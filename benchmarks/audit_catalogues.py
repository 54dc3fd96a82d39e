"""Audit: ``linop.verify`` on every operator it can build in the PyLops, SigPy and ODL catalogues (and deepinv's
physics where deepinv imports), each in its own spaces.

For every operator the table gives the library, the operator, its dtype, the verdict in the
operator's own spaces (the inner products linop detects: ODL's weightings, PyLops' real
FFTs), the checks that failed, and the verdict the Euclidean, complex-linear checks alone
would give (``euclidean``): an operator that passes in its spaces but fails there is a false
alarm the spaces removed. A failure is checked independently of linop before it is called
upstream's: by the library's own dot test (PyLops' ``dottest``, ODL's inner products,
deepinv's ``adjointness_test``, a NumPy dot test for SigPy) and by the explicit matrices built
from the library's own calls (``confirmed``).

    python benchmarks/audit_catalogues.py                        # every library installed
    python benchmarks/audit_catalogues.py --libraries odl,sigpy  # some libraries
    python benchmarks/audit_catalogues.py --only FFT             # operators whose name contains FFT
    python benchmarks/audit_catalogues.py --markdown audit.md --json audit.json

Exit status 0 (the audit reports defects, it does not fail on them); 2 on bad usage.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import importlib.metadata
import json
import platform
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

import linop
from linop.verification import Space

LIBRARIES = ("pylops", "sigpy", "odl", "deepinv")


@dataclass
class Entry:
    """One operator of a catalogue: how to build it, and what ``verify`` needs besides it."""

    library: str
    name: str
    dtype: str
    build: Callable[[], Any]
    input_shape: tuple[int, ...] | None = None
    verify_dtype: str | None = None


@dataclass
class Row:
    """The audit of one operator."""

    library: str
    operator: str
    dtype: str
    verdict: str  # "pass", "FAIL", "not built"
    failed: list[str] = field(default_factory=list)
    euclidean: str = ""  # the verdict of the Euclidean, complex-linear checks
    spaces: str = ""
    message: str = ""
    confirmed: str = ""
    seconds: float = 0.0


# -- the catalogues ------------------------------------------------------------------------------
def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _complex(shape, seed=0):
    rng = _rng(seed)
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


def pylops_entries() -> list[Entry]:
    import pylops
    import pylops.signalprocessing as ps

    r = _rng(1)
    E = Entry
    real = [
        ("MatrixMult", lambda: pylops.MatrixMult(r.standard_normal((6, 5)))),
        ("Identity (6 -> 8)", lambda: pylops.Identity(8, 6)),
        ("Zero", lambda: pylops.Zero(5, 4)),
        ("Diagonal", lambda: pylops.Diagonal(r.standard_normal(6))),
        ("Restriction", lambda: pylops.Restriction((6, 5), [0, 2, 3], axis=0)),
        ("Flip", lambda: pylops.Flip((6, 5), axis=1)),
        ("Roll", lambda: pylops.Roll((6, 5), axis=0, shift=2)),
        ("Pad", lambda: pylops.Pad((6, 5), ((1, 2), (0, 3)))),
        ("Sum", lambda: pylops.Sum((6, 5), axis=1)),
        ("Symmetrize", lambda: pylops.Symmetrize(6)),
        ("Transpose", lambda: pylops.Transpose((4, 5), axes=(1, 0))),
        ("Regression", lambda: pylops.Regression(np.linspace(0, 1, 7), order=2)),
        ("LinearRegression", lambda: pylops.LinearRegression(np.linspace(0, 1, 7))),
        ("CausalIntegration", lambda: pylops.CausalIntegration(8)),
        ("FirstDerivative centered", lambda: pylops.FirstDerivative((6, 5), axis=0)),
        ("FirstDerivative forward", lambda: pylops.FirstDerivative(8, kind="forward")),
        ("FirstDerivative backward", lambda: pylops.FirstDerivative(8, kind="backward")),
        ("SecondDerivative", lambda: pylops.SecondDerivative((6, 5), axis=1)),
        ("Laplacian", lambda: pylops.Laplacian((6, 5))),
        ("Gradient", lambda: pylops.Gradient((6, 5))),
        ("FirstDirectionalDerivative", lambda: pylops.FirstDirectionalDerivative((6, 5), v=np.array([1.0, 1.0]))),
        ("SecondDirectionalDerivative", lambda: pylops.SecondDirectionalDerivative((6, 5), v=np.array([1.0, 1.0]))),
        ("Smoothing1D", lambda: pylops.Smoothing1D(3, 8)),
        ("Smoothing2D", lambda: pylops.Smoothing2D((3, 3), (6, 5))),
        ("Kronecker", lambda: pylops.Kronecker(pylops.MatrixMult(r.standard_normal((2, 3))), pylops.Identity(2))),
        ("BlockDiag", lambda: pylops.BlockDiag([pylops.MatrixMult(r.standard_normal((2, 3))), pylops.Identity(2)])),
        ("HStack", lambda: pylops.HStack([pylops.MatrixMult(r.standard_normal((3, 2))), pylops.Identity(3)])),
        ("VStack", lambda: pylops.VStack([pylops.MatrixMult(r.standard_normal((2, 3))), pylops.Identity(3)])),
        ("Convolve1D real kernel", lambda: ps.Convolve1D(10, h=r.standard_normal(3), offset=1)),
        ("Convolve1D real kernel, fft", lambda: ps.Convolve1D(10, h=r.standard_normal(3), offset=1, method="fft")),
        ("Convolve2D", lambda: ps.Convolve2D((6, 5), h=r.standard_normal((3, 3)), offset=(1, 1))),
        ("ConvolveND", lambda: ps.ConvolveND((4, 5, 3), h=r.standard_normal((3, 3, 1)), offset=(1, 1, 0))),
        ("NonStationaryConvolve1D", lambda: ps.NonStationaryConvolve1D(10, r.standard_normal((2, 5)), ih=(2, 7))),
        ("Shift", lambda: ps.Shift(8, 1.5, real=True)),
        ("DCT", lambda: ps.DCT((6, 5))),
        ("DWT", lambda: ps.DWT(16, wavelet="haar", level=2)),
        ("DWT2D", lambda: ps.DWT2D((8, 8), wavelet="haar", level=1)),
        ("Radon2D", lambda: ps.Radon2D(np.arange(8.0), np.arange(6.0), np.linspace(-0.5, 0.5, 5), kind="linear")),
        ("Fredholm1", lambda: ps.Fredholm1(r.standard_normal((2, 4, 3)), nz=2)),
        ("Interp linear", lambda: ps.Interp(8, np.array([0.5, 2.25, 6.7]), kind="linear")[0]),
        ("Interp sinc", lambda: ps.Interp(8, np.array([0.5, 2.25, 6.7]), kind="sinc")[0]),
        ("Bilinear", lambda: ps.Bilinear(np.array([[0.5, 2.2, 3.7], [1.5, 0.5, 3.1]]), (5, 6))),
        ("ChirpRadon2D", lambda: ps.ChirpRadon2D(np.arange(8.0), np.arange(6.0), 0.5)),
        ("FFT real=True", lambda: ps.FFT(8, real=True)),
        ("FFT real=True, nfft 10", lambda: ps.FFT(8, nfft=10, real=True)),
        ("FFT2D real=True", lambda: ps.FFT2D((4, 6), real=True)),
        ("FFTND real=True", lambda: ps.FFTND((4, 3, 4), real=True)),
        ("FFT dtype float64", lambda: ps.FFT(8, dtype="float64")),
        ("Real", lambda: pylops.Real(5, dtype="complex128")),
        ("Imag", lambda: pylops.Imag(5, dtype="complex128")),
        ("Conj", lambda: pylops.Conj(5, dtype="complex128")),
    ]
    complex_ = [
        ("MatrixMult complex", lambda: pylops.MatrixMult(_complex((6, 5)), dtype="complex128")),
        ("Diagonal complex", lambda: pylops.Diagonal(_complex(6))),
        ("FFT", lambda: ps.FFT(8)),
        ("FFT2D", lambda: ps.FFT2D((4, 6))),
        ("FFTND", lambda: ps.FFTND((4, 3, 4))),
        ("Convolve1D complex kernel", lambda: ps.Convolve1D(10, h=_complex(3), offset=1, dtype="complex128")),
        (
            "Convolve1D complex kernel, fft",
            lambda: ps.Convolve1D(10, h=_complex(3), offset=1, method="fft", dtype="complex128"),
        ),
        ("Convolve2D complex", lambda: ps.Convolve2D((6, 5), h=_complex((3, 3)), offset=(1, 1), dtype="complex128")),
        (
            "NonStationaryConvolve1D complex",
            lambda: ps.NonStationaryConvolve1D(10, _complex((2, 5)), ih=(2, 7), dtype="complex128"),
        ),
        ("ChirpRadon2D complex", lambda: ps.ChirpRadon2D(np.arange(8.0), np.arange(6.0), 0.5, dtype="complex128")),
        ("Shift complex", lambda: ps.Shift(8, 1.5, dtype="complex128")),
    ]
    float32 = [
        ("FirstDerivative float32", lambda: pylops.FirstDerivative((6, 5), axis=0, dtype="float32")),
        ("Convolve2D float32", lambda: ps.Convolve2D((6, 5), h=np.ones((3, 3)), offset=(1, 1), dtype="float32")),
        ("FFT2D real=True float32", lambda: ps.FFT2D((4, 6), real=True, dtype="float32")),
    ]
    entries = []
    for group, dtype in ((real, "float64"), (complex_, "complex128"), (float32, "float32")):
        for name, build in group:
            entries.append(E("PyLops", name, dtype, build))
    return entries


def sigpy_entries() -> list[Entry]:
    import sigpy.linop as L

    E = Entry
    coords = np.array([[0.3, -1.2], [2.5, 0.7], [-3.1, 2.9], [1.0, -2.5]])
    mps = _complex((2, 6, 6), seed=3)
    entries = [
        ("Identity", lambda: L.Identity((4, 5))),
        ("FFT", lambda: L.FFT((6, 6))),
        ("FFT centered=False", lambda: L.FFT((6, 5), center=False)),
        ("IFFT", lambda: L.IFFT((6, 6))),
        ("FFT axes=(-1,)", lambda: L.FFT((4, 6), axes=(-1,))),
        ("NUFFT", lambda: L.NUFFT((6, 6), coords)),
        ("NUFFT oversamp 1.5 width 3", lambda: L.NUFFT((6, 6), coords, oversamp=1.5, width=3)),
        ("NUFFTAdjoint", lambda: L.NUFFTAdjoint((6, 6), coords)),
        ("Interpolate spline", lambda: L.Interpolate((6, 6), coords + 3)),
        ("Interpolate kaiser_bessel", lambda: L.Interpolate((6, 6), coords + 3, kernel="kaiser_bessel")),
        ("Gridding", lambda: L.Gridding((6, 6), coords + 3)),
        ("Resize (crop)", lambda: L.Resize((3, 5), (4, 6))),
        ("Resize (zero-pad)", lambda: L.Resize((6, 8), (4, 6))),
        ("Wavelet db4", lambda: L.Wavelet((8, 8))),
        ("Wavelet haar level 2", lambda: L.Wavelet((8, 8), wave_name="haar", level=2)),
        ("InverseWavelet", lambda: L.InverseWavelet((8, 8), wave_name="haar")),
        ("Multiply (coil maps)", lambda: L.Multiply((6, 6), mps)),
        ("Multiply broadcast", lambda: L.Multiply((1, 6, 6), mps)),
        ("Sum", lambda: L.Sum((3, 4, 5), axes=(1,))),
        ("Tile", lambda: L.Tile((2, 4, 5), axes=(0,))),
        ("Reshape", lambda: L.Reshape((20,), (4, 5))),
        ("Transpose", lambda: L.Transpose((3, 4, 5), axes=(2, 0, 1))),
        ("Circshift", lambda: L.Circshift((6, 5), (2, -1))),
        ("Flip", lambda: L.Flip((6, 5), axes=(0,))),
        ("FiniteDifference", lambda: L.FiniteDifference((6, 5))),
        ("Gradient", lambda: L.Gradient((6, 5))),
        ("Downsample", lambda: L.Downsample((8, 6), (2, 3))),
        ("Upsample", lambda: L.Upsample((8, 6), (2, 3))),
        ("Slice", lambda: L.Slice((6, 5), (slice(1, 4), slice(None)))),
        ("Embed", lambda: L.Embed((6, 5), (slice(1, 4), slice(None)))),
        ("ArrayToBlocks", lambda: L.ArrayToBlocks((6, 6), (3, 3), (2, 2))),
        ("BlocksToArray", lambda: L.BlocksToArray((6, 6), (3, 3), (2, 2))),
        ("ConvolveData valid", lambda: L.ConvolveData((6, 6), _complex((3, 3)), mode="valid")),
        ("ConvolveData full", lambda: L.ConvolveData((6, 6), _complex((3, 3)), mode="full")),
        ("ConvolveFilter", lambda: L.ConvolveFilter((3, 3), _complex((6, 6)), mode="full")),
        ("ConvolveData multi-channel", lambda: L.ConvolveData((2, 6, 6), _complex((3, 2, 3, 3)), multi_channel=True)),
        ("MatMul", lambda: L.MatMul((5, 3), _complex((4, 5)))),
        ("RightMatMul", lambda: L.RightMatMul((4, 5), _complex((5, 3)))),
        ("Conj (of a Multiply)", lambda: L.Conj(L.Multiply((5,), _complex(5)))),
        ("Hstack", lambda: L.Hstack([L.Identity((5,)), L.FFT((5,))])),
        ("Vstack", lambda: L.Vstack([L.Identity((5,)), L.FFT((5,))])),
        ("Diag", lambda: L.Diag([L.Identity((5,)), L.FFT((5,))])),
        ("Compose (SENSE)", lambda: L.FFT((2, 6, 6), axes=(-1, -2)) * L.Multiply((6, 6), mps)),
        ("Add", lambda: L.FFT((5,)) + L.Identity((5,))),
        ("mri.linop.Sense", lambda: importlib.import_module("sigpy.mri").linop.Sense(mps)),
        ("mri.linop.Sense with coordinates", lambda: importlib.import_module("sigpy.mri").linop.Sense(mps, coords)),
    ]
    return [E("SigPy", name, "complex128", build) for name, build in entries]


def odl_entries() -> list[Entry]:
    import odl
    from odl.trafos import DiscreteFourierTransform, FourierTransform

    E = Entry
    X = odl.uniform_discr([0, 0], [1, 1], (8, 8))
    C = odl.uniform_discr([0, 0], [1, 1], (4, 4))
    L1 = odl.uniform_discr(-1, 1, 8)
    L1c = odl.uniform_discr(-1, 1, 8, dtype=complex)
    X32 = odl.uniform_discr([0, 0], [1, 1], (8, 8), dtype="float32")
    weighted = odl.rn(3, weighting=np.array([1.0, 2.0, 3.0]))
    weighted2 = odl.rn(2, weighting=np.array([0.5, 4.0]))
    P = odl.ProductSpace(C, odl.rn(3))
    Pw = odl.ProductSpace(C, odl.rn(3), weighting=[2.0, 3.0])
    entries = [
        ("IdentityOperator", lambda: odl.IdentityOperator(X)),
        ("ScalingOperator", lambda: odl.ScalingOperator(X, 2.5)),
        ("ZeroOperator", lambda: odl.ZeroOperator(X)),
        ("MultiplyOperator", lambda: odl.MultiplyOperator(X.element(np.arange(64.0).reshape(8, 8)))),
    ]
    for pad in ("constant", "symmetric", "periodic", "order0", "order1"):
        entries.append((f"Gradient pad_mode={pad}", lambda pad=pad: odl.Gradient(X, pad_mode=pad)))
    entries += [
        ("Gradient forward", lambda: odl.Gradient(X, method="forward")),
        ("Gradient backward", lambda: odl.Gradient(X, method="backward")),
        ("Divergence", lambda: odl.Divergence(odl.ProductSpace(X, 2))),
        ("Laplacian", lambda: odl.Laplacian(X)),
        ("PartialDerivative axis 0", lambda: odl.PartialDerivative(X, axis=0)),
        ("PartialDerivative axis 1 periodic", lambda: odl.PartialDerivative(X, axis=1, pad_mode="periodic")),
        ("Gradient float32", lambda: odl.Gradient(X32)),
        ("Resampling nearest (8x8 -> 4x4)", lambda: odl.Resampling(X, C, interp="nearest")),
        ("Resampling linear (8x8 -> 4x4)", lambda: odl.Resampling(X, C, interp="linear")),
        ("ResizingOperator (8x8 -> 10x10, zero pad)", lambda: odl.ResizingOperator(X, ran_shp=(10, 10))),
        ("ResizingOperator (8x8 -> 6x6, crop)", lambda: odl.ResizingOperator(X, ran_shp=(6, 6))),
        ("SamplingOperator", lambda: odl.SamplingOperator(X, [[0, 3, 7], [1, 4, 6]])),
        ("WeightedSumSamplingOperator", lambda: odl.WeightedSumSamplingOperator(X, [[0, 3, 7], [1, 4, 6]])),
        ("FlatteningOperator", lambda: odl.FlatteningOperator(X)),
        ("BroadcastOperator", lambda: odl.BroadcastOperator(odl.IdentityOperator(C), odl.ScalingOperator(C, 2.0))),
        ("ReductionOperator", lambda: odl.ReductionOperator(odl.IdentityOperator(C), odl.ScalingOperator(C, 2.0))),
        ("DiagonalOperator", lambda: odl.DiagonalOperator(odl.IdentityOperator(C), odl.ScalingOperator(C, 2.0))),
        ("ComponentProjection (C x R^3, 1)", lambda: odl.ComponentProjection(P, 1)),
        ("ComponentProjection (weighted [2, 3], 1)", lambda: odl.ComponentProjection(Pw, 1)),
        ("MatrixOperator (rn)", lambda: odl.MatrixOperator(np.arange(6.0).reshape(2, 3) + 1)),
        (
            "MatrixOperator (weighted rn)",
            lambda: odl.MatrixOperator(np.arange(6.0).reshape(2, 3) + 1, domain=weighted, range=weighted2),
        ),
        ("RealPart", lambda: odl.RealPart(L1c)),
        ("ImagPart", lambda: odl.ImagPart(L1c)),
        ("ComplexEmbedding", lambda: odl.ComplexEmbedding(L1)),
        ("DiscreteFourierTransform (real, halfcomplex)", lambda: DiscreteFourierTransform(L1)),
        ("DiscreteFourierTransform (complex)", lambda: DiscreteFourierTransform(L1c)),
        ("FourierTransform (real, halfcomplex)", lambda: FourierTransform(L1)),
        ("FourierTransform (complex)", lambda: FourierTransform(L1c)),
        ("FourierTransform 2-D (complex)", lambda: FourierTransform(X.complex_space)),
    ]
    try:
        import pywt  # noqa: F401

        entries.append(("WaveletTransform haar", lambda: odl.trafos.WaveletTransform(X, "haar", nlevels=1)))
    except ImportError:
        pass
    rows = []
    for name, build in entries:
        rows.append(E("ODL", name, "", build))
    return rows


def deepinv_entries() -> list[Entry]:
    import deepinv as dinv
    import torch

    E = Entry
    P = dinv.physics
    g = torch.Generator().manual_seed(0)
    blur = P.functional.blur.gaussian_blur(sigma=(0.8, 0.8))
    shape = (1, 1, 16, 16)
    color = (1, 3, 16, 16)
    entries = [
        ("Blur valid", lambda: P.Blur(filter=blur, padding="valid"), shape),
        ("Blur circular", lambda: P.Blur(filter=blur, padding="circular"), shape),
        ("Blur reflect", lambda: P.Blur(filter=blur, padding="reflect"), shape),
        ("Blur replicate", lambda: P.Blur(filter=blur, padding="replicate"), shape),
        ("Blur constant", lambda: P.Blur(filter=blur, padding="constant"), shape),
        ("BlurFFT", lambda: P.BlurFFT(img_size=(1, 16, 16), filter=blur), shape),
        ("Downsampling bicubic", lambda: P.Downsampling(img_size=(1, 16, 16), filter="bicubic", factor=2), shape),
        ("Downsampling gaussian", lambda: P.Downsampling(img_size=(1, 16, 16), filter="gaussian", factor=2), shape),
        ("Downsampling none", lambda: P.Downsampling(img_size=(1, 16, 16), filter=None, factor=2), shape),
        ("Upsampling", lambda: P.Upsampling(img_size=(1, 16, 16), filter="bicubic", factor=2), (1, 1, 8, 8)),
        ("Inpainting", lambda: P.Inpainting(img_size=(1, 16, 16), mask=0.5, rng=g), shape),
        ("CompressedSensing", lambda: P.CompressedSensing(m=40, img_size=(1, 8, 8), rng=g), (1, 1, 8, 8)),
        ("SinglePixelCamera", lambda: P.SinglePixelCamera(m=20, img_size=(1, 8, 8), rng=g), (1, 1, 8, 8)),
        ("Decolorize", lambda: P.Decolorize(), color),
        ("Denoising", lambda: P.Denoising(), shape),
        ("Demosaicing", lambda: P.Demosaicing(img_size=(3, 16, 16)), color),
        (
            "MRI",
            lambda: P.MRI(mask=(torch.rand(16, 16, generator=g) > 0.5).float(), img_size=(2, 16, 16)),
            (1, 2, 16, 16),
        ),
        (
            "MultiCoilMRI",
            lambda: P.MultiCoilMRI(
                mask=(torch.rand(16, 16, generator=g) > 0.5).float(), coil_maps=2, img_size=(2, 16, 16)
            ),
            (1, 2, 16, 16),
        ),
        ("Tomography", lambda: P.Tomography(angles=10, img_width=16), shape),
        ("Tomography fan beam", lambda: P.Tomography(angles=10, img_width=16, fan_beam=True), shape),
        (
            "SpaceVaryingBlur",
            lambda: P.SpaceVaryingBlur(
                filters=torch.rand(1, 1, 2, 3, 3, generator=g), multipliers=torch.rand(1, 1, 2, 16, 16, generator=g)
            ),
            shape,
        ),
        ("Pansharpen", lambda: P.Pansharpen(img_size=(3, 16, 16), factor=2), color),
        (
            "CompressiveSpectralImaging",
            lambda: P.CompressiveSpectralImaging(img_size=(3, 8, 8), rng=g),
            (1, 3, 8, 8),
        ),
        (
            "StructuredRandom",
            lambda: P.StructuredRandom(img_size=(1, 8, 8), output_size=(1, 8, 8), rng=g),
            (1, 1, 8, 8),
        ),
    ]
    return [E("deepinv", name, "float32", build, input_shape) for name, build, input_shape in entries]


CATALOGUES: dict[str, Callable[[], list[Entry]]] = {
    "pylops": pylops_entries,
    "sigpy": sigpy_entries,
    "odl": odl_entries,
    "deepinv": deepinv_entries,
}


# -- independent checks of a failure -------------------------------------------------------------
def _own_dot_test(entry: Entry, obj: Any) -> str:
    """The library's own dot test (or, for SigPy, which has none, one with NumPy's vdot)."""
    rng = _rng(7)
    if entry.library == "PyLops":
        import pylops

        complexflag = 0
        if np.iscomplexobj(np.zeros(1, obj.dtype)):
            complexflag = 3 if getattr(obj, "clinear", True) else 2
        passed = pylops.utils.dottest(obj, complexflag=complexflag, raiseerror=False, rtol=1e-6)
        return f"PyLops dottest {'passes' if passed else 'fails'}"
    if entry.library == "ODL":
        x = obj.domain.element(_random_like(obj.domain, rng))
        y = obj.range.element(_random_like(obj.range, rng))
        lhs, rhs = complex(obj.range.inner(obj(x), y)), complex(obj.domain.inner(x, obj.adjoint(y)))
        if obj.domain.is_real or obj.range.is_real:
            lhs, rhs = lhs.real, rhs.real
        return f"ODL's inner products: <Ax,y> = {lhs:.4g}, <x,A*y> = {rhs:.4g}"
    if entry.library == "SigPy":
        x, y = _complex(tuple(obj.ishape), 8), _complex(tuple(obj.oshape), 9)
        lhs, rhs = np.vdot(y, obj(x)), np.vdot(obj.H(y), x)
        return f"NumPy dot test: <Ax,y> = {lhs:.4g}, <x,A^H y> = {rhs:.4g}"
    if entry.library == "deepinv":
        import torch

        u = torch.randn(entry.input_shape, generator=torch.Generator().manual_seed(3))
        return f"deepinv adjointness_test = {float(obj.adjointness_test(u)):.3g}"
    return ""


def _random_like(space: Any, rng: np.random.Generator) -> Any:
    import odl

    if isinstance(space, odl.ProductSpace):
        return [_random_like(s, rng) for s in space.spaces]
    a = rng.standard_normal(space.shape)
    return a + 1j * rng.standard_normal(space.shape) if space.is_complex else a


def _dense_confirmation(report: Any) -> str:
    """What the explicit matrices of the library's own calls show (from the matrix check when it ran)."""
    if "matrix" in report and not report["matrix"].skipped and not report["matrix"].passed:
        d = report["matrix"].details
        return f"{d.get('wrong_entries', '?')} of {d.get('entries', '?')} matrix entries differ"
    return ""


# -- running -------------------------------------------------------------------------------------
def audit_entry(entry: Entry, seed: int = 0) -> Row:
    """Build one operator, verify it in its spaces and in Euclidean ones, and check a failure independently."""
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            obj = entry.build()
        except Exception as exc:
            return Row(entry.library, entry.name, entry.dtype, "not built", message=f"{type(exc).__name__}: {exc}")
        options: dict[str, Any] = {"seed": seed}
        if entry.input_shape is not None:
            options["input_shape"] = entry.input_shape
        if entry.verify_dtype is not None:
            options["dtype"] = entry.verify_dtype
        try:
            report = linop.verify(obj, **options)
            euclidean = linop.verify(obj, domain=Space(), range=Space(), scalars="complex", **options)
        except Exception as exc:
            return Row(entry.library, entry.name, entry.dtype, "not verified", message=f"{type(exc).__name__}: {exc}")
        dtype = entry.dtype or str(report.dtype)
        row = Row(
            entry.library,
            entry.name,
            dtype,
            "pass" if report.passed else "FAIL",
            failed=[c.name for c in report.failed],
            euclidean="pass" if euclidean.passed else "FAIL",
            spaces=report.inner_products["text"] if report.inner_products["source"] != "default" else "Euclidean",
            message=report.failed[0].message if report.failed else "",
        )
        if not report.passed:
            try:
                own = _own_dot_test(entry, obj)
            except Exception as exc:
                own = f"own dot test raised {type(exc).__name__}: {exc}"
            row.confirmed = "; ".join(part for part in (own, _dense_confirmation(report)) if part)
    row.seconds = time.perf_counter() - start
    return row


def entries_for(libraries: list[str], only: str | None = None) -> tuple[list[Entry], list[str]]:
    """The entries of the libraries that import, and a note for each that does not."""
    entries, notes = [], []
    for library in libraries:
        try:
            found = CATALOGUES[library]()
        except Exception as exc:
            notes.append(f"{library}: not audited ({type(exc).__name__}: {exc})")
            continue
        entries += [e for e in found if only is None or only.lower() in e.name.lower()]
    return entries, notes


def versions(libraries: list[str]) -> dict[str, str]:
    out = {"python": platform.python_version(), "linop": linop.__version__, "numpy": np.__version__}
    for name in ("torch", *libraries):
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def table(rows: list[Row]) -> str:
    """The plain-text table: library, operator, dtype, verdict, euclidean verdict, failed checks."""
    header = ("library", "operator", "dtype", "verdict", "euclidean", "failed checks")
    cells = [header] + [(r.library, r.operator, r.dtype, r.verdict, r.euclidean, ",".join(r.failed)) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(header))]
    return "\n".join("  ".join(c[i].ljust(widths[i]) for i in range(len(header))).rstrip() for c in cells)


def summary(rows: list[Row]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for r in rows:
        c = counts.setdefault(r.library, {"operators": 0, "pass": 0, "FAIL": 0, "false alarms removed": 0})
        c["operators"] += 1
        c[r.verdict] = c.get(r.verdict, 0) + 1
        if r.verdict == "pass" and r.euclidean == "FAIL":
            c["false alarms removed"] += 1
    return counts


def markdown(rows: list[Row], meta: dict) -> str:
    lines = [
        f"Run {meta['date']} ({', '.join(f'{k} {v}' for k, v in meta['versions'].items())}), seed {meta['seed']}.",
        "",
        "| library | operator | dtype | verdict | Euclidean only | failed checks | spaces |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        verdict = f"**{r.verdict}**" if r.verdict != "pass" else r.verdict
        lines.append(
            f"| {r.library} | {r.operator} | {r.dtype} | {verdict} | {r.euclidean} | {', '.join(r.failed)} | "
            f"{r.spaces.replace('|', '/')} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--libraries", default=",".join(LIBRARIES), help=f"comma-separated, from {LIBRARIES}")
    parser.add_argument("--only", default=None, help="only operators whose name contains this text")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--markdown", default=None, help="write the table as Markdown to this file")
    parser.add_argument("--json", default=None, help="write every row as JSON to this file")
    args = parser.parse_args(argv)
    libraries = [name.strip().lower() for name in args.libraries.split(",") if name.strip()]
    unknown = [name for name in libraries if name not in CATALOGUES]
    if unknown:
        print(f"audit_catalogues: unknown library {unknown[0]!r}; allowed: {', '.join(LIBRARIES)}", file=sys.stderr)
        return 2
    entries, notes = entries_for(libraries, args.only)
    rows = []
    for entry in entries:
        rows.append(audit_entry(entry, seed=args.seed))
        print(f"  {rows[-1].library}: {rows[-1].operator}: {rows[-1].verdict} ({rows[-1].seconds:.2f} s)", flush=True)
    meta = {"date": datetime.date.today().isoformat(), "versions": versions(libraries), "seed": args.seed}
    print()
    print(table(rows))
    print()
    for note in notes:
        print(note)
    for library, counts in summary(rows).items():
        print(f"{library}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    failures = [r for r in rows if r.verdict != "pass"]
    if failures:
        print("\nfailures (first failed check; independent confirmation):")
        for r in failures:
            print(f"- {r.library} {r.operator} [{r.dtype}]: {r.message}")
            if r.confirmed:
                print(f"    confirmed: {r.confirmed}")
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(markdown(rows, meta))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "rows": [asdict(r) for r in rows], "notes": notes}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
