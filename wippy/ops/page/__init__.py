"""The ops page: a small operator web app on the operations listener (docs/operations.md,
"Ops page"). server.py runs it, app.py routes and guards it, state.py reads what it
shows, handler_errors.py keeps the latest handler failures, static/ is the page itself."""
