"""Front ends for `publish`: all implement :class:`releasekit.engine.observer.PublishObserver`.

- :mod:`.rich_ui` — the live table on a terminal, with pause/resume/cancel keys;
- :mod:`.cilog` — one line per stage change for CI logs, GitHub Actions groups/annotations;
- :mod:`.ndjson` — ``--format json``: one JSON event per line on stdout;
- :mod:`.choose` — picks one from the command line and the environment.

They share :mod:`.model` (what the run looks like now) and :mod:`.sink` (writing lines
safely from the main thread, the event-tail thread and signal handlers).
"""
