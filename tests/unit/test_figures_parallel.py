"""Figures are drawn in parallel on a process pool, and the files are the same bytes
whatever the number of workers."""
import os

from sim.figures.base import new_axes, save_figures


def _makers(pid_dir):
    def make(k):
        def draw():
            (pid_dir / f"{k}.pid").write_text(str(os.getpid()))
            ax = new_axes(None, (4.0, 3.0))
            ax.plot([0, 1, 2], [k, 2 * k, k * k], label=f"figure {k}")
            ax.set_title(f"figure {k}")
            ax.legend()
            return ax
        return draw
    return [(f"f{k}", make(k)) for k in range(4)]


def test_parallel_figures_are_byte_identical_to_serial_ones(tmp_path):
    out = {}
    for w in (1, 2):
        folder, pids = tmp_path / f"w{w}", tmp_path / f"pids{w}"
        folder.mkdir()
        pids.mkdir()
        paths = save_figures(folder, _makers(pids), workers=w)
        assert [p.name for p in paths] == sorted(f"f{k}.{x}" for k in range(4) for x in ("png", "svg"))
        out[w] = {p.name: p.read_bytes() for p in paths}
        drawn_by = {p.read_text() for p in pids.iterdir()}
        if w == 1:
            assert drawn_by == {str(os.getpid())}               # serial: in this process
        else:
            assert str(os.getpid()) not in drawn_by              # parallel: in the pool's workers
    assert out[1] == out[2]
