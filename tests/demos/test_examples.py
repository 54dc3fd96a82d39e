"""The worked examples: each script runs with --quick, prints numbers that make sense, writes real figures.

Each ``examples/NAME.py --quick`` runs once per test session as a user would run it (a
subprocess); the tests read what it printed and the PNGs it wrote.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from linop.cli import main as linop_main
from linop.demos import DEMOS, DemoReport, backprop_is_adjoint, deblurring, lecture_matrix, load_demo
from linop.demos.script import run_script
from tests.support.paths import EXAMPLES

#: The figures each example writes.
FIGURES = {
    "lecture_matrix": ["lecture_matrix.png", "conv2d_matrix.png"],
    "deblurring": ["deblurring.png"],
    "super_resolution": ["super_resolution.png"],
    "backprop_is_adjoint": ["backprop_is_adjoint.png"],
}

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class ScriptRun:
    """What ``python examples/NAME.py --quick --out DIR`` printed, its exit status and DIR."""

    def __init__(self, name: str, out_dir: Path):
        self.out_dir = out_dir
        proc = subprocess.run(
            [sys.executable, str(EXAMPLES / f"{name}.py"), "--quick", "--out", str(out_dir)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        self.returncode, self.stdout, self.stderr = proc.returncode, proc.stdout, proc.stderr

    def printed(self, label: str) -> str:
        """The value printed after ``label`` on its measurement line."""
        for line in self.stdout.splitlines():
            text = line.strip()
            if text.startswith(label + "  "):
                return text[len(label) :].strip()
        raise AssertionError(f"{label!r} was not printed; the output was:\n{self.stdout}")

    def number(self, label: str) -> float:
        return float(self.printed(label).split()[0])


@pytest.fixture(scope="module")
def script_runs() -> dict[str, ScriptRun]:
    """The example runs of this module, by name."""
    return {}


@pytest.fixture
def ran(script_runs, tmp_path_factory):
    """Run an example script once per session (cached), return its ScriptRun."""

    def get(name: str) -> ScriptRun:
        if name not in script_runs:
            script_runs[name] = ScriptRun(name, tmp_path_factory.mktemp(name))
        return script_runs[name]

    return get


# -- every script ------------------------------------------------------------------------------


def test_there_is_one_example_script_per_demo():
    assert sorted(path.stem for path in EXAMPLES.glob("*.py")) == sorted(DEMOS)


@pytest.mark.parametrize("name", DEMOS)
def test_example_script_exits_zero_and_every_claim_holds(ran, name):
    run = ran(name)
    assert run.returncode == 0, run.stderr
    assert "claims:" in run.stdout
    assert "[FAILED]" not in run.stdout
    # every story checks at least one claim of its own (backprop adds PyTorch's when installed)
    assert run.stdout.count("[ok]") >= 1


@pytest.mark.parametrize("name", DEMOS)
def test_example_script_writes_its_figures_and_lists_them(ran, name):
    run = ran(name)
    for filename in FIGURES[name]:
        path = run.out_dir / filename
        assert path.is_file()
        assert str(path) in run.stdout


@pytest.mark.parametrize("name, filename", [(n, f) for n in DEMOS for f in FIGURES[n]])
def test_figure_is_a_valid_png_with_non_trivial_content(ran, name, filename):
    import matplotlib.image as mpl_image

    path = ran(name).out_dir / filename
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    pixels = mpl_image.imread(path)
    assert pixels.ndim == 3 and pixels.shape[0] >= 200 and pixels.shape[1] >= 300
    gray = pixels[..., :3].mean(axis=-1)
    assert gray.std() > 0.05  # not a blank page
    assert len(np.unique(np.round(gray, 2))) > 20  # more than a few flat colours


# -- deblurring --------------------------------------------------------------------------------


def test_deblurring_recovered_psnr_beats_the_blurred_one(ran):
    run = ran("deblurring")
    blurred = run.number("PSNR of the blurred, noisy image")
    recovered = run.number("PSNR of the recovered image")
    assert 10 < blurred < recovered < 60
    assert run.printed("PSNR of the recovered image").endswith("dB")


def test_deblurring_uses_the_photograph_shipped_with_matplotlib(ran):
    assert "grace_hopper.jpg" in ran("deblurring").stdout


def test_deblurring_sparse_matrix_gives_the_same_solution(ran):
    run = ran("deblurring")
    assert run.number("relative difference of the two solutions") < 1e-6
    assert run.number("lsqr iterations, sparse matrix") == run.number("lsqr iterations")


def test_deblurring_reports_time_and_memory_of_operator_and_sparse_matrix(ran):
    run = ran("deblurring")
    for label in ("lsqr time, operator", "lsqr time, sparse matrix", "time to build the sparse matrix"):
        assert run.number(label) > 0 and run.printed(label).endswith(" s")
    operator = run.printed("memory stored, operator (its kernel)")
    sparse = run.printed("memory stored, sparse matrix (data+indices+indptr)")
    assert operator.endswith("bytes")  # a kernel of a few hundred bytes
    assert sparse.endswith(("kB", "MB"))


def test_deblurring_residual_reaches_the_noise_level(ran):
    run = ran("deblurring")
    assert run.number("residual norm ||A x - b||") < 1.5 * run.number("noise norm ||n|| (what the residual can reach)")


# -- super-resolution --------------------------------------------------------------------------


def test_super_resolution_transposed_convolution_restores_the_full_shape(ran):
    run = ran("super_resolution")
    high = run.printed("high-resolution image x")
    low = run.printed("measurement y = A x")
    assert run.printed("transposed convolution A.H y") == high == run.printed("lsqr solution")
    rows, cols, channels = (int(v) for v in high.split(" x "))
    assert low == f"{-(-rows // 2)} x {-(-cols // 2)} x {channels}"  # stride 2, padding "same"


def test_super_resolution_lsqr_is_sharper_and_closer_than_the_transposed_convolution(ran):
    run = ran("super_resolution")
    assert run.number("PSNR of the lsqr solution") > run.number("PSNR of A.H y / A.H 1")
    assert run.number("sharpness mean|grad| of the lsqr solution") > run.number("sharpness mean|grad| of A.H y / A.H 1")


def test_super_resolution_plain_transposed_convolution_is_about_a_quarter_as_bright(ran):
    ratio = ran("super_resolution").number("mean of A.H y / mean of x (about sum(k)/stride^2)")
    assert ratio == pytest.approx(0.25, rel=0.05)


# -- backpropagation ---------------------------------------------------------------------------

FD_LABELS = [
    "L = <A x, g>: dL/dx = A.H g vs differences",
    "L = <A x, g>: dL/dw = K.H g vs differences",
    "L = sum softplus(A x): dL/dx = A.H g vs differences",
    "L = sum softplus(A x): dL/dw = K.H g vs differences",
]


@pytest.mark.parametrize("label", FD_LABELS)
def test_backprop_gradient_errors_are_at_finite_difference_precision(ran, label):
    # central differences with h = 1e-5: rounding ~ 1e-16 / h and truncation ~ h^2 both far below 1e-6
    assert ran("backprop_is_adjoint").number(label) < 1e-6


def test_backprop_gradients_agree_with_torch_autograd(ran):
    pytest.importorskip("torch")
    run = ran("backprop_is_adjoint")
    for label in (
        "A x vs torch conv2d",
        "L = <A x, g>: A.H g vs autograd",
        "L = <A x, g>: K.H g vs autograd",
        "L = sum softplus(A x): A.H g vs autograd",
        "L = sum softplus(A x): K.H g vs autograd",
    ):
        assert run.number(label) < 1e-12


def test_backprop_without_torch_skips_the_autograd_comparison_with_a_note(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    report = backprop_is_adjoint.run(quick=True)
    assert report.ok
    assert any("PyTorch is not installed" in note for note in report.notes)
    assert not any(m.key.startswith("torch") for m in report.measurements)


# -- the lecture's matrix ----------------------------------------------------------------------


def test_lecture_matrix_prints_the_lecture_matrix_and_result(ran):
    run = ran("lecture_matrix")
    assert "[  0.5     1   0.5     0     0     0     0 ]" in run.stdout
    assert run.printed("A f") == "[-0.5, 2.5, 2.0]"
    assert run.printed("matrix of A.H (the transposed convolution)") == "7 x 3"


def test_lecture_matrix_counts_the_non_zeros_of_the_2d_convolution(ran):
    run = ran("lecture_matrix")
    assert run.printed("its matrix") == "48 x 128"
    assert run.number("most non-zeros in a row (k*k*c_in)") == 3 * 3 * 2


# -- without matplotlib, options, the report ---------------------------------------------------


def hide_matplotlib(monkeypatch) -> None:
    """Make every ``import matplotlib...`` fail, as on a machine without it."""
    for name in [name for name in sys.modules if name == "matplotlib" or name.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)


def test_without_matplotlib_examples_still_print_numbers_and_say_how_to_get_figures(monkeypatch, tmp_path, capsys):
    hide_matplotlib(monkeypatch)
    assert deblurring.main(["--quick", "--out", str(tmp_path / "figures")]) == 0
    out = capsys.readouterr().out
    assert "synthetic test image" in out
    assert "PSNR of the recovered image" in out
    assert "pip install 'linop[plot]'" in out
    assert not (tmp_path / "figures").exists()


def test_no_figures_option_writes_nothing(tmp_path, capsys):
    assert lecture_matrix.main(["--no-figures", "--out", str(tmp_path / "figures")]) == 0
    assert "figures:" not in capsys.readouterr().out
    assert not (tmp_path / "figures").exists()


def test_out_that_is_a_file_is_bad_usage(tmp_path, capsys):
    file = tmp_path / "file.png"
    file.write_bytes(b"")
    assert lecture_matrix.main(["--out", str(file)]) == 2
    assert "--out must be a directory" in capsys.readouterr().err


def test_a_failed_claim_makes_the_script_exit_one(capsys):
    def failing(*, quick, out_dir, log):
        report = DemoReport("failing", "A demo whose claim fails")
        report.claim("one equals two", False)
        return report

    assert run_script(failing, "a failing demo", ["--no-figures"]) == 1
    assert "[FAILED] one equals two" in capsys.readouterr().out


def test_load_demo_names_the_demos_when_the_name_is_unknown():
    assert load_demo("deblurring") is deblurring
    with pytest.raises(ValueError, match="unknown demo 'deblur'; the demos are lecture_matrix, deblurring"):
        load_demo("deblur")


# -- linop demo --------------------------------------------------------------------------------


def test_linop_demo_runs_every_example_and_tabulates_the_results(tmp_path, capsys):
    assert linop_main(["demo", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Measured results" in out and "Claims checked" in out
    for name in DEMOS:
        assert f"ok {name}" in out
        for filename in FIGURES[name]:
            assert (tmp_path / filename).is_file()
            assert filename in out
    assert "PSNR of the recovered" in out
    assert str(tmp_path.resolve()) in out.replace("\n", "")


def test_linop_demo_only_runs_the_named_demos(tmp_path, capsys):
    assert linop_main(["demo", "--only", "lecture_matrix", "--no-figures"]) == 0
    out = capsys.readouterr().out
    assert "ok lecture_matrix" in out and "deblurring" not in out
    assert "Figures" not in out


def test_linop_demo_exits_one_when_a_claim_fails(monkeypatch, capsys):
    class FailingDemo:
        @staticmethod
        def run(*, quick, out_dir, log):
            log("checking")
            report = DemoReport("lecture_matrix", "A demo whose claim fails")
            report.claim("one equals two", False)
            return report

    monkeypatch.setattr("linop.commands.demo.load_demo", lambda name: FailingDemo)
    assert linop_main(["demo", "--only", "lecture_matrix", "--no-figures"]) == 1
    out = capsys.readouterr().out
    assert "FAILED lecture_matrix" in out and "one equals two" in out


def test_linop_demo_rejects_an_unknown_demo(capsys):
    with pytest.raises(SystemExit) as exc:
        linop_main(["demo", "--only", "nonsense"])
    assert exc.value.code == 2
    assert "invalid choice: 'nonsense'" in capsys.readouterr().err
