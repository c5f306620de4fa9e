"""The `alerthub` command line: one module per group of subcommands."""
