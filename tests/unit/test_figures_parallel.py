"""Figures are drawn in parallel on a process pool, and the files are the same bytes
whatever the number of workers."""
import os

import pytest

from sim.experiments.engine import import_when_idle
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


def test_the_figures_modules_load_once_fewer_runs_are_left_than_workers():
    # the hook imports its module only when a worker has nothing left to run (a module that
    # does not exist shows when the import is tried)
    hook = import_when_idle("sim_no_such_module", workers=2)
    for done in range(4):
        hook(done, 5)                      # 5, 4, 3, 2 runs left: every worker still busy
    with pytest.raises(ModuleNotFoundError):
        hook(4, 5)                         # 1 run left, 2 workers: one is idle
    serial = import_when_idle("sim_no_such_module", workers=1)
    serial(4, 5)
    with pytest.raises(ModuleNotFoundError):
        serial(5, 5)                       # one worker: only after the last run


def test_a_folder_of_figures_keeps_only_what_the_last_draw_made(tmp_path):
    folder, pids = tmp_path / "figures", tmp_path / "pids"
    folder.mkdir()
    pids.mkdir()
    save_figures(folder, _makers(pids), workers=1)
    (folder / "notes.txt").write_text("mine")
    paths = save_figures(folder, _makers(pids)[:2], workers=1, prune=True)   # a draw with fewer figures
    assert sorted(p.name for p in folder.iterdir()) == sorted([*(p.name for p in paths), "notes.txt"])
    assert {p.name for p in paths} == {"f0.png", "f0.svg", "f1.png", "f1.svg"}
