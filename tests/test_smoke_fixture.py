def test_current_is_head(cli):
    r = cli("db", "current", "--json")
    assert r.exit_code == 0, r
    assert '"up_to_date": true' in r.stdout
