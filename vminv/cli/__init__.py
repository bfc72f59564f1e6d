"""The thin command-line layer: builds settings, calls one library function, renders rows."""
