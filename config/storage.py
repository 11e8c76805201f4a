"""Storage for private files (export packages, authorised agents' proofs)."""

from django.core.files.storage import FileSystemStorage


class PrivateFileSystemStorage(FileSystemStorage):
    """A file system storage with no public URL: private files are only ever served by
    views that check a token or a staff permission, so asking for a URL is a bug."""

    def url(self, name: str | None) -> str:
        raise ValueError("Private files have no public URL; serve them through a checked view.")
