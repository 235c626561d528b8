"""Shared fixtures: an isolated HOME for every test, real databases on both backends, the CLI.

- Every test runs with HOME and the XDG directories in its own temporary
  directory: nothing touches the user's real data.
- `db_url` gives each test a fresh database at the newest revision: a SQLite
  file, and (when ISHOP4U_TEST_POSTGRES_URL is set) a PostgreSQL database made
  from a migrated template. Tests that use it run once per backend.
- `cli(...)` runs the CLI through Typer's CliRunner against that database.

Running: `pytest` uses two pytest-xdist workers (addopts in pyproject.toml). Tests
marked `slow` (they measure concurrency with many processes) run alone: no other
test runs beside them (see "one test at a time" below). Each worker has its own
PostgreSQL databases. `pytest -n 0` or `pytest -p no:xdist` runs in one process,
for a debugger. Skips are summed up in one line; `pytest -rs` lists them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no flock; tests then share the machine with the slow ones
    fcntl = None

import pytest
from pageserver import PageServer, serve_pages
from typer.testing import CliRunner

POSTGRES_ENV = "ISHOP4U_TEST_POSTGRES_URL"
BACKENDS = ["sqlite", "postgres"]
# "gw0", "gw1", ... in a pytest-xdist worker; "main" without workers. Names each worker's databases.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")


# ---------------------------------------------------------------- running the suite


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    if not pluginmanager.hasplugin("xdist"):
        # `pytest -p no:xdist` (one process, for a debugger) must still accept addopts' xdist options.
        for option in ("--numprocesses", "--dist"):
            parser.addoption(option, help="ignored: pytest-xdist is disabled (-p no:xdist)")


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """All skips in one line, by reason: without PostgreSQL, half the suite skips for one reason.

    addopts leaves `s` out of -r, so pytest lists failures and errors but not each skip;
    `pytest -rs` lists them all (and this line is then left out).
    """
    if terminalreporter.hasopt("s"):
        return
    reasons = Counter(_skip_reason(report) for report in terminalreporter.stats.get("skipped", []))
    if reasons:
        total = sum(reasons.values())
        by_reason = "; ".join(f"{n} x {reason}" for reason, n in reasons.most_common())
        terminalreporter.write_line(f"{total} skipped ({by_reason}); pytest -rs lists them", yellow=True)


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, (tuple, list)) and len(longrepr) == 3:  # (path, line, "Skipped: reason")
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


# One test at a time, when it matters. Tests marked `slow` start many processes and measure
# what they do together (lost updates, deadlocks, "database is locked"); a second test on the
# other core would change what they measure, and they would slow it down. With xdist, every
# test holds a lock on a file the controller made: a shared lock for most, an exclusive one
# for a slow test. A gate taken before either keeps a slow test from waiting forever while the
# other worker keeps taking shared locks: once a slow test is at the gate, the other worker
# finishes its current test and waits. flock locks go away with their process, so a crashed
# worker never leaves the others stuck.
_LOCK_DIR = pytest.StashKey[str]()


def _runs_alone(item: pytest.Item) -> bool:
    return item.get_closest_marker("slow") is not None


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    """In the xdist controller: hand every worker the directory of the lock files."""
    if _LOCK_DIR not in node.config.stash:
        node.config.stash[_LOCK_DIR] = tempfile.mkdtemp(prefix="ishop4u-test-locks-")
    node.workerinput["ishop4u_lock_dir"] = node.config.stash[_LOCK_DIR]


def pytest_unconfigure(config: pytest.Config) -> None:
    lock_dir = config.stash.get(_LOCK_DIR, None)
    if lock_dir is not None:
        shutil.rmtree(lock_dir, ignore_errors=True)


_lock_files: dict[str, int] = {}


def _lock_file(lock_dir: str, name: str) -> int:
    path = os.path.join(lock_dir, name)
    if path not in _lock_files:
        _lock_files[path] = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    return _lock_files[path]


@contextlib.contextmanager
def _turn(lock_dir: str, *, alone: bool) -> Iterator[None]:
    gate, room = _lock_file(lock_dir, "gate"), _lock_file(lock_dir, "room")
    fcntl.flock(gate, fcntl.LOCK_EX)
    try:
        fcntl.flock(room, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
    finally:
        if not alone:
            fcntl.flock(gate, fcntl.LOCK_UN)
    try:
        yield
    finally:
        fcntl.flock(room, fcntl.LOCK_UN)
        if alone:
            fcntl.flock(gate, fcntl.LOCK_UN)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    """Setup, call and teardown of each test inside its turn (only in xdist workers)."""
    lock_dir = getattr(item.config, "workerinput", {}).get("ishop4u_lock_dir")
    if lock_dir is None or fcntl is None:
        return (yield)
    with _turn(lock_dir, alone=_runs_alone(item)):
        return (yield)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point HOME and the XDG directories at a temporary directory; plain, wide help text."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for var, sub in (
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_STATE_HOME", ".local/state"),
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_CACHE_HOME", ".cache"),
    ):
        monkeypatch.setenv(var, str(home / sub))
    for var in ("ISHOP4U_DATABASE_URL", "ISHOP4U_CURRENCY", "ISHOP4U_DEBUG", "NO_COLOR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("TERMINAL_WIDTH", "200")
    monkeypatch.setenv("_TYPER_FORCE_DISABLE_TERMINAL", "1")
    # Cheap Argon2 parameters: a test-only setting the installed program never uses by default.
    monkeypatch.setenv("ISHOP4U_INSECURE_FAST_HASHING_FOR_TESTS", "1")
    return home


# ---------------------------------------------------------------- databases


def _migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ishop4u_cli import db

    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = db.open_database(str(path))
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _migrated_sqlite_template(tmp_path_factory)


@dataclass
class PostgresServer:
    """The server from ISHOP4U_TEST_POSTGRES_URL and a migrated template database on it."""

    base_url: str
    template: str

    def url_for(self, database: str) -> str:
        from sqlalchemy.engine import make_url

        return make_url(self.base_url).set(database=database).render_as_string(hide_password=False)

    def admin(self):
        import psycopg
        from sqlalchemy.engine import make_url

        u = make_url(self.base_url)
        return psycopg.connect(
            host=u.host or "localhost",
            port=u.port or 5432,
            user=u.username,
            password=u.password,
            dbname=u.database,
            autocommit=True,
        )

    def create(self, name: str, *, template: str | None = None) -> str:
        with self.admin() as conn:
            tpl = f' TEMPLATE "{template}"' if template else ""
            conn.execute(f'CREATE DATABASE "{name}"{tpl}')
        return self.url_for(name)

    def drop(self, name: str) -> None:
        with self.admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    base = os.environ.get(POSTGRES_ENV, "").strip()
    if not base:
        pytest.skip(f"{POSTGRES_ENV} is not set: PostgreSQL runs skipped")
    from ishop4u_cli import db

    server = PostgresServer(
        base_url=db.to_url(base), template=f"ishop4u_tpl_{WORKER}_{uuid.uuid4().hex[:10]}"
    )
    try:
        server.drop(server.template)
        url = server.create(server.template)
    except Exception as exc:
        pytest.fail(f"{POSTGRES_ENV} is set but PostgreSQL is unreachable: {exc}")
    engine = db.open_database(url)
    engine.dispose()
    yield server
    server.drop(server.template)


class SharedPostgresDatabase:
    """One migrated PostgreSQL database for the whole run of one worker, emptied before each test.

    Each xdist worker makes its own (its name carries the worker's id and a random
    suffix) and drops it at the end, so one worker's TRUNCATE never empties the
    tables another worker's test is using.

    Creating a database per test from a template costs ~0.8 s on this machine;
    TRUNCATE ... RESTART IDENTITY and putting back the rows the migrations made
    (the common stores) gives each test the same fresh state in milliseconds.
    """

    def __init__(self, server: PostgresServer) -> None:
        self.server = server
        self.name = f"ishop4u_t_{WORKER}_{uuid.uuid4().hex[:12]}"
        self.url = server.create(self.name, template=server.template)
        with self._connect() as conn:
            self.tables = [
                t
                for (t,) in conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
                )
            ]
            (self.revision,) = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            self.rows = {}
            for table in self.tables:
                cur = conn.execute(f'SELECT * FROM "{table}"')
                columns = [d.name for d in cur.description]
                self.rows[table] = (columns, cur.fetchall())

    def _connect(self):
        import psycopg
        from sqlalchemy.engine import make_url

        u = make_url(self.url)
        return psycopg.connect(
            host=u.host or "localhost",
            port=u.port or 5432,
            user=u.username,
            password=u.password,
            dbname=u.database,
            autocommit=True,
        )

    def reset(self) -> None:
        with self._connect() as conn:
            # Sessions left by a failed test must not hold locks that TRUNCATE waits on.
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            with conn.transaction():
                # A test may set the revision back (to see what an old database does); the next
                # test starts at the newest revision again, as the template is.
                conn.execute("UPDATE alembic_version SET version_num = %s", (self.revision,))
                names = ", ".join(f'"{t}"' for t in self.tables)
                conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
                for table, (columns, rows) in self.rows.items():
                    if not rows:
                        continue
                    cols = ", ".join(f'"{c}"' for c in columns)
                    marks = ", ".join(["%s"] * len(columns))
                    with conn.cursor() as cur:
                        cur.executemany(f'INSERT INTO "{table}" ({cols}) VALUES ({marks})', rows)
                    if "id" in columns:
                        conn.execute(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), MAX(id)) FROM \"{table}\""
                        )

    def close(self) -> None:
        self.server.drop(self.name)


@pytest.fixture(scope="session")
def shared_postgres_database(postgres_server: PostgresServer) -> Iterator[SharedPostgresDatabase]:
    shared = SharedPostgresDatabase(postgres_server)
    yield shared
    shared.close()


@pytest.fixture(scope="session")
def page_server() -> Iterator[PageServer]:
    """The local page server (tests/pageserver.py), for the whole test session."""
    with serve_pages() as server:
        yield server


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database at the newest revision, on each backend: a path for SQLite, a URL for PostgreSQL."""
    if backend == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "data" / "ishop4u.db"
        path.parent.mkdir(mode=0o700)
        shutil.copyfile(template, path)
        os.chmod(path, 0o600)
        yield str(path)
        return
    shared: SharedPostgresDatabase = request.getfixturevalue("shared_postgres_database")
    shared.reset()
    yield shared.url


@pytest.fixture
def fresh_postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """An empty PostgreSQL database (no tables), for migration tests."""
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = f"ishop4u_e_{WORKER}_{uuid.uuid4().hex[:12]}"
    url = server.create(name)
    yield url
    server.drop(name)


@pytest.fixture
def empty_target(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database on BACKEND, for migration tests: a SQLite file path or a new PostgreSQL URL."""
    if backend == "sqlite":
        return str(tmp_path / "old.db")
    return request.getfixturevalue("fresh_postgres_url")


@pytest.fixture
def engine(db_url: str):
    """An engine on the test's database, for checking what the CLI wrote."""
    from ishop4u_cli import db

    eng = db.open_database(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def db_rows(engine):
    """A function returning every row of the data tables, to show a failed command wrote nothing."""
    import sqlalchemy as sa

    def rows() -> dict[str, list[tuple]]:
        with engine.connect() as conn:
            return {
                table: [tuple(r) for r in conn.execute(sa.text(f"SELECT * FROM {table} ORDER BY 1"))]
                for table in (
                    "users",
                    "affiliate_sources",
                    "products",
                    "cart_items",
                    "price_observations",
                    "page_checks",
                    "price_watches",
                )
            }

    return rows


# ---------------------------------------------------------------- the CLI


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str

    def __repr__(self) -> str:  # shown when an assertion fails
        return f"Run(exit={self.exit_code}, stdout={self.stdout!r}, stderr={self.stderr!r})"


def invoke(args: list[str], *, input: str | None = None, env: dict[str, str] | None = None) -> Run:
    from ishop4u_cli.app import app

    result = CliRunner().invoke(app, args, input=input, env=env, catch_exceptions=False)
    return Run(result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def cli(db_url: str):
    """Run `ishop4u --db <the test's database> ARGS...` in-process."""

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Run:
        return invoke(["--db", db_url, *args], input=input, env=env)

    run.db_url = db_url  # type: ignore[attr-defined]
    return run


@pytest.fixture
def run_ishop4u():
    """Run the installed program in a subprocess (a real process, real stdin/stdout)."""

    def run(
        *args: str, input: str | None = None, env: dict[str, str] | None = None, timeout: float = 60
    ) -> Run:
        full_env = dict(os.environ)
        full_env.update(env or {})
        proc = subprocess.run(
            [sys.executable, "-m", "ishop4u_cli", *args],
            input=input,
            capture_output=True,
            text=True,
            env=full_env,
            timeout=timeout,
            check=False,
        )
        return Run(proc.returncode, proc.stdout, proc.stderr)

    return run


@pytest.fixture
def signed_in(cli):
    """`cli` with an account signed in: Owner <owner@example.com>, the database's first, so its admin.

    For tests of commands that write (every one needs a signed-in user) that are not about accounts.
    """
    r = cli("user", "add", "Owner", "owner@example.com", "--password-stdin", input="owner-password\n")
    assert r.exit_code == 0, r
    return cli


@pytest.fixture
def ann(cli):
    """`cli` with Ann <ann@example.com> (password secret-pw) signed up and signed in: the first account."""
    r = cli("user", "add", "Ann", "ann@example.com", "--password-stdin", input="secret-pw\n")
    assert r.exit_code == 0, r
    return cli


@pytest.fixture
def second_db(backend: str, request: pytest.FixtureRequest, tmp_path: Path):
    """Another fresh database on the same backend (for round trips into a new database)."""
    if backend == "sqlite":
        path = tmp_path / "second" / "ishop4u.db"
        path.parent.mkdir()
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield str(path)
        return
    server = request.getfixturevalue("postgres_server")
    name = f"ishop4u_t2_{uuid.uuid4().hex[:12]}"
    url = server.create(name, template=server.template)
    yield url
    server.drop(name)
