"""Alert notifications through Apprise: delivery to a local receiver, masked URLs, a missing Apprise."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal

import pytest
from refresh_server import Receiver
from test_startup import modules_after

from ishop4u_cli.errors import ExitCode, UsageError
from ishop4u_cli.services import notify
from ishop4u_cli.services.watches import Alert

# Apprise (2.3) imports imghdr for PGPy, deprecated by Python 3.11 and shimmed by Apprise on 3.13.
pytestmark = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")

MUG = Alert(
    product_id=7,
    product_name="Mug",
    price=Decimal("8.50"),
    currency="EUR",
    mark=Decimal("9.00"),
    kind="drop",
    drop_percent=Decimal("10.00"),
    new_low=False,
)
LAMP = Alert(
    product_id=9,
    product_name="Lamp",
    price=Decimal("1234.00"),
    currency="USD",
    mark=Decimal("1250.00"),
    kind="below",
    drop_percent=None,
    new_low=True,
)


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    for name in ("NO_PROXY", "no_proxy"):  # a proxy set on the machine must not see local deliveries
        monkeypatch.setenv(name, "127.0.0.1,localhost")
    r = Receiver()
    yield r
    r.close()


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_one_notification_per_alert_names_product_price_and_mark(receiver):
    warnings = notify.send([receiver.url("/hooks/alerts")], [MUG, LAMP])
    assert warnings == []
    assert [path for path, _ in receiver.received] == ["/hooks/alerts", "/hooks/alerts"]
    (_, first), (_, second) = receiver.received
    assert (first["title"], first["message"]) == (
        "Price alert: Mug",
        "Mug (product 7) is now 8.50 EUR: at or below your mark 9.00 EUR (a 10% drop).",
    )
    assert (second["title"], second["message"]) == (
        "New low: Lamp",
        "Lamp (product 9) fell further, to 1,234.00 USD: below your mark 1,250.00 USD.",
    )


def test_an_unreachable_url_is_a_masked_warning_and_the_others_still_get_it(receiver):
    dead = f"json://user:hunter2@127.0.0.1:{closed_port()}/secret-token-123"
    live = receiver.url("/ok")
    warnings = notify.send([dead, live], [MUG, LAMP])
    assert len(receiver.received) == 2  # the live one got both alerts
    (warning,) = warnings
    port = dead.split(":")[3].split("/")[0]
    assert warning == (
        f"notification URL 1 json://127.0.0.1:{port}/…: it could not be reached or refused the message; "
        "2 alerts not sent there"
    )
    assert "secret-token" not in warning and "hunter2" not in warning


def test_nothing_to_send_sends_nothing(receiver):
    assert notify.send([receiver.url("/x")], []) == []
    assert notify.send([], [MUG]) == []
    assert receiver.received == []


def test_check_urls_refuses_what_apprise_does_not_understand_masked():
    notify.check_urls(["json://127.0.0.1:9/hook", "mailto://me:pw@example.com"])  # understood
    with pytest.raises(UsageError) as caught:
        notify.check_urls(["json://127.0.0.1:9/hook", "nosuchservice://token-abc@example.org/secret"])
    assert caught.value.exit_code == ExitCode.USAGE
    assert str(caught.value) == (
        "notification URL 2 nosuchservice://example.org/… is not one Apprise understands "
        "(see Apprise's list of services: https://github.com/caronc/apprise/wiki)"
    )
    with pytest.raises(UsageError, match=r"^notification URL … is not one"):
        notify.check_urls(["not a url with a token-xyz"])


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("json://127.0.0.1:8080/path/token", "json://127.0.0.1:8080/…"),
        ("json://127.0.0.1:8080", "json://127.0.0.1:8080"),
        ("mailto://user:password@gmail.com", "mailto://gmail.com/…"),
        ("tgram://123456789:AAbbCCdd/987654", "tgram://…"),  # a bot token where a host would be
        ("ntfy://my-secret-topic", "ntfy://…"),
        ("ntfys://ntfy.sh/my-secret-topic", "ntfys://ntfy.sh/…"),
        ("discord://webhook_id/webhook_token", "discord://…"),
        ("slack://TokenA/TokenB/TokenC/#general", "slack://…"),
        ("json://[::1]:9000/x", "json://[::1]:9000/…"),
        ("JSON://Example.COM/x?token=1", "json://example.com/…"),
        ("abc.def://x.y", "abc.def://…"),  # 'y' is no top-level domain
        ("no scheme at all", "…"),
    ],
)
def test_mask(url, shown):
    assert notify.mask(url) == shown


def test_apprise_missing_says_how_to_install_it(tmp_path):
    """In a fresh interpreter where `import apprise` fails, as it does without the extra."""
    code = (
        "import sys\n"
        "sys.modules['apprise'] = None  # import apprise raises ImportError\n"
        "from ishop4u_cli.services import notify\n"
        "try:\n"
        "    notify.check_urls(['json://127.0.0.1:9/x'])\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, int(exc.exit_code), exc)\n"
        "print(notify.send(['json://127.0.0.1:9/x'], []))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True, cwd=tmp_path
    )
    assert proc.stdout.splitlines() == [
        "UsageError 2 notifications need Apprise, which is not installed: install it with "
        "`pipx inject ishop4u apprise` (or `pip install 'ishop4u[notify]'`)",
        "[]",
    ]


def test_send_without_apprise_is_a_warning_not_an_error(tmp_path):
    code = (
        "import sys\n"
        "sys.modules['apprise'] = None\n"
        "from decimal import Decimal as D\n"
        "from ishop4u_cli.services import notify, watches\n"
        "a = watches.Alert(1, 'Mug', D('1.00'), 'USD', D('2.00'), 'below', None, False)\n"
        "print(notify.send(['json://127.0.0.1:9/x'], [a]))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True, cwd=tmp_path
    )
    assert "no notification was sent: notifications need Apprise" in proc.stdout


@pytest.mark.parametrize(
    "args",
    [["--help"], ["product", "--help"], ["product", "watches", "--help"], ["product", "history", "--help"]],
)
def test_help_imports_neither_apprise_nor_plotext(args):
    loaded, out = modules_after(args, {"TERMINAL_WIDTH": "100", "_TYPER_FORCE_DISABLE_TERMINAL": "1"})
    assert out
    assert {name.split(".")[0] for name in loaded} & {"apprise", "plotext", "requests"} == set()
