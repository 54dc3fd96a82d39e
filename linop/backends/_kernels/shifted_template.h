/* One instantiation of the shifted-product kernel, included by shifted.c once per
 * (scalar type, instruction set). Expects the macros
 *   T     scalar type             VL   lanes per vector
 *   MR    pixels per tile         SUF  suffix of the function names
 *   ATTR  target attribute of the functions (empty for the baseline)
 *   IT    integer type of T's size (lane masks)
 *   MR4   pixels per tile of four vectors
 *   NARROW_ACC  accumulators of the few-column path
 * and undefines them at its end, ready for the next instantiation.
 *
 * Every function computes, for pixels p of a run and columns f,
 *
 *     dst[p dps + f]  (+)=  sum_t sum_c  src_t[p sps + c] * w[t, c, f]
 *
 * where src_t = src[t] is the first element tap t reads: a matrix product whose left
 * operand is never formed (an "implicit GEMM"). Vectors run along f; every input value
 * is broadcast once per tile and meets MR pixels x (1 or 2) vectors of columns. */
#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define V CAT(vec_, SUF)
/* tiles keep their accumulators in registers only when every loop over them is unrolled */
#define UNROLL _Pragma("GCC unroll 32")
#define UV CAT(uvec_, SUF)
#define LOADV(p) (*(const UV *)(p))
#define STOREV(p, v) (*(UV *)(p) = (v))

#ifndef LINOP_FULL_TILES
#define LINOP_FULL_TILES
/* full tiles of m pixels in a run of n, the rest going to small tiles of `small`: one
 * full tile fewer when that leaves fewer pixels computed twice */
static inline idx full_tiles(idx n, idx m, idx small)
{
    const idx most = n / m;
    if (most == 0)
        return 0;
    const idx rest = n - most * m, wasted = (small - rest % small) % small;
    const idx rest1 = rest + m, wasted1 = (small - rest1 % small) % small;
    return wasted1 < wasted ? most - 1 : most;
}

#endif

typedef T V __attribute__((vector_size(VL * sizeof(T))));
typedef T UV __attribute__((vector_size(VL * sizeof(T)), aligned(sizeof(T)), may_alias));

/* M pixels x NV vectors of columns, every input value broadcast once per tile. Full tiles
 * (STEP = 1) read pixel i at ro[0] + i sps; small tiles (STEP = 0) at ro[i] (the last pixel
 * repeated past a run's end). Only the first mr pixels are stored, to rd[i], and of the
 * last vector only its first `lanes` columns (the weights' rows, Nw long, are zero-padded
 * to whole vectors). */
#define TILE(NAME, M, NV, STEP)                                                                   \
    ATTR static void NAME(const T *const *src, int ntaps, int kc, const T *w, idx wts, idx Nw,      \
                          idx sps, const idx *ro, T *dst, const idx *rd, int mr, int lanes,        \
                          int accumulate)                                                         \
    {                                                                                             \
        V acc[M][NV];                                                                             \
        UNROLL for (int i = 0; i < M; i++)                                                        \
            UNROLL for (int v = 0; v < NV; v++)                                                   \
                acc[i][v] = (V){0};                                                               \
        for (int t = 0; t < ntaps; t++) {                                                         \
            const T *s = src[t];                                                                  \
            const T *wt = w + t * wts;                                                            \
            for (int c = 0; c < kc; c++) {                                                        \
                V b[NV];                                                                          \
                UNROLL for (int v = 0; v < NV; v++)                                               \
                    b[v] = LOADV(wt + c * Nw + v * VL);                                           \
                const T *q = s + (STEP ? ro[0] : 0) + c;                                          \
                UNROLL for (int i = 0; i < M; i++) {                                              \
                    const T a = STEP ? *q : s[ro[i] + c];                                         \
                    q += sps;                                                                     \
                    UNROLL for (int v = 0; v < NV; v++)                                           \
                        acc[i][v] += a * b[v];                                                    \
                }                                                                                 \
            }                                                                                     \
        }                                                                                         \
        UNROLL for (int i = 0; i < M; i++) {                                                      \
            if (i >= mr)                                                                          \
                break;                                                                            \
            T *d = dst + rd[i];                                                                   \
            UNROLL for (int v = 0; v < NV; v++) {                                                 \
                if (v == NV - 1 && lanes < VL) {                                                  \
                    const V last = acc[i][v];                                                     \
                    T part[VL];                                                                   \
                    memcpy(part, &last, sizeof last);                                             \
                    for (int l = 0; l < lanes; l++)                                               \
                        d[v * VL + l] = accumulate ? d[v * VL + l] + part[l] : part[l];           \
                    continue;                                                                     \
                }                                                                                 \
                if (accumulate)                                                                   \
                    acc[i][v] += LOADV(d + v * VL);                                               \
                STOREV(d + v * VL, acc[i][v]);                                                    \
            }                                                                                     \
        }                                                                                         \
    }

/* full tiles of each width, and small tiles of SMALL pixels for the rest of a run (at
 * most SMALL - 1 pixels are computed twice per run) */
#define SMALL 4
TILE(CAT(tile4_, SUF), MR4, 4, 1)
TILE(CAT(tile4s_, SUF), SMALL, 4, 0)
TILE(CAT(tile2_, SUF), MR, 2, 1)
TILE(CAT(tile2s_, SUF), SMALL, 2, 0)
TILE(CAT(tile1_, SUF), 2 * MR, 1, 1)
TILE(CAT(tile1s_, SUF), SMALL, 1, 0)
#undef TILE

/* the sum of a vector's lanes: the vector plus itself rotated by half, a quarter, ...
 * (log2(VL) shuffles and adds, all in registers: taking the address of an accumulator
 * would make the compiler keep every accumulator of the loop in memory) */
typedef IT CAT(mask_, SUF) __attribute__((vector_size(VL * sizeof(T))));
#define R(h, l) (((l) + (h)) % VL)
#if VL == 16
#define ROT(h) {R(h, 0), R(h, 1), R(h, 2), R(h, 3), R(h, 4), R(h, 5), R(h, 6), R(h, 7),                 \
                R(h, 8), R(h, 9), R(h, 10), R(h, 11), R(h, 12), R(h, 13), R(h, 14), R(h, 15)}
#elif VL == 8
#define ROT(h) {R(h, 0), R(h, 1), R(h, 2), R(h, 3), R(h, 4), R(h, 5), R(h, 6), R(h, 7)}
#elif VL == 4
#define ROT(h) {R(h, 0), R(h, 1), R(h, 2), R(h, 3)}
#else
#define ROT(h) {R(h, 0), R(h, 1)}
#endif

ATTR static inline T CAT(lanes_sum_, SUF)(V x)
{
#if defined(__clang__) /* no __builtin_shuffle: a plain sum of the lanes */
    T sum = 0;
    for (int l = 0; l < VL; l++)
        sum += x[l];
    return sum;
#else
#if VL >= 16
    x += __builtin_shuffle(x, (CAT(mask_, SUF))ROT(8));
#endif
#if VL >= 8
    x += __builtin_shuffle(x, (CAT(mask_, SUF))ROT(4));
#endif
#if VL >= 4
    x += __builtin_shuffle(x, (CAT(mask_, SUF))ROT(2));
#endif
    x += __builtin_shuffle(x, (CAT(mask_, SUF))ROT(1));
    return x[0];
#endif
}
#undef ROT
#undef R

/* columns [f0, f1) of pixels [0, n): scalar loops (column remainders; N is the weights'
 * row length here) */
ATTR static void CAT(plain_, SUF)(const T *const *src, int ntaps, int kc, const T *w, idx wts, idx N,
                                  idx n, idx sps, idx f0, idx f1, T *dst, idx dps, int accumulate)
{
    for (idx p = 0; p < n; p++) {
        T *d = dst + p * dps;
        for (idx f = f0; f < f1; f++) {
            T sum = 0;
            for (int t = 0; t < ntaps; t++) {
                const T *s = src[t] + p * sps;
                const T *wt = w + t * wts + f;
                for (int c = 0; c < kc; c++)
                    sum += s[c] * wt[c * N];
            }
            d[f] = accumulate ? d[f] + sum : sum;
        }
    }
}

/* the pixels [b0, b1) of [0, n) that every tap reads inside y: [max tlo, min thi) */
static inline void CAT(common_range_, SUF)(int ntaps, const idx *tlo, const idx *thi, idx n, idx *b0, idx *b1)
{
    idx lo = 0, hi = n;
    for (int t = 0; t < ntaps; t++) {
        lo = tlo[t] > lo ? tlo[t] : lo;
        hi = thi[t] < hi ? thi[t] : hi;
    }
    *b0 = lo < n ? lo : n;
    *b1 = hi > *b0 ? hi : *b0;
}

/* few columns (NN <= 4, a compile-time count), at least VL contracted channels: vectors
 * along c, one sum per pixel and column at the end; PT pixels at a time share the
 * weight loads. wtr is w transposed, (ntaps, NN, kc). */
#define NARROW_PIXELS(NN, PT)                                                                     \
    for (; p + PT <= n; p += PT) {                                                                \
        V acc[PT][NN];                                                                            \
        T tail[PT][NN];                                                                           \
        UNROLL for (int i = 0; i < PT; i++)                                                       \
            UNROLL for (int f = 0; f < NN; f++) {                                                 \
                acc[i][f] = (V){0};                                                               \
                tail[i][f] = 0;                                                                   \
            }                                                                                     \
        for (int t = 0; t < ntaps; t++) {                                                         \
            const T *s = src[t] + p * sps;                                                        \
            const T *wt = wtr + (idx)t * NN * kc;                                                 \
            for (int c = 0; c < kv; c += VL) {                                                    \
                V b[NN];                                                                          \
                UNROLL for (int f = 0; f < NN; f++)                                               \
                    b[f] = LOADV(wt + f * kc + c);                                                \
                UNROLL for (int i = 0; i < PT; i++) {                                             \
                    V a = LOADV(s + i * sps + c);                                                 \
                    UNROLL for (int f = 0; f < NN; f++)                                           \
                        acc[i][f] += a * b[f];                                                    \
                }                                                                                 \
            }                                                                                     \
        }                                                                                         \
        for (int t = 0; kv < kc && t < ntaps; t++) {  /* channels past the last whole vector */   \
            const T *s = src[t] + p * sps;                                                        \
            const T *wt = wtr + (idx)t * NN * kc;                                                 \
            for (int c = kv; c < kc; c++)                                                         \
                UNROLL for (int i = 0; i < PT; i++)                                               \
                    UNROLL for (int f = 0; f < NN; f++)                                           \
                        tail[i][f] += s[i * sps + c] * wt[f * kc + c];                            \
        }                                                                                         \
        UNROLL for (int i = 0; i < PT; i++) {                                                     \
            T *d = dst + (p + i) * dps;                                                           \
            UNROLL for (int f = 0; f < NN; f++) {                                                 \
                const T sum = tail[i][f] + CAT(lanes_sum_, SUF)(acc[i][f]);                      \
                d[f] = accumulate ? d[f] + sum : sum;                                             \
            }                                                                                     \
        }                                                                                         \
    }

#define NARROW(NAME, NN)                                                                          \
    ATTR static void NAME(const T *const *src, int ntaps, int kc, const T *wtr, idx n, idx sps,     \
                          T *dst, idx dps, int accumulate)                                          \
    {                                                                                             \
        const int kv = kc - kc % VL;                                                              \
        idx p = 0;                                                                                \
        NARROW_PIXELS(NN, (NARROW_ACC / NN < 8 ? NARROW_ACC / NN : 8))                           \
        NARROW_PIXELS(NN, 1)                                                                      \
    }

NARROW(CAT(narrow1_, SUF), 1)
NARROW(CAT(narrow2_, SUF), 2)
NARROW(CAT(narrow3_, SUF), 3)
NARROW(CAT(narrow4_, SUF), 4)
#undef NARROW
#undef NARROW_PIXELS

/* one input and one output channel: a multiply-add per tap along the run (vectorised by
 * the compiler for unit and double steps) */
ATTR static void CAT(single_body_, SUF)(const T *const *src, int ntaps, const T *w, idx n, idx sps,
                                        T *dst, idx dps, int accumulate);

/* with tap ranges: the pixels outside [b0, b1) one at a time, skipping the taps that would
 * read outside y; [b0, b1) in vectorised passes */
ATTR static void CAT(single_, SUF)(const T *const *src, int ntaps, const T *w, idx n, idx sps,
                                   T *dst, idx dps, int accumulate, const idx *tlo, const idx *thi)
{
    idx b0 = 0, b1 = n;
    if (tlo)
        CAT(common_range_, SUF)(ntaps, tlo, thi, n, &b0, &b1);
    for (idx p = 0; p < n; p++) {
        if (p == b0 && b1 > b0) { /* jump over the body */
            p = b1 - 1;
            continue;
        }
        T sum = 0;
        for (int t = 0; t < ntaps; t++)
            if (p >= tlo[t] && p < thi[t])
                sum += w[t] * src[t][p * sps];
        dst[p * dps] = accumulate ? dst[p * dps] + sum : sum;
    }
    if (b1 > b0) {
        const T *moved[MAX_TAPS];
        for (int t = 0; t < ntaps; t++)
            moved[t] = src[t] + b0 * sps;
        CAT(single_body_, SUF)(moved, ntaps, w, b1 - b0, sps, dst + b0 * dps, dps, accumulate);
    }
}

ATTR static void CAT(single_body_, SUF)(const T *const *src, int ntaps, const T *w, idx n, idx sps,
                                        T *dst, idx dps, int accumulate)
{
    enum { BLOCK = 1024 };
    T buf[BLOCK];
    for (idx p0 = 0; p0 < n; p0 += BLOCK) {
        idx m = n - p0 < BLOCK ? n - p0 : BLOCK;
        for (idx p = 0; p < m; p++)
            buf[p] = 0;
        for (int t = 0; t < ntaps; t++) {
            const T *s = src[t] + p0 * sps;
            const T wt = w[t];
            if (sps == 1)
                for (idx p = 0; p < m; p++)
                    buf[p] += wt * s[p];
            else if (sps == 2)
                for (idx p = 0; p < m; p++)
                    buf[p] += wt * s[2 * p];
            else
                for (idx p = 0; p < m; p++)
                    buf[p] += wt * s[p * sps];
        }
        T *d = dst + p0 * dps;
        if (dps == 1 && accumulate)
            for (idx p = 0; p < m; p++)
                d[p] += buf[p];
        else if (dps == 1)
            for (idx p = 0; p < m; p++)
                d[p] = buf[p];
        else
            for (idx p = 0; p < m; p++)
                d[p * dps] = accumulate ? d[p * dps] + buf[p] : buf[p];
    }
}

/* offsets of a small tile at pixel p of a run of nb; past the end the last pixel is
 * repeated (computed, not stored). Returns the pixels to store. */
static inline int CAT(small_rows_, SUF)(idx p, idx nb, idx sps, idx dps, idx *ro, idx *rd)
{
    const int mr = nb - p < SMALL ? (int)(nb - p) : SMALL;
    for (int i = 0; i < SMALL; i++) {
        const idx q = p + (i < mr ? i : mr - 1);
        ro[i] = q * sps;
        rd[i] = q * dps;
    }
    return mr;
}

/* column blocks of NV vectors while COND holds, LANES columns stored of the last vector:
 * full tiles of M pixels, then small tiles */
#define COLUMNS(NV, M, FULL, SMALLTILE, COND, LANES)                                              \
    for (; COND; f += NV * VL) {                                                                  \
        idx p = 0;                                                                                \
        const int lanes = LANES;                                                                  \
        const idx full = full_tiles(nb, M, SMALL) * (M);                                          \
        for (; p < full; p += M) {                                                                \
            ro[0] = p * sps;                                                                      \
            for (int i = 0; i < M; i++)                                                           \
                rd[i] = (p + i) * dps;                                                            \
            CAT(FULL, SUF)(moved, ntaps, kc, w + f, wts, Nw, sps, ro, dblock + f, rd, M, lanes, accumulate); \
        }                                                                                         \
        for (; p < nb; p += SMALL) {                                                              \
            const int mr = CAT(small_rows_, SUF)(p, nb, sps, dps, ro, rd);                        \
            CAT(SMALLTILE, SUF)(moved, ntaps, kc, w + f, wts, Nw, sps, ro, dblock + f, rd, mr, lanes, accumulate); \
        }                                                                                         \
    }

/* one run of n pixels; the weights' rows are Nw >= N long (zero columns past N) */
ATTR static void CAT(run_, SUF)(const T *const *src, int ntaps, int kc, const T *w, const T *wtr, idx N,
                                idx Nw, idx n, idx sps, T *dst, idx dps, int accumulate, const idx *tlo,
                                const idx *thi)
{
    const idx wts = (idx)kc * Nw;
    if (N == 1 && kc == 1) {
        CAT(single_, SUF)(src, ntaps, w, n, sps, dst, dps, accumulate, tlo, thi);
        return;
    }
    if (N <= 4 && kc >= VL && wtr) {
        switch (N) {
        case 1: CAT(narrow1_, SUF)(src, ntaps, kc, wtr, n, sps, dst, dps, accumulate); break;
        case 2: CAT(narrow2_, SUF)(src, ntaps, kc, wtr, n, sps, dst, dps, accumulate); break;
        case 3: CAT(narrow3_, SUF)(src, ntaps, kc, wtr, n, sps, dst, dps, accumulate); break;
        default: CAT(narrow4_, SUF)(src, ntaps, kc, wtr, n, sps, dst, dps, accumulate); break;
        }
        return;
    }
    idx ro[2 * MR], rd[2 * MR];
    const T *moved[MAX_TAPS];
    /* blocks of pixels whose inputs stay in the caches while every column block visits them */
    const idx block = 16 * MR;
    for (idx b0 = 0; b0 < n; b0 += block) {
        const idx b1 = b0 + block < n ? b0 + block : n;
        for (int t = 0; t < ntaps; t++)
            moved[t] = src[t] + b0 * sps;
        T *dblock = dst + b0 * dps;
        const idx nb = b1 - b0;
        idx f = 0;
        COLUMNS(4, MR4, tile4_, tile4s_, f + 4 * VL <= N, VL)
        COLUMNS(2, MR, tile2_, tile2s_, f + 2 * VL <= N, VL)
        COLUMNS(1, 2 * MR, tile1_, tile1s_, f + VL <= N, VL)
        /* the last columns: one vector of zero-padded weights, part of it stored */
        COLUMNS(1, 2 * MR, tile1_, tile1s_, f < N && f + VL <= Nw, (int)(N - f))
        if (f < N)
            CAT(plain_, SUF)(moved, ntaps, kc, w, wts, Nw, nb, sps, f, N, dblock, dps, accumulate);
    }
}

/* depthwise: G channels, each its own group of one input and one output channel,
 *     dst[p dps + g] (+)= sum_t src_t[p sps + g] w[t, g]
 * with vectors along g (DW pixels at a time share each weight vector) */
#define DW 8
ATTR static void CAT(depthwise_, SUF)(const T *const *src, int ntaps, const T *w, idx G, idx n, idx sps,
                                      T *dst, idx dps, int accumulate)
{
    const idx gv = G - G % VL;
    for (idx p0 = 0; p0 < n; p0 += DW) {
        const int m = n - p0 < DW ? (int)(n - p0) : DW;
        for (idx g = 0; g < gv; g += VL) {
            V acc[DW];
            UNROLL for (int i = 0; i < DW; i++)
                acc[i] = (V){0};
            for (int t = 0; t < ntaps; t++) {
                const V b = LOADV(w + t * G + g);
                const T *s = src[t] + p0 * sps + g;
                if (m == DW) {
                    UNROLL for (int i = 0; i < DW; i++)
                        acc[i] += LOADV(s + i * sps) * b;
                } else {
                    for (int i = 0; i < m; i++)
                        acc[i] += LOADV(s + i * sps) * b;
                }
            }
            for (int i = 0; i < m; i++) {
                T *d = dst + (p0 + i) * dps + g;
                STOREV(d, accumulate ? acc[i] + LOADV(d) : acc[i]);
            }
        }
        for (idx g = gv; g < G; g++)
            for (int i = 0; i < m; i++) {
                T sum = 0;
                for (int t = 0; t < ntaps; t++)
                    sum += src[t][(p0 + i) * sps + g] * w[t * G + g];
                T *d = dst + (p0 + i) * dps + g;
                *d = accumulate ? *d + sum : sum;
            }
    }
}
#undef DW

ATTR static void CAT(depthwise_lines_, SUF)(idx nlines, const idx *src_line, const idx *dst_line, idx n,
                                            const T *const *src, int ntaps, const T *w, idx G, idx sps, T *dst,
                                            idx dps, int accumulate)
{
    const T *moved[MAX_TAPS];
    for (idx l = 0; l < nlines; l++) {
        for (int t = 0; t < ntaps; t++)
            moved[t] = src[t] + src_line[l];
        CAT(depthwise_, SUF)(moved, ntaps, w, G, n, sps, dst + dst_line[l], dps, accumulate);
    }
}

/* runs ("lines") that start at src_line[l] (added to every tap's pointer) and dst_line[l] */
ATTR static void CAT(lines_, SUF)(idx nlines, const idx *src_line, const idx *dst_line, idx n,
                                  const T *const *src, int ntaps, int kc, const T *w, const T *wtr, idx N,
                                  idx Nw, idx sps, T *dst, idx dps, int accumulate, const idx *tlo,
                                  const idx *thi)
{
    const T *moved[MAX_TAPS];
    for (idx l = 0; l < nlines; l++) {
        for (int t = 0; t < ntaps; t++)
            moved[t] = src[t] + src_line[l];
        CAT(run_, SUF)(moved, ntaps, kc, w, wtr, N, Nw, n, sps, dst + dst_line[l], dps, accumulate, tlo, thi);
    }
}

#undef COLUMNS
#undef SMALL
#undef V
#undef UNROLL
#undef UV
#undef LOADV
#undef STOREV

#undef T
#undef IT
#undef VL
#undef MR
#undef MR4
#undef NARROW_ACC
#undef SUF
#undef ATTR
