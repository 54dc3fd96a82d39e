"""Draw docs/figures/dask_halo.png: one chunked axis, its output blocks and their halos.

The docs build runs this script (``linop_docs.draw_figures``); the PNG is not committed.

The geometry comes from linop itself (linop.geometry and the halo plan of linop.dask),
so the figure shows what the code does: ``python docs/figures/make_dask_halo.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, Rectangle  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from linop.dask.halo import axis_reads  # noqa: E402
from linop.geometry import ConvGeometry, block_bounds, block_input_range, output_block_bounds, window_centre  # noqa: E402

N, K, STRIDE, CHUNKS, BOUNDARY = 22, 5, 2, (7, 3, 8, 4), "reflect"
COLOURS = ["#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3"]


def main(path: Path) -> Path:
    axis = ConvGeometry.build((N,), (K,), stride=STRIDE, padding="same", boundary=BOUNDARY, channels=False).axes[0]
    bounds = block_bounds(CHUNKS)
    out_bounds = output_block_bounds(axis, bounds)
    reads = axis_reads(axis, BOUNDARY, bounds, out_bounds)
    fig, ax = plt.subplots(figsize=(11, 4.6))
    lo = -axis.pad_low - 1

    # input chunks, and the padding folded by the boundary mode
    for c, (a, b) in enumerate(zip(bounds, bounds[1:])):
        for i in range(a, b):
            ax.add_patch(Rectangle((i, 4), 0.92, 0.8, color=COLOURS[c], alpha=0.85))
        ax.text((a + b) / 2, 5.0, f"chunk {c}", ha="center", fontsize=9)
    for i in list(range(-axis.pad_low, 0)) + list(range(N, N + axis.pad_high)):
        ax.add_patch(Rectangle((i, 4), 0.92, 0.8, facecolor="white", edgecolor="grey", hatch="//"))
    ax.text(lo - 0.5, 4.4, f"input x\n(n={N})", ha="right", va="center", fontsize=9)

    # output blocks at their window centres, coloured by the chunk that owns them
    for blk, (a, b) in enumerate(zip(out_bounds, out_bounds[1:])):
        for j in range(a, b):
            centre = window_centre(axis, j)
            ax.add_patch(Rectangle((centre, 0), 0.92, 0.8, color=COLOURS[blk], alpha=0.85))
            ax.text(centre + 0.46, 0.4, str(j), ha="center", va="center", fontsize=7, color="white")
    ax.text(lo - 0.5, 0.4, "output y\n(at window\ncentres)", ha="right", va="center", fontsize=9)

    # what each output block reads: its stretches, coloured by the chunk they come from
    for blk, read in enumerate(reads):
        start, stop = block_input_range(axis, out_bounds[blk], out_bounds[blk + 1])
        y = 1.3 + 0.55 * blk
        pos = start
        for s in read.stretches:
            ax.add_patch(Rectangle((pos, y), s.length - 0.08, 0.4, color=COLOURS[s.chunk], alpha=0.55))
            if s.how != "copy":
                ax.text(pos + s.length / 2, y + 0.2, s.how, ha="center", va="center", fontsize=6)
            pos += s.length
        ax.add_patch(Rectangle((start, y), stop - start - 0.08, 0.4, fill=False, edgecolor=COLOURS[blk], lw=1.5))
    ax.text(
        lo - 0.5,
        2.1,
        "each output block\nreads its chunk\n+ halo (colour:\nsource chunk)",
        ha="right",
        va="center",
        fontsize=8,
    )
    ax.add_patch(FancyArrowPatch((N + 3.5, 3.8), (N + 3.5, 1.2), arrowstyle="-|>", mutation_scale=12))
    ax.text(N + 3.8, 2.5, "forward:\ngather halos", fontsize=8, va="center")
    ax.add_patch(FancyArrowPatch((N + 7.5, 1.2), (N + 7.5, 3.8), arrowstyle="-|>", mutation_scale=12, color="C3"))
    ax.text(N + 7.8, 2.5, "adjoint:\nadd halos back\n(overlap-add)", fontsize=8, va="center", color="C3")
    ax.set_xlim(lo - 7, N + 12)
    ax.set_ylim(-0.3, 5.5)
    ax.axis("off")
    ax.set_title(f"kernel {K}, stride {STRIDE}, padding 'same', boundary '{BOUNDARY}', chunks {CHUNKS}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return path


if __name__ == "__main__":
    print(main(Path(__file__).resolve().parent / "dask_halo.png"))
