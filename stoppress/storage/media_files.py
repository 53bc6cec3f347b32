"""Where uploaded pictures' files live: the interface, and the default folder on disk.

A picture is saved as one set of files under its name (`{name}/{width}.webp`, `{name}/{width}.jpg`)
and is never changed afterwards, so its URLs can be cached forever.
"""

from __future__ import annotations

import abc
import asyncio
import os
import re
import shutil
import tempfile
from pathlib import Path

from stoppress.settings import Settings

# Only what the upload use case writes: a name from secrets.token_urlsafe and a width.
NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
FILE_RE = re.compile(r"^[0-9]{1,5}\.(?:webp|jpg)$")


def valid_path(path: str) -> bool:
    """Whether `path` is `name/file` as the store writes them (so never `..`, never absolute)."""
    name, _, file = path.partition("/")
    return bool(NAME_RE.match(name) and FILE_RE.match(file))


class MediaStore(abc.ABC):
    """The files of uploaded pictures."""

    @abc.abstractmethod
    async def save(self, name: str, files: dict[str, bytes]) -> None:
        """Store every file of one picture at once (`{"320.webp": b"..."}`); a name is saved only once."""

    @abc.abstractmethod
    async def open(self, path: str) -> bytes | None:
        """The bytes of the file at `name/file`, or None if there is none."""

    @abc.abstractmethod
    async def delete(self, name: str) -> None:
        """Remove every file of a picture (used when recording it failed)."""


class FolderMediaStore(MediaStore):
    """Pictures as files in a folder: each picture's files appear together, complete, or not at all."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    async def save(self, name: str, files: dict[str, bytes]) -> None:
        await asyncio.to_thread(self._save, name, files)

    async def open(self, path: str) -> bytes | None:
        if not valid_path(path):
            return None
        return await asyncio.to_thread(self._read, self.folder / path)

    async def delete(self, name: str) -> None:
        if NAME_RE.match(name):
            await asyncio.to_thread(shutil.rmtree, self.folder / name, True)

    def _save(self, name: str, files: dict[str, bytes]) -> None:
        if not NAME_RE.match(name) or not all(valid_path(f"{name}/{file}") for file in files):
            raise ValueError(f"not a media name or file name: {name!r} {sorted(files)!r}")
        self.folder.mkdir(parents=True, exist_ok=True)
        # Written and flushed to disk in a hidden folder, then renamed into place in one step: a
        # crash leaves either the whole picture or a stray ".tmp-" folder, never a half picture.
        staging = Path(tempfile.mkdtemp(prefix=".tmp-", dir=self.folder))
        try:
            for file, data in files.items():
                with open(staging / file, "wb") as out:
                    out.write(data)
                    out.flush()
                    os.fsync(out.fileno())
            os.chmod(staging, 0o755)  # mkdtemp makes it private; the files are public anyway
            _fsync_dir(staging)
            os.replace(staging, self.folder / name)  # refused if the name holds files: none is overwritten
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        _fsync_dir(self.folder)

    @staticmethod
    def _read(path: Path) -> bytes | None:
        try:
            return path.read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None


def _fsync_dir(folder: Path) -> None:
    if os.name == "nt":  # Windows cannot open a folder to flush it
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def media_folder(settings: Settings) -> Path:
    """`media_dir` if set, else a `media` folder next to the SQLite database (or in the working folder)."""
    if settings.media_dir:
        return Path(settings.media_dir)
    if settings.db.startswith("sqlite:") or "://" not in settings.db:
        from stoppress.storage.sqlite import path_from_url

        return Path(path_from_url(settings.db)).parent / "media"
    return Path("media")


def open_media_store(settings: Settings) -> MediaStore:
    """The media store the settings ask for."""
    return FolderMediaStore(media_folder(settings))
