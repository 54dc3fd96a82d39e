"""Build of linop's one compiled extension; everything else is declared in pyproject.toml.

``linop.backends._shifted`` holds the implicit-GEMM convolution kernels
(``linop/backends/_kernels/shifted.c``). It is optional: where no C compiler is found the
install goes on without it and the convolution backends use their NumPy paths, which
compute the same numbers more slowly (``linop.backends.compiled.instruction_set()`` then
returns ``None``).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "linop.backends._shifted",
            sources=["linop/backends/_kernels/shifted.c"],
            depends=["linop/backends/_kernels/shifted_template.h"],
            extra_compile_args=["-O3", "-fno-strict-aliasing"],
            optional=True,
        )
    ]
)
