"""Per-app settings, each owned by its app's maintainers and merged into base.py."""
