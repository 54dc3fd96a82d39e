"""How torch's dtypes meet NumPy's: a tensor's values as a NumPy array, and the dtype a result returns in.

NumPy has no bfloat16, float8 or complex32: such tensors are widened to a dtype that
holds every value exactly (float32, complex64) on their way to NumPy, and results come
back in the tensor's own dtype (complex of its precision for a complex result).
"""

from __future__ import annotations

import numpy as np

from .frameworks import require

__all__ = ["result_tensor_dtype", "tensor_to_numpy"]


def _torch():
    return require("torch", "torch")


def tensor_to_numpy(t) -> np.ndarray:
    """A tensor's values as a NumPy array (detached, conjugation and negation bits resolved, on the CPU).

    A dtype NumPy has no equivalent for is widened first to one that holds every value
    exactly: bfloat16 and the float8 types to float32, complex32 to complex64.
    """
    torch = _torch()
    t = t.detach()
    if t.dtype == torch.complex32:
        t = t.to(torch.complex64)
    elif t.is_floating_point() and t.dtype not in (torch.float16, torch.float32, torch.float64):
        t = t.to(torch.float32)
    return t.resolve_conj().resolve_neg().cpu().numpy()


def result_tensor_dtype(tensor_dtype, computed_dtype):
    """The dtype ``A t`` is returned in: ``t``'s, complex of its precision when the result is complex.

    Integer and boolean tensors get ``computed_dtype``, the torch dtype the operator computed in.
    """
    torch = _torch()
    if not (tensor_dtype.is_floating_point or tensor_dtype.is_complex):
        return computed_dtype
    if computed_dtype.is_complex and not tensor_dtype.is_complex:
        return torch.complex64 if tensor_dtype in (torch.float32, torch.float16, torch.bfloat16) else torch.complex128
    return tensor_dtype
