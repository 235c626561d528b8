"""Escape sequences from pages, files and the database never reach a terminal (issue 14).

Stored URLs have their control and bidi characters percent-encoded; everything printed has
them removed, so even rows written by another tool (or an older ishop4u) cannot rewrite the
screen, retitle the window, spoof an OSC 8 hyperlink or reorder text with U+202E.
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from terminal import run_with_terminal_on

from ishop4u_cli.text import printable, url_without_controls

ESC_LINK = "\x1b]8;;https://evil.example/\x07click me\x1b]8;;\x07"
# What must never appear on the screen: BEL, bidi overrides, the page's own OSC 8 link, a
# window title, a screen wipe.
FORBIDDEN = ("\x07", "\u202e", "\x1b]8;;https://evil", "\x1b]0;", "\x1b[2J", "\r")


def assert_clean(screen: str) -> None:
    for bad in FORBIDDEN:
        assert bad not in screen, (bad, screen)


def test_printable_and_url_rules():
    assert printable("a\x1b[31mb\x07c\u202ed\re\tf\ng\x9bh") == "a[31mbcde\tf\ngh"
    assert url_without_controls("https://x.example/p") == "https://x.example/p"
    assert (
        url_without_controls("https://x.example/a\x1b]8;;\x07\u202eb\tc")
        == "https://x.example/a%1B]8;;%07%E2%80%AEb%09c"
    )


def test_a_pages_og_image_is_stored_percent_encoded(cli, signed_in, page_server):
    r = cli("product", "add", page_server.url("/pages/hostile_og_image.html"), "--json")
    assert r.exit_code == 0, r
    product = json.loads(r.stdout)
    assert (
        product["image_url"]
        == "https://cdn.shop.example/mug.png%1B]8;;https://evil.example/%07click me%1B]8;;%07"
    )
    assert "\x1b" not in r.stdout and "\x07" not in r.stdout
    assert "\u202e" not in r.stdout  # JSON writes it escaped: \u202e
    assert json.loads(r.stdout)["name"] == "Spoofed \u202egpj.exe Mug"  # the data itself is kept


def test_links_of_an_imported_cart_are_stored_percent_encoded(cli, signed_in, engine, tmp_path):
    doc = {
        "items": [
            {
                "name": "Mug \u202egpj.exe",
                "url": "https://shop.example/products/mug\x1b]0;pwned\x07",
                "affiliate_link": "https://shop.example/products/mug?ref=x" + ESC_LINK,
                "image_url": "https://img.example/m.png\x1b[2J",
                "quantity": 1,
                "notes": "note\x1b[2J\x07",
            }
        ]
    }
    path = tmp_path / "cart.json"
    path.write_text(json.dumps(doc))
    r = cli("cart", "import", str(path))
    assert r.exit_code == 0, r
    with engine.connect() as conn:
        link, image = conn.execute(sa.text("SELECT affiliate_link, image_url FROM products")).one()
    assert link == "https://shop.example/products/mug?ref=x" + url_without_controls(ESC_LINK)
    assert "\x1b" not in link + image and "\x07" not in link + image


@pytest.mark.parametrize(
    "command",
    [["cart", "list"], ["checkout"], ["product", "list"], ["product", "show", "1"], ["source", "list"]],
)
def test_rows_written_by_another_tool_cannot_rewrite_the_terminal(cli, signed_in, engine, command):
    r = cli("cart", "add", "https://shop.example/products/mug", "--no-fetch", "--notes", "plain")
    assert r.exit_code == 0, r
    with engine.begin() as conn:  # as an older version, or another program, could have stored them
        conn.execute(
            sa.text("UPDATE products SET name = :name, affiliate_link = :link, image_url = :image"),
            {
                "name": "Mug \x1b]0;pwned\x07 \u202egpj.exe",
                "link": "https://shop.example/products/mug" + ESC_LINK,
                "image": "https://img.example/m.png\x1b[2J",
            },
        )
        conn.execute(sa.text("UPDATE cart_items SET notes = :notes"), {"notes": "wiped\x1b[2J\x1b[H\r"})
    code, screen, _ = run_with_terminal_on("stdout", ["--db", cli.db_url, *command])
    assert code == 0, screen
    assert_clean(screen)
    if command != ["source", "list"]:
        assert "gpj.exe" in screen  # shown, in the order it is stored


def test_piped_output_and_messages_are_clean_too(cli, signed_in, engine, run_ishop4u):
    cli("cart", "add", "https://shop.example/products/mug", "--no-fetch")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE products SET name = :name"), {"name": "Mug \x1b]0;pwned\x07\u202e"})
    for args in (["cart", "list"], ["checkout"], ["product", "show", "1"]):
        r = run_ishop4u("--db", cli.db_url, *args)
        assert r.exit_code == 0, r
        assert_clean(r.stdout)
        assert "\x1b" not in r.stdout
    r = run_ishop4u("--db", cli.db_url, "cart", "remove", "1")
    assert "\x1b" not in r.stderr and "\u202e" not in r.stderr


def test_checkout_open_hands_the_browser_no_control_characters(monkeypatch):
    import webbrowser

    from ishop4u_cli.commands.checkout import open_url

    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url: opened.append(url) or True)
    assert open_url("https://shop.example/p" + ESC_LINK)
    assert opened == ["https://shop.example/p" + url_without_controls(ESC_LINK)]
    assert "\x1b" not in opened[0] and "\x07" not in opened[0]
