"""One thin Typer sub-app per command group: parse, call a service, render the result."""
