"""ishop4u start-up benchmarks: everyday commands, help and completion, each against its baseline.

    python benchmarks/startup.py              # 7 runs a case
    python benchmarks/startup.py --runs 15    # steadier medians on a busy machine
    python benchmarks/startup.py --keep       # keep the temporary directory and say where it is
    python benchmarks/startup.py --cases help,completion   # some of the groups: everyday, help, completion

As bench.py does (and with its data helpers): everything happens in a temporary
directory with its own HOME, the bytecode is compiled once into a cache of the
run's own, and each case runs in alternation with its baseline after one
warm-up run of each, so whatever else the machine does weighs on both alike.
Medians of wall time, with the median CPU time (user + system, from wait4)
beside them. Output goes to a pipe that this script reads, as `ishop4u ... |
less` would have it; each case's output is checked once before it is timed,
so a case that quietly did nothing cannot look fast.

The cases and their targets (issue 13, "Everyday commands feel instant" and "Completion"):

- `ishop4u cart list` over a 100-item cart vs `python -c "import typer, rich.table, sqlmodel"` (<= 1.15x);
- `cart list --json` and `product list --json`: timed for the record, and they must not import Rich;
- `ishop4u --help` and `ishop4u GROUP --help` for every group vs `python -c "import typer"` (<= 1.5x);
- completing `ishop4u cart update <TAB>` (bash) on a 1,000-product SQLite database whose products are
  all in the cart vs `python -c "import typer"` (<= 1.5x); zsh's answer (with descriptions) for the record.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import (  # a sibling script
    PY,
    Bench,
    Timing,
    _timing,
    chosen_cases,
    done_with,
    machine,
    report,
    write_cart_csv,
)

GROUPS = ["user", "source", "product", "cart", "checkout", "db"]
Check = Callable[[str], bool]


class Startup(Bench):
    """bench.py's Bench, run with stdout on a pipe and a few variables of each case's own."""

    def run_piped(
        self, args: list[str], env: dict[str, str] | None = None
    ) -> tuple[float, float, float, str]:
        """Run ARGS once with stdout on a pipe read to the end: (wall s, CPU s, peak RSS MB, stdout)."""
        with tempfile.TemporaryFile() as err:
            start = time.perf_counter()
            proc = subprocess.Popen(
                args,
                env={**self.env, **(env or {})},
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=err,
            )
            assert proc.stdout is not None
            out = proc.stdout.read()
            proc.stdout.close()
            _, status, usage = os.wait4(proc.pid, 0)
            elapsed = time.perf_counter() - start
            proc.returncode = code = os.waitstatus_to_exitcode(status)
            if code != 0:
                err.seek(0)
                raise SystemExit(f"failed ({code}): {' '.join(args)}\n{err.read().decode(errors='replace')}")
        return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out.decode()

    def pair_piped(
        self,
        a: list[str],
        b: list[str],
        *,
        env_a: dict[str, str] | None = None,
        check_a: Check | None = None,
    ) -> tuple[Timing, Timing]:
        samples: tuple[list, list] = ([], [])
        for i in range(self.runs + 1):
            for side, (args, env) in enumerate(((a, env_a), (b, None))):
                *sample, out = self.run_piped(args, env)
                if i == 0 and side == 0 and check_a is not None and not check_a(out):
                    raise SystemExit(f"unexpected output of {' '.join(args)}:\n{out[:500]}")
                if i > 0:
                    samples[side].append(tuple(sample))
        return _timing(samples[0]), _timing(samples[1])


def imports_rich(b: Startup, args: list[str]) -> bool:
    """Whether ishop4u ARGS imports Rich (the program run in-process, its modules listed after)."""
    code = (
        "import sys\n"
        f"sys.argv = ['ishop4u', *{args!r}]\n"
        "from ishop4u_cli.app import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('RICH' if 'rich' in sys.modules else 'NO-RICH', file=sys.stderr)\n"
    )
    proc = subprocess.run([PY, "-c", code], env=b.env, capture_output=True, text=True, check=False)
    return "NO-RICH" not in proc.stderr


LIBS = [PY, "-c", "import typer, rich.table, sqlmodel"]
TYPER_ONLY = [PY, "-c", "import typer"]
Results = list[tuple[str, bool | None]]


def line(label: str, t: Timing) -> None:
    print(
        f"  {label:<66} {t.median * 1000:6.0f} ms  cpu {t.cpu * 1000:5.0f} ms   (runs: "
        + ", ".join(f"{x * 1000:.0f}" for x in t.runs)
        + ")",
        flush=True,
    )


def ratio(results: Results, label: str, a: Timing, base: Timing, target: float | None) -> None:
    r = a.median / base.median
    text = f"{label} = {r:.2f}x (cpu {a.cpu / base.cpu:.2f}x)"
    results.append((f"{text}, target <= {target:g}x" if target else text, r <= target if target else None))


def everyday(b: Startup, db100: Path, results: Results) -> None:
    print("\neveryday commands (100-item cart)")
    ishop = [*b.cmd, "--db", str(db100)]
    cart_list, base = b.pair_piped([*ishop, "cart", "list"], LIBS, check_a=lambda o: "Total" in o)
    line("ishop4u cart list", cart_list)
    line('python -c "import typer, rich.table, sqlmodel"', base)
    ratio(results, "cart list / import typer, rich.table, sqlmodel", cart_list, base, 1.15)
    for args in (["cart", "list", "--json"], ["product", "list", "--json"]):
        t, base = b.pair_piped([*ishop, *args], LIBS, check_a=lambda o: o.lstrip().startswith("{"))
        line(f"ishop4u {' '.join(args)}", t)
        line('python -c "import typer, rich.table, sqlmodel"', base)
        ratio(results, f"{' '.join(args)} / import typer, rich.table, sqlmodel", t, base, None)
        rich = imports_rich(b, ["--db", str(db100), *args])
        results.append((f"{' '.join(args)} {'imports' if rich else 'does not import'} Rich", not rich))


def help_cases(b: Startup, results: Results) -> None:
    print("\nhelp")
    for group in ["", *GROUPS]:
        args = [*b.cmd, *([group] if group else []), "--help"]
        t, base = b.pair_piped(args, TYPER_ONLY, check_a=lambda o: "Usage:" in o)
        label = f"ishop4u {group + ' ' if group else ''}--help"
        line(label, t)
        line('python -c "import typer"', base)
        ratio(results, f"{label} / import typer", t, base, 1.5)


def completion_cases(b: Startup, db1000: Path, results: Results) -> None:
    print("\ncompletion (1,000 products, all in the cart)")
    words = f"ishop4u --db {db1000} cart update "
    bash = {"_ISHOP4U_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": "5"}
    zsh = {"_ISHOP4U_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": words}
    for shell, env in (("bash", bash), ("zsh", zsh)):
        t, base = b.pair_piped(
            b.cmd, TYPER_ONLY, env_a=env, check_a=lambda o: o.count("\n") >= 1_000 and "1000" in o
        )
        line(f"ishop4u cart update <TAB> ({shell}: 1,000 ids{', with names' if shell == 'zsh' else ''})", t)
        line('python -c "import typer"', base)
        target = 1.5 if shell == "bash" else None
        ratio(results, f"completing cart update <TAB> ({shell}) / import typer", t, base, target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per case (default 7)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument(
        "--cases",
        default="everyday,help,completion",
        help="which groups to run, comma-separated: everyday, help, completion (default: all)",
    )
    opts = parser.parse_args()
    cases = chosen_cases(parser, opts.cases, ["everyday", "help", "completion"])

    root = Path(tempfile.mkdtemp(prefix="ishop4u-startup-"))
    b = Startup(root, opts.runs)
    try:
        print(machine())
        print(f"program: {' '.join(b.cmd)}; {opts.runs} runs a case, median; output to a pipe")
        print("building the data ...", flush=True)
        empty = b.empty_db()
        results: Results = []
        if "everyday" in cases:
            cart100_csv = root / "cart100.csv"
            write_cart_csv(cart100_csv, 100)
            db100 = b.signed_in_copy(empty, "cart100.db")
            b.ishop(db100, "cart", "import", str(cart100_csv))
            everyday(b, db100, results)
        if "help" in cases:
            help_cases(b, results)
        if "completion" in cases:
            cart1000_csv = root / "cart1000.csv"
            write_cart_csv(cart1000_csv, 1_000)
            db1000 = b.signed_in_copy(empty, "cart1000.db")  # 1,000 products, every one in the cart
            b.ishop(db1000, "cart", "import", str(cart1000_csv))
            completion_cases(b, db1000, results)

        report(results)
    finally:
        done_with(root, keep=opts.keep)


if __name__ == "__main__":
    main()
