"""Read-only access to a model's artifact folder, whatever holds it.

:class:`ArtifactSource` is the interface ``auditkit explain`` reads model files through
(:mod:`auditkit.reperform.artifacts`); :class:`LocalArtifactSource` reads a local folder or a
``file:`` URI. A connector whose store keeps artifacts behind a server (the MLflow REST connector:
``mlflow-artifacts:`` locations, the tracking server's artifact API) offers
``artifact_source(uri) -> ArtifactSource | None`` and returns its own implementation; it lives here,
below the connectors' users, so that a connector can implement it. Nothing here writes.
"""

from __future__ import annotations

import abc
import os
from pathlib import Path
from urllib.parse import unquote, urlparse


class ArtifactSource(abc.ABC):
    """Read-only access to one model's artifact folder.

    Implementations list the files under the folder (relative POSIX paths) and return a file's
    bytes; they never write. :class:`LocalArtifactSource` is the local one.
    """

    #: The location as shown in the evidence (URI or path).
    uri: str

    @abc.abstractmethod
    def exists(self) -> bool:
        """Whether the folder exists (and can be listed)."""

    @abc.abstractmethod
    def list_files(self) -> list[str]:
        """Every file under the folder, as sorted relative POSIX paths."""

    @abc.abstractmethod
    def read_bytes(self, relpath: str) -> bytes:
        """The bytes of one file (``relpath`` as :meth:`list_files` gives it). Raises OSError."""


class LocalArtifactSource(ArtifactSource):
    """A model folder on a local (or mounted) file system."""

    def __init__(self, path: str | os.PathLike, uri: str | None = None) -> None:
        self.path = Path(path)
        self.uri = uri or str(path)

    def exists(self) -> bool:
        return self.path.is_dir()

    def list_files(self) -> list[str]:
        out = []
        for root, _dirs, files in os.walk(self.path):
            for name in files:
                out.append(Path(root, name).relative_to(self.path).as_posix())
        return sorted(out)

    def read_bytes(self, relpath: str) -> bytes:
        target = (self.path / relpath).resolve()
        if self.path.resolve() not in target.parents:
            raise OSError(f"{relpath!r} is outside the artifact folder")
        return target.read_bytes()


def local_path(uri: str) -> Path | None:
    """The local path of a ``file:`` URI or a plain path; ``None`` for any other scheme."""
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    if parsed.scheme == "" or (len(parsed.scheme) == 1 and os.name == "nt"):
        return Path(uri)
    return None


__all__ = ["ArtifactSource", "LocalArtifactSource", "local_path"]
