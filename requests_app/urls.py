"""Public URLs of this app (mounted by config/urls.py)."""

urlpatterns: list = []
