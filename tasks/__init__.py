"""The project's own automation, as doit task creators (collected by dodo.py)."""
