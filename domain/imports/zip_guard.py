"""Refuses zip archives (XLSX files) that would unpack into far more than they weigh, and
parts that openpyxl would read whole past a few megabytes."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from typing import Any, BinaryIO

from domain.imports.limits import (
    MAX_COMPRESSION_RATIO,
    MAX_PART_BYTES_READ_WHOLE,
    MAX_UNCOMPRESSED_BYTES,
    MAX_ZIP_DIRECTORY_BYTES,
)
from domain.imports.rows import ImportFileError
from domain.validation import strip_controls

# Small members may compress absurdly well (a sheet of one repeated value) and still
# cannot hurt; the ratio is only checked where the size could matter.
_RATIO_CHECKED_FROM = 1024 * 1024


def check_zip_sizes(
    stream: BinaryIO,
    *,
    max_uncompressed: int = MAX_UNCOMPRESSED_BYTES,
    max_ratio: int = MAX_COMPRESSION_RATIO,
) -> None:
    """Reads only the zip's central directory; raises ImportFileError for a likely bomb.

    The declared sizes are trustworthy enough: zipfile stops decompressing a member at
    its declared size, so a member cannot unpack into more than the directory says.
    """
    start = stream.tell()
    try:
        _check_directory_size(stream)
        with zipfile.ZipFile(stream) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile as error:
        raise ImportFileError("The file is not a valid .xlsx workbook (a zip archive).") from error
    finally:
        stream.seek(start)

    total = sum(member.file_size for member in members)
    if total > max_uncompressed:
        raise ImportFileError(
            f"The workbook unpacks to {total // (1024 * 1024)} MB, more than the "
            f"{max_uncompressed // (1024 * 1024)} MB an import accepts; split it into "
            "smaller files."
        )
    compressed = sum(member.compress_size for member in members)
    if total >= _RATIO_CHECKED_FROM and total > max_ratio * max(compressed, 1):
        raise _too_compressed(max_ratio)
    for member in members:
        if member.file_size >= _RATIO_CHECKED_FROM and member.file_size > max_ratio * max(
            member.compress_size, 1
        ):
            raise _too_compressed(max_ratio)


# zipfile's private reader of the record at a zip's end, and the index of the directory's
# size in what it returns: private, so typeshed leaves them out; typed here as used.
_end_record: Callable[[BinaryIO], list[Any] | None] = vars(zipfile)["_EndRecData"]
_ECD_SIZE: int = vars(zipfile)["_ECD_SIZE"]


def _check_directory_size(stream: BinaryIO) -> None:
    """Refuses a central directory past MAX_ZIP_DIRECTORY_BYTES before zipfile reads it: it
    makes an object of every entry, twice (here and in openpyxl), however many the record
    at the zip's end declares (25 MB of empty members: 4 s and 300 MB)."""
    end = _end_record(stream)  # zipfile's own reader of that record (None: no zip)
    if end is not None and end[_ECD_SIZE] > MAX_ZIP_DIRECTORY_BYTES:
        raise ImportFileError(
            f"The workbook's zip lists its parts in more than {MAX_ZIP_DIRECTORY_BYTES // 1024:,} "
            "KB (tens of thousands of parts, where a workbook has tens or hundreds); it was "
            "refused."
        )


def _too_compressed(max_ratio: int) -> ImportFileError:
    return ImportFileError(
        f"The workbook is compressed more than {max_ratio}:1, which real spreadsheets "
        "never are; it was refused as a possible zip bomb."
    )


class WholeReadsCapped:
    """A workbook's zip as openpyxl reads it: a part it reads whole (`read`, then parsed
    into objects: the manifest, the workbook part, its relationships) may unpack to at most
    MAX_PART_BYTES_READ_WHOLE; the parts walked as they stream (`open`: the styles, the
    shared strings, the sheet) are bounded by their walks. Everything else is the zip's."""

    def __init__(self, archive: zipfile.ZipFile, max_bytes: int = MAX_PART_BYTES_READ_WHOLE):
        self._archive = archive
        self._max_bytes = max_bytes

    def read(self, name: str) -> bytes:
        size = self._archive.getinfo(name).file_size  # KeyError when missing, as zipfile's
        if size > self._max_bytes:
            megabytes = 1024 * 1024
            raise ImportFileError(
                f"The workbook's part “{strip_controls(name)[:200]}” unpacks to "
                f"{size / megabytes:.1f} MB, more than the {self._max_bytes // megabytes} MB "
                "an import reads of a part it takes whole (the manifest, the list of sheets "
                "and names, their relationships). Open the workbook in Excel or WPS and save "
                "it again, or save the sheet as CSV."
            )
        return self._archive.read(name)

    def __getattr__(self, name: str) -> object:
        return getattr(self._archive, name)
