"""The small kit every domain's views are built on: the operation runner (`operations`), the
change bus (`bus`)."""
