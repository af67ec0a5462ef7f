"""The ``tdl-inbox`` command line: thin commands over the services."""
