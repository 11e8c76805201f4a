"""Storage for private files (export packages, authorised agents' proofs)."""

from django.core.files.storage import FileSystemStorage

# Readable and writable by the server's own user only: another account on the machine
# (or a mis-set web server) must not read a person's data package.
PRIVATE_FILE_MODE = 0o600
PRIVATE_DIRECTORY_MODE = 0o700


class PrivateFileSystemStorage(FileSystemStorage):
    """A file system storage with no public URL: private files are only ever served by
    views that check a token or a staff permission, so asking for a URL is a bug. Files
    are created 0600 and folders 0700, whatever FILE_UPLOAD_PERMISSIONS (public media) says."""

    def __init__(self, **kwargs):
        kwargs["file_permissions_mode"] = PRIVATE_FILE_MODE
        kwargs["directory_permissions_mode"] = PRIVATE_DIRECTORY_MODE
        super().__init__(**kwargs)

    def url(self, name: str | None) -> str:
        raise ValueError("Private files have no public URL; serve them through a checked view.")
