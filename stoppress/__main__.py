from stoppress.cli import cli

cli()
