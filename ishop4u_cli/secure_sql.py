"""`ishop4u db secure` on PostgreSQL: the group role, its grants, row-level security, the functions.

Run by the owner of the tables (who bypasses row-level security, as PostgreSQL
does for a table's owner), in one transaction, as often as wanted: every
policy, trigger and function is replaced, and the group's privileges are
revoked and granted again, so what is granted is exactly what is written here.
migrate.upgrade runs it again after an upgrade of a secured database (one
whose `users` table has row-level security on), so new tables are covered.

Who is who: a member is a login role in GROUP (`GRANT ishop4u_users TO alice`).
An account is a member's when its `db_role` is their `session_user`.
Members read what ishop4u shows everybody (products, sources, history, the
users list without password hashes) and read and change only their own cart
lines, sessions and watches. Products: anyone inserts them as their own and
corrects name, price, currency and image; links, the URL, the store and
removal belong to the creator and the admins. Sources: admins only. Accounts:
a member makes accounts for their own role only, never an admin unless they
are one (or the database has none yet, as the first account becomes one).

Policies cannot read `users` under its own policies (PostgreSQL reports an
infinite recursion), so they ask SECURITY DEFINER functions owned by the
owner, with a fixed search_path, EXECUTE granted to the group only.

Every table ishop4u has must be in TABLES: tests/test_secure_postgres.py
fails for one that is not, and a table missing here is closed to members.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

GROUP = "ishop4u_users"

_MINE = "user_id IN (SELECT ishop4u_my_accounts())"

# table: (privileges granted to GROUP, row-level policies as {name: "FOR ... USING/WITH CHECK ..."}).
# No policies: row-level security stays off, the privileges say it all.
TABLES: dict[str, tuple[str, dict[str, str]]] = {
    "alembic_version": ("SELECT", {}),
    "users": (
        "SELECT (id, name, email, created_at, is_admin, db_role), "
        "INSERT (name, email, password_hash, is_admin, db_role), "
        "UPDATE (name, email, password_hash, is_admin, db_role), DELETE",
        {
            "read": "FOR SELECT USING (true)",
            "add": (
                "FOR INSERT WITH CHECK (db_role = session_user"
                " AND (NOT is_admin OR ishop4u_is_admin() OR NOT ishop4u_has_admin()))"
            ),
            # Another's row: an admin's, to make them admin; or anyone's when no admin is left
            # (the last admin removed their account). The trigger allows nothing else there.
            "change": (
                "FOR UPDATE USING (db_role = session_user OR ishop4u_is_admin() OR NOT ishop4u_has_admin())"
                " WITH CHECK (db_role = session_user OR ishop4u_is_admin() OR NOT ishop4u_has_admin())"
            ),
            "remove": "FOR DELETE USING (db_role = session_user)",
        },
    ),
    "affiliate_sources": (
        "SELECT, INSERT, UPDATE, DELETE",
        {
            "read": "FOR SELECT USING (true)",
            "add": "FOR INSERT WITH CHECK (ishop4u_is_admin())",
            "change": "FOR UPDATE USING (ishop4u_is_admin()) WITH CHECK (ishop4u_is_admin())",
            "remove": "FOR DELETE USING (ishop4u_is_admin())",
        },
    ),
    "products": (
        "SELECT, INSERT, UPDATE, DELETE",
        {
            "read": "FOR SELECT USING (true)",
            "add": (
                "FOR INSERT WITH CHECK (created_by IN (SELECT ishop4u_my_accounts())"
                " AND (edited_by IS NULL OR edited_by IN (SELECT ishop4u_my_accounts())))"
            ),
            "change": "FOR UPDATE USING (true) WITH CHECK (true)",  # column by column: the trigger
            "remove": (
                "FOR DELETE USING (created_by IN (SELECT ishop4u_my_accounts()) OR ishop4u_is_admin())"
            ),
        },
    ),
    "cart_items": (
        "SELECT, INSERT, UPDATE, DELETE",
        {"own": f"FOR ALL USING ({_MINE}) WITH CHECK ({_MINE})"},
    ),
    "sessions": ("SELECT, INSERT, UPDATE, DELETE", {"own": f"FOR ALL USING ({_MINE}) WITH CHECK ({_MINE})"}),
    "price_watches": (
        "SELECT, INSERT, UPDATE, DELETE",
        {"own": f"FOR ALL USING ({_MINE}) WITH CHECK ({_MINE})"},
    ),
    "price_observations": (
        "SELECT, INSERT",
        {
            "read": "FOR SELECT USING (true)",
            "add": f"FOR INSERT WITH CHECK (user_id IS NULL OR {_MINE})",
        },
    ),
    "page_checks": ("SELECT, INSERT, UPDATE, DELETE", {}),  # the latest read of a page: anyone's to record
}

# name(arguments) -> returns, language, body. All SECURITY DEFINER, owned by whoever runs `db secure`.
_FUNCTIONS: dict[str, tuple[str, str, str]] = {
    "ishop4u_my_accounts()": (
        "SETOF integer",
        "sql STABLE",
        "SELECT id FROM users WHERE db_role = session_user",
    ),
    "ishop4u_mine(account integer)": (
        "boolean",
        "sql STABLE",
        "SELECT EXISTS (SELECT 1 FROM users WHERE id = account AND db_role = session_user)",
    ),
    "ishop4u_is_admin()": (
        "boolean",
        "sql STABLE",
        "SELECT EXISTS (SELECT 1 FROM users WHERE db_role = session_user AND is_admin)",
    ),
    "ishop4u_has_admin()": ("boolean", "sql STABLE", "SELECT EXISTS (SELECT 1 FROM users WHERE is_admin)"),
    # Sign-in without reading the column: the hash of one of the caller's own accounts, else NULL.
    "ishop4u_password_hash(account integer)": (
        "text",
        "sql STABLE",
        "SELECT password_hash FROM users WHERE id = account AND db_role = session_user",
    ),
    # The owner and superusers are not held by the triggers (nor, being the owner, by the policies).
    "ishop4u_unrestricted()": (
        "boolean",
        "sql STABLE",
        "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = session_user AND (rolsuper OR rolbypassrls))"
        " OR pg_has_role(session_user, (SELECT relowner FROM pg_class WHERE oid = 'users'::regclass), 'USAGE')",
    ),
    "ishop4u_check_product()": (
        "trigger",
        "plpgsql",
        """
BEGIN
  IF ishop4u_unrestricted() THEN
    RETURN NEW;
  END IF;
  IF (NEW.affiliate_link, NEW.canonical_url, NEW.affiliate_source_id)
       IS DISTINCT FROM (OLD.affiliate_link, OLD.canonical_url, OLD.affiliate_source_id)
     AND NOT ishop4u_mine(OLD.created_by) AND NOT ishop4u_is_admin() THEN
    RAISE EXCEPTION 'product %: only its creator or an admin may change its link, URL or store', OLD.id
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  -- A removed account's products and corrections are set to NULL by the foreign keys.
  IF NEW.created_by IS DISTINCT FROM OLD.created_by AND NOT ishop4u_is_admin()
     AND NOT (NEW.created_by IS NULL AND NOT EXISTS (SELECT 1 FROM users WHERE id = OLD.created_by)) THEN
    RAISE EXCEPTION 'product %: only an admin may change who created it', OLD.id
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NEW.edited_by IS DISTINCT FROM OLD.edited_by AND NOT ishop4u_mine(NEW.edited_by)
     AND NOT (NEW.edited_by IS NULL AND NOT EXISTS (SELECT 1 FROM users WHERE id = OLD.edited_by)) THEN
    RAISE EXCEPTION 'product %: a correction is recorded as your own account''s', OLD.id
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END
""",
    ),
    "ishop4u_check_account()": (
        "trigger",
        "plpgsql",
        """
BEGIN
  IF ishop4u_unrestricted() THEN
    RETURN NEW;
  END IF;
  IF OLD.db_role IS DISTINCT FROM session_user
     AND (NEW.id, NEW.name, NEW.email, NEW.password_hash, NEW.db_role, NEW.created_at)
       IS DISTINCT FROM (OLD.id, OLD.name, OLD.email, OLD.password_hash, OLD.db_role, OLD.created_at) THEN
    RAISE EXCEPTION 'account %: only its own role may change it', OLD.id
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NEW.is_admin AND NOT OLD.is_admin AND NOT ishop4u_is_admin() AND ishop4u_has_admin() THEN
    RAISE EXCEPTION 'account %: only an admin may make an admin', OLD.id
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END
""",
    ),
}

_TRIGGERS = {
    "products": ("ishop4u_check_product", "ishop4u_check_product()"),
    "users": ("ishop4u_check_account", "ishop4u_check_account()"),
}


def is_secured(conn: Connection) -> bool:
    """Whether `db secure` was run on this database: `users` has row-level security on."""
    if conn.dialect.name != "postgresql":
        return False
    return bool(
        conn.exec_driver_sql("SELECT relrowsecurity FROM pg_class WHERE oid = to_regclass('users')").scalar()
    )


def may_secure(conn: Connection) -> tuple[str, str, bool]:
    """Who this connection is, who owns the tables, and whether this role may secure them.

    The owner of `users` (or a member of that role), or a superuser.
    """
    who, owner, allowed = conn.exec_driver_sql(
        "SELECT session_user, pg_get_userbyid(c.relowner),"
        " r.rolsuper OR pg_has_role(session_user, c.relowner, 'USAGE')"
        " FROM pg_class c, pg_roles r WHERE c.oid = to_regclass('users') AND r.rolname = session_user"
    ).one()
    return who, owner, bool(allowed)


def reads_password_hashes(conn: Connection) -> bool:
    """Whether this connection may read users.password_hash (not a member of a secured database)."""
    if conn.dialect.name != "postgresql":
        return True
    return bool(
        conn.exec_driver_sql("SELECT has_column_privilege('users', 'password_hash', 'SELECT')").scalar()
    )


def _ensure_group(conn: Connection) -> bool:
    """Create GROUP (NOLOGIN) unless it exists; whether it was created here.

    Roles belong to the whole server: another database's `db secure` may
    create it at the same moment, which is no failure.
    """
    if conn.exec_driver_sql(f"SELECT 1 FROM pg_roles WHERE rolname = '{GROUP}'").first():
        return False
    conn.exec_driver_sql(
        f"""DO $$ BEGIN
  CREATE ROLE {GROUP} NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$"""
    )
    return True


def apply(conn: Connection) -> tuple[bool, list[str]]:
    """Secure the database CONN is on (inside the caller's transaction).

    Whether GROUP was created, and the tables of TABLES it was given (those in the current schema).
    """
    from sqlalchemy import text

    quote = conn.dialect.identifier_preparer.quote

    def run(sql: str, **params: object):
        # The driver reads % as a placeholder even without parameters (RAISE messages use %).
        return conn.execute(text(sql), params) if params else conn.exec_driver_sql(sql.replace("%", "%%"))

    created = _ensure_group(conn)
    schema = run("SELECT current_schema()").scalar()
    database = run("SELECT current_database()").scalar()
    run(f"GRANT CONNECT ON DATABASE {quote(database)} TO {GROUP}")
    run(f"GRANT USAGE ON SCHEMA {quote(schema)} TO {GROUP}")
    # Nobody but the owner creates objects beside the functions (PostgreSQL 15's default for public;
    # older servers let everyone). A schema the runner does not own gets a warning, not an error.
    run(f"REVOKE CREATE ON SCHEMA {quote(schema)} FROM PUBLIC, {GROUP}")
    for signature, (returns, language, body) in _FUNCTIONS.items():
        run(
            f"CREATE OR REPLACE FUNCTION {signature} RETURNS {returns} LANGUAGE {language}"
            f" SECURITY DEFINER SET search_path = {quote(schema)}, pg_temp AS $body${body}$body$"
        )
        run(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        run(f"GRANT EXECUTE ON FUNCTION {signature} TO {GROUP}")
    present = {name for (name,) in run("SELECT tablename FROM pg_tables WHERE schemaname = :s", s=schema)}
    secured = [table for table in TABLES if table in present]
    for table in secured:
        privileges, policies = TABLES[table]
        run(f"REVOKE ALL ON {quote(table)} FROM {GROUP}")
        run(f"GRANT {privileges} ON {quote(table)} TO {GROUP}")
        old = run(
            "SELECT policyname FROM pg_policies WHERE schemaname = :s AND tablename = :t", s=schema, t=table
        )
        for (name,) in old.fetchall():
            run(f"DROP POLICY {quote(name)} ON {quote(table)}")
        if policies:
            run(f"ALTER TABLE {quote(table)} ENABLE ROW LEVEL SECURITY")
        for name, rule in policies.items():
            command, _, clauses = rule.removeprefix("FOR ").partition(" ")
            run(f"CREATE POLICY ishop4u_{name} ON {quote(table)} FOR {command} TO {GROUP} {clauses}")
        sequence = run(
            "SELECT pg_get_serial_sequence(quote_ident(:s) || '.' || quote_ident(:t), 'id')"
            " FROM information_schema.columns"
            " WHERE table_schema = :s AND table_name = :t AND column_name = 'id'",
            s=schema,
            t=table,
        ).scalar()
        if sequence:
            run(f"REVOKE ALL ON SEQUENCE {sequence} FROM {GROUP}")
            if "INSERT" in privileges:
                run(f"GRANT USAGE ON SEQUENCE {sequence} TO {GROUP}")
    for table, (trigger, function) in _TRIGGERS.items():
        run(f"DROP TRIGGER IF EXISTS {trigger} ON {quote(table)}")
        run(
            f"CREATE TRIGGER {trigger} BEFORE UPDATE ON {quote(table)}"
            f" FOR EACH ROW EXECUTE FUNCTION {function}"
        )
    return created, secured


def members(conn: Connection) -> list[str]:
    """The roles in GROUP, by name."""
    return [
        name
        for (name,) in conn.exec_driver_sql(
            "SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member"
            f" JOIN pg_roles g ON g.oid = m.roleid WHERE g.rolname = '{GROUP}' ORDER BY 1"
        )
    ]
