from ishop4u_cli.app import run

run()
