"""`ishop4u demo`: the whole flow on a throwaway database."""


def demo() -> None:
    """Run the whole flow on a throwaway database in a temporary directory."""
    import tempfile
    from pathlib import Path

    from ishop4u_cli.render import demo as view
    from ishop4u_cli.services import demo as demo_service

    view.intro()
    with tempfile.TemporaryDirectory(prefix="ishop4u-demo-") as tmp:
        where = Path(tmp)
        result = demo_service.run_demo(where, say=view.step)
    view.result(result)
    view.finished(where)
