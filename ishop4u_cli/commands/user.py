"""`ishop4u user`: accounts and sign-in; every cart belongs to the signed-in user.

Passwords come from a hidden prompt or, with --password-stdin, from stdin
(only its one trailing newline is stripped); never from an option value.
Passwords are read before a transaction starts, so no database lock is held
while someone types.
"""

import sys
from typing import Annotated

import typer

from ishop4u_cli import completion
from ishop4u_cli.commands._shared import JsonOption, YesOption, ask, confirm, state, stdin_is_terminal
from ishop4u_cli.errors import UsageError

app = typer.Typer(
    help="Accounts and sign-in: every cart belongs to the signed-in user.", no_args_is_help=True
)

PasswordStdinOption = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        help="Read the password from stdin (only its trailing newline is stripped) instead of a prompt.",
    ),
]
EmailArgument = Annotated[
    str,
    typer.Argument(
        help="The account's email address (any case).",
        show_default=False,
        autocompletion=completion.emails,
    ),
]


# ---------------------------------------------------------------- reading passwords


def _strip_one_newline(text: str) -> str:
    if text.endswith("\r\n"):
        return text[:-2]
    if text.endswith("\n"):
        return text[:-1]
    return text


def _need_terminal(what: str) -> None:
    """Fail at once, instead of waiting for input that cannot come, when stdin is not a terminal."""
    if not stdin_is_terminal():
        raise UsageError(
            f"stdin is not a terminal, so nothing can ask for {what}; pass --password-stdin and write it to stdin"
        )


def _stdin_password() -> str:
    password = _strip_one_newline(sys.stdin.read())
    if not password:
        raise UsageError("--password-stdin: no password on stdin")
    return password


def _ask_password(prompt: str) -> str:
    """A hidden prompt. Ctrl-D is an empty password, refused (exit 2); Ctrl-C is exit 130."""
    from ishop4u_cli.services import passwords

    password = ask(lambda: typer.prompt(prompt, hide_input=True, err=True), hidden=True) or ""
    passwords.check_entered(password)
    return password


def _ask_new_password(prompt: str) -> str:
    """A new password typed twice; its length is checked before it is asked again."""
    from ishop4u_cli.render import users as view
    from ishop4u_cli.services import passwords

    while True:
        password = _ask_password(prompt)
        passwords.check_new_password(password)
        if _ask_password(view.REPEAT_PROMPT) == password:
            return password
        view.passwords_differ()


def _read_password(from_stdin: bool, prompt: str) -> str:
    if from_stdin:
        return _stdin_password()
    _need_terminal("the password")
    return _ask_password(prompt)


def _read_new_password(from_stdin: bool) -> str:
    """A new password: from stdin, or typed twice at a hidden prompt."""
    from ishop4u_cli.render import users as view
    from ishop4u_cli.services import passwords

    if not from_stdin:
        _need_terminal("the password")
        return _ask_new_password(view.PASSWORD_PROMPT)
    password = _stdin_password()
    passwords.check_new_password(password)
    return password


def _read_old_and_new(from_stdin: bool) -> tuple[str, str]:
    from ishop4u_cli.render import users as view
    from ishop4u_cli.services import passwords

    if not from_stdin:
        _need_terminal("the passwords")
        old = _ask_password(view.CURRENT_PASSWORD_PROMPT)
        return old, _ask_new_password(view.NEW_PASSWORD_PROMPT)
    lines = [line.removesuffix("\r") for line in _strip_one_newline(sys.stdin.read()).split("\n")]
    if len(lines) != 2 or not lines[0] or not lines[1]:
        raise UsageError(
            "--password-stdin: expected two lines on stdin, the current password then the new one"
        )
    passwords.check_new_password(lines[1])
    return lines[0], lines[1]


# ---------------------------------------------------------------- commands


@app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The user's name (1 to 100 characters).", show_default=False)],
    email: Annotated[
        str, typer.Argument(help="The user's email address: the account's login.", show_default=False)
    ],
    password_stdin: PasswordStdinOption = False,
    admin: Annotated[
        bool,
        typer.Option("--admin", help="Make the account an admin too (only an admin may)."),
    ] = False,
) -> None:
    """Create an account; it is signed in when nobody is signed in to this database here.

    The database's first account is its admin: admins change sources, any product's link, and
    make other admins (--admin).
    """
    from ishop4u_cli.render import users as view
    from ishop4u_cli.services import permissions, users

    users.normalize_name(name)  # bad names and emails fail before anyone types a password
    users.normalize_email(email)
    st = state(ctx)
    if not password_stdin:
        _need_terminal("the password")
    if admin or not password_stdin:
        with st.session() as session:
            if admin:  # refused before anyone types a password
                permissions.check_may_make_admin(session)
            users.ensure_email_free(session, email)
    password = _read_new_password(password_stdin)
    with st.session() as session:
        registered = permissions.register(session, name=name, email=email, password=password, admin=admin)
    view.created(registered)


@app.command("login")
def login(ctx: typer.Context, email: EmailArgument, password_stdin: PasswordStdinOption = False) -> None:
    """Sign in as EMAIL to this database on this machine."""
    from ishop4u_cli.render import users as view
    from ishop4u_cli.services import auth

    password = _read_password(password_stdin, view.PASSWORD_PROMPT)
    with state(ctx).session() as session:
        user = auth.login(session, email=email, password=password)
    view.signed_in(user)


@app.command("logout")
def logout(
    ctx: typer.Context,
    everywhere: Annotated[
        bool, typer.Option("--all", help="Sign out of every database on this machine, not only this one.")
    ] = False,
) -> None:
    """Sign out of this database on this machine (the session ends in the database too)."""
    from ishop4u_cli.render import users as view
    from ishop4u_cli.services import auth

    view.signed_out(auth.sign_out(state(ctx), everywhere=everywhere))


@app.command("whoami")
def whoami(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Show the signed-in user (exit 4 when nobody is)."""
    from ishop4u_cli.render import users as view
    from ishop4u_cli.services import auth

    with state(ctx).session() as session:
        user = auth.current_user(session)
    view.whoami(user, as_json=as_json)


@app.command("list")
def list_users(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List the accounts: id, name, email, admin, created (for signed-in users only)."""
    from ishop4u_cli.render import users as view
    from ishop4u_cli.services import permissions

    with state(ctx).session() as session:
        found = permissions.accounts(session)
    view.user_list(found, as_json=as_json)


@app.command("passwd")
def passwd(
    ctx: typer.Context,
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin",
            help="Read two lines from stdin instead of prompts: the current password, then the new one.",
        ),
    ] = False,
) -> None:
    """Change your password: the current one, then the new one twice."""
    from ishop4u_cli.render import users as view
    from ishop4u_cli.services import auth

    st = state(ctx)
    if not password_stdin:
        _need_terminal("the passwords")
    with st.session() as session:
        auth.current_user(session)  # not signed in: say so before asking anything
    old, new = _read_old_and_new(password_stdin)
    with st.session() as session:
        changed = auth.change_password(session, old_password=old, new_password=new)
    view.password_changed(changed)


@app.command("remove")
def remove(
    ctx: typer.Context,
    email: EmailArgument,
    password_stdin: PasswordStdinOption = False,
    yes: YesOption = False,
) -> None:
    """Delete an account and its cart (needs that account's password)."""
    from ishop4u_cli.render import users as view
    from ishop4u_cli.services import auth, users

    if not yes and not stdin_is_terminal():
        raise UsageError(
            "removing a user needs a confirmation and stdin is not a terminal; pass --yes to answer it"
        )
    password = _read_password(password_stdin, view.password_prompt(email))
    st = state(ctx)
    with st.session() as session:
        plan = users.plan_removal(session, email=email, password=password)
    confirm(view.removal_question(plan), yes=yes)
    with st.session() as session:
        was_here = auth.remove_account(session, plan)
    view.removed(plan, was_signed_in_here=was_here)
