"""The demo data: `seed` (the demo firm, its users, clients and documents, written to the
database and the document storage) and `pdf` (the hand-written one-page PDFs those documents
carry). Nothing in the app's normal flow imports this package; the CLI `seed` command, the
first-run demo start and the tests do."""
