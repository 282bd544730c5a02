"""Qt widgets, item models and dialogs. Views call services; they never build SQL."""
