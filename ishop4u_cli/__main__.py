from ishop4u_cli.app import main

main()
