/* Shifted products ("implicit GEMM") for linop's convolution backends.
 *
 * For runs ("lines") l of n pixels,
 *
 *     dst[dst_line[l] + p dps + f]  (+)=  sum_t sum_c  src[t][src_line[l] + p sps + c] * w[t, c, f]
 *
 * with w of shape (ntaps, kc, Nw), contiguous, its columns past N zero (Nw: N rounded up
 * to whole vectors, see linop_shifted_lanes), and wtr (ntaps, N, kc) its transpose or NULL.
 * The forward correlation is one call per group (taps: kernel taps; c: input channels of
 * the group); a depthwise layer (one input and one output channel per group) is one call
 * of linop_depthwise_*, with vectors along the groups;
 * the adjoint is one call per polyphase component of the input (taps: the kernel taps
 * that reach it; c: output channels). The caller guarantees every index is in bounds
 * (linop.backends.compiled checks each call's extent before it is made). Optional tap
 * ranges tlo, thi (or NULL) say that tap t reads y only for pixels tlo[t] <= p < thi[t]
 * of every run, its pointer lying outside y elsewhere: allowed on the one-channel path
 * (one input and one output channel), which then needs no zero border around y. (The
 * few-column path was measured slower that way than with the bordered copy.) The entries
 * return 0, or -1 for impossible sizes and -2 for an instruction set the CPU lacks.
 *
 * The file is compiled three times over through shifted_template.h: AVX-512, AVX2 + FMA
 * and the baseline instruction set, each for float and double; linop_shifted_isa() tells
 * which one this CPU runs (chosen once, by the CPU's own report). The module init only
 * exists so that the build tools treat the library as an extension module; Python reaches
 * the functions through ctypes, which releases the GIL for the call. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>
#include <string.h>

typedef ptrdiff_t idx;
#define MAX_TAPS 4096

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define LINOP_X86 1
#endif


#ifdef LINOP_X86
#define T float
#define IT int
#define VL 16
#define MR 12
#define MR4 6
#define NARROW_ACC 24
#define SUF f32_avx512
#define ATTR __attribute__((target("avx512f,avx512vl,fma")))
#include "shifted_template.h"

#define T double
#define IT long long
#define VL 8
#define MR 12
#define MR4 6
#define NARROW_ACC 24
#define SUF f64_avx512
#define ATTR __attribute__((target("avx512f,avx512vl,fma")))
#include "shifted_template.h"

#define T float
#define IT int
#define VL 8
#define MR 6
#define MR4 3
#define NARROW_ACC 12
#define SUF f32_avx2
#define ATTR __attribute__((target("avx2,fma")))
#include "shifted_template.h"

#define T double
#define IT long long
#define VL 4
#define MR 6
#define MR4 3
#define NARROW_ACC 12
#define SUF f64_avx2
#define ATTR __attribute__((target("avx2,fma")))
#include "shifted_template.h"
#endif

#define T float
#define IT int
#define VL 4
#define MR 6
#define MR4 3
#define NARROW_ACC 12
#define SUF f32_base
#define ATTR
#include "shifted_template.h"

#define T double
#define IT long long
#define VL 2
#define MR 6
#define MR4 3
#define NARROW_ACC 12
#define SUF f64_base
#define ATTR
#include "shifted_template.h"

/* 2: AVX-512, 1: AVX2 + FMA, 0: baseline */
static int detect_isa(void)
{
#ifdef LINOP_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl"))
        return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return 1;
#endif
    return 0;
}

static int cpu_isa = -1;

int linop_shifted_isa(void)
{
    if (cpu_isa < 0)
        cpu_isa = detect_isa(); /* idempotent: a race only computes it twice */
    return cpu_isa;
}

int linop_shifted_max_taps(void) { return MAX_TAPS; }

/* lanes of one vector of the kernels for instruction set isa and 32- or 64-bit floats */
int linop_shifted_lanes(int isa, int bits)
{
    const int bytes = isa == 2 ? 64 : isa == 1 ? 32 : 16;
    return bytes * 8 / bits;
}

#ifdef LINOP_X86
#define DISPATCH(TYPE, BITS)                                                                  \
    if (isa == 2)                                                                             \
        lines_f##BITS##_avx512(nlines, src_line, dst_line, n, src, ntaps, kc, w, wtr, N, Nw, sps, dst, dps, accumulate, tlo, thi); \
    else if (isa == 1)                                                                        \
        lines_f##BITS##_avx2(nlines, src_line, dst_line, n, src, ntaps, kc, w, wtr, N, Nw, sps, dst, dps, accumulate, tlo, thi); \
    else                                                                                      \
        lines_f##BITS##_base(nlines, src_line, dst_line, n, src, ntaps, kc, w, wtr, N, Nw, sps, dst, dps, accumulate, tlo, thi);
#else
#define DISPATCH(TYPE, BITS) \
    lines_f##BITS##_base(nlines, src_line, dst_line, n, src, ntaps, kc, w, wtr, N, Nw, sps, dst, dps, accumulate, tlo, thi);
#endif

#define ENTRY(TYPE, BITS)                                                                     \
    int linop_shifted_f##BITS(int isa, idx nlines, const idx *src_line, const idx *dst_line, idx n,   \
                              const TYPE *const *src, int ntaps, int kc, const TYPE *w, const TYPE *wtr, \
                              idx N, idx Nw, idx sps, TYPE *dst, idx dps, int accumulate,      \
                              const idx *tlo, const idx *thi)                                  \
    {                                                                                         \
        if (ntaps < 1 || ntaps > MAX_TAPS || kc < 1 || N < 1 || Nw < N || n < 0 || nlines < 0) \
            return -1;                                                                        \
        if ((tlo != NULL) != (thi != NULL))                                                   \
            return -1;                                                                        \
        if (tlo && !(N == 1 && kc == 1))                                                      \
            return -1; /* tap ranges only on the one-channel path */                          \
        if (isa < 0 || isa > linop_shifted_isa()) /* never an instruction the CPU lacks */     \
            return -2;                                                                        \
        DISPATCH(TYPE, BITS)                                                                  \
        return 0;                                                                             \
    }

ENTRY(float, 32)
ENTRY(double, 64)

#ifdef LINOP_X86
#define DISPATCH_DW(BITS)                                                                     \
    if (isa == 2)                                                                             \
        depthwise_lines_f##BITS##_avx512(nlines, src_line, dst_line, n, src, ntaps, w, G, sps, dst, dps, accumulate); \
    else if (isa == 1)                                                                        \
        depthwise_lines_f##BITS##_avx2(nlines, src_line, dst_line, n, src, ntaps, w, G, sps, dst, dps, accumulate); \
    else                                                                                      \
        depthwise_lines_f##BITS##_base(nlines, src_line, dst_line, n, src, ntaps, w, G, sps, dst, dps, accumulate);
#else
#define DISPATCH_DW(BITS) \
    depthwise_lines_f##BITS##_base(nlines, src_line, dst_line, n, src, ntaps, w, G, sps, dst, dps, accumulate);
#endif

/* depthwise: dst[dst_line[l] + p dps + g] (+)= sum_t src[t][src_line[l] + p sps + g] w[t, g],
 * w of shape (ntaps, G), contiguous */
#define ENTRY_DW(TYPE, BITS)                                                                  \
    int linop_depthwise_f##BITS(int isa, idx nlines, const idx *src_line, const idx *dst_line, idx n, \
                                const TYPE *const *src, int ntaps, const TYPE *w, idx G, idx sps,   \
                                TYPE *dst, idx dps, int accumulate)                           \
    {                                                                                         \
        if (ntaps < 1 || ntaps > MAX_TAPS || G < 1 || n < 0 || nlines < 0)                    \
            return -1;                                                                        \
        if (isa < 0 || isa > linop_shifted_isa())                                             \
            return -2;                                                                        \
        DISPATCH_DW(BITS)                                                                     \
        return 0;                                                                             \
    }

ENTRY_DW(float, 32)
ENTRY_DW(double, 64)

static struct PyModuleDef shifted_module = {
    PyModuleDef_HEAD_INIT, "_shifted",
    "Compiled shifted-product kernels of linop, called through ctypes (see linop.backends.compiled).",
    -1, NULL, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__shifted(void) { return PyModule_Create(&shifted_module); }
