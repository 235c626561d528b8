"""`ishop4u demo`: the whole flow on a throwaway database; the user's own data is never touched."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner


def files_under(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


def demo_dirs() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("ishop4u-demo-*")}


@pytest.fixture(autouse=True)
def own_temp_dir(tmp_path: Path, monkeypatch) -> Path:
    """A temporary directory of this test's own: a demo running beside it (xdist) leaves its own there."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    return temp


def test_demo_runs_and_leaves_nothing_behind(isolated_home: Path, tmp_path: Path, monkeypatch):
    from ishop4u_cli.app import app

    # A user with a database of their own: the demo must not open it.
    own_db = tmp_path / "own.db"
    monkeypatch.setenv("ISHOP4U_DATABASE_URL", str(own_db))
    home_before = files_under(isolated_home)
    temp_before = demo_dirs()

    result = CliRunner().invoke(app, ["demo"], catch_exceptions=False)

    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "[sale] handmade ceramic mug" in out  # printed literally
    assert "Subtotal Amazon" in out and "Subtotal Etsy" in out and "Subtotal AliExpress" in out
    assert "20.95 USD" in out  # 4.19 x 5, after re-adding adds to the quantity
    assert "239.94 USD" in out  # 49.99 + 20.95 + 120.00 + 49.00, exactly
    assert "tag=ishop4udemo-20" in out  # the Amazon tag in the affiliate link
    assert "1 item without a price is not in the totals." in out
    # The checkout too: store by store, and the one link that fills the Amazon cart.
    assert "Amazon: 1 item" in out.splitlines() and "Other shops: 1 item" in out.splitlines()
    assert "https://www.amazon.com/gp/aws/cart/add.html?ASIN.1=B09B8V1LZ3&Quantity.1=1" in out
    assert "(ishop4u checkout)" in result.stderr
    assert "\x1b[" not in out
    assert "nothing was left behind" in result.stderr

    assert files_under(isolated_home) == home_before  # no database, no session file
    assert not own_db.exists()
    assert demo_dirs() == temp_before


def test_demo_in_a_real_process(run_ishop4u, isolated_home: Path, own_temp_dir: Path):
    r = run_ishop4u("demo")
    assert r.exit_code == 0, r
    assert "239.94 USD" in r.stdout and "\x1b[" not in r.stdout
    assert files_under(isolated_home) == []
    assert files_under(own_temp_dir) == []
