"""Excel workbooks (.xlsx), read row by row without loading the sheet."""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from typing import BinaryIO
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from openpyxl.utils.exceptions import InvalidFileException

from domain.imports.limits import MAX_COMPRESSION_RATIO, MAX_UNCOMPRESSED_BYTES
from domain.imports.rows import ImportFileError, Row, number_rows
from domain.imports.xlsx_sheet import SheetRow, Workbook, cell_text
from domain.imports.zip_guard import check_zip_sizes

__all__ = ["cell_text", "read_xlsx"]

# What openpyxl and the XML parser beneath it raise on a file they cannot read: a damaged
# or forged workbook, never a passing trouble worth retrying. (DefusedXmlException, the
# refusal of entities, a DTD or external references, is a ValueError; so is a bad number.)
_UNREADABLE = (
    DefusedXmlException,
    ParseError,
    InvalidFileException,
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    KeyError,
    IndexError,
    ValueError,
    TypeError,
    OverflowError,
)


def read_xlsx(
    source: bytes | BinaryIO,
    *,
    sheet: str | None = None,
    max_uncompressed: int = MAX_UNCOMPRESSED_BYTES,
    max_ratio: int = MAX_COMPRESSION_RATIO,
) -> Generator[Row, None, None]:
    """Yields (row number, {header: text}) from the first sheet, or the one named `sheet`.

    The header is the first non-empty row; rows keep the sheet's own numbers.
    The zip's declared sizes are checked before openpyxl parses anything; openpyxl
    parses the XML through defusedxml (installed as a dependency), which refuses
    entity expansion. Only the cells the sheet holds are read, whatever size it
    declares (`xlsx_sheet.py`). A workbook that cannot be read raises ImportFileError.
    """
    stream = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    check_zip_sizes(stream, max_uncompressed=max_uncompressed, max_ratio=max_ratio)
    with _readable(loading=True):
        workbook = Workbook(stream)
    try:
        yield from number_rows(
            _parsed(workbook, sheet), no_header="The sheet is empty: no header row found."
        )
    finally:
        workbook.close()  # the archive stays open while the sheet streams


def _parsed(workbook: Workbook, sheet: str | None) -> Iterator[SheetRow]:
    """The sheet's records, what the parsers raise on a bad workbook turned into an
    ImportFileError; what our own code does with them (`number_rows`) is not wrapped,
    so that a bug of ours is logged as one, not blamed on the file."""
    with _readable(loading=False):
        yield from workbook.rows(sheet)


@contextmanager
def _readable(*, loading: bool) -> Iterator[None]:
    """Turns what the parsers raise on a bad workbook into an ImportFileError saying why."""
    try:
        yield
    except ImportFileError:
        raise
    except DefusedXmlException as error:
        raise ImportFileError(
            "The workbook's XML declares entities, a DTD or outside references, which no "
            "spreadsheet program writes (a known way to make a reader blow up or fetch "
            "files); it was refused."
        ) from error
    except ParseError as error:
        # Broken XML, or a character XML cannot hold (&#xD800;, a lone surrogate).
        raise ImportFileError(
            f"The workbook is damaged: part of it is not valid XML ({error}). Open it in "
            "Excel or WPS and save it again."
        ) from error
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise ImportFileError(
            "The workbook is damaged: its zip archive cannot be unpacked. Open it in Excel "
            "or WPS and save it again."
        ) from error
    except (*_UNREADABLE, OSError) as error:
        if loading:
            raise ImportFileError("The file is not a readable .xlsx workbook.") from error
        if isinstance(error, OSError):
            raise  # reading our own temporary copy failed: a passing trouble, retried
        raise ImportFileError(
            f"The workbook is damaged: its sheet cannot be read ({type(error).__name__}: "
            f"{error}). Open it in Excel or WPS and save it again."
        ) from error
