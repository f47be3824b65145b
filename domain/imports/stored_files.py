"""The file stored on an import job, handed to the readers without ever being held whole.

The job row keeps the uploaded bytes (up to the upload limit). A worker that loaded them
with the row would hold the whole file, and more while the driver decodes it: its memory
would grow with the file. Instead the bytes are copied, one slice at a time, into a
temporary file that the readers stream from; memory stays flat whatever the file's size.
"""

from __future__ import annotations

import tempfile
from typing import BinaryIO

from domain.sql import placeholder
from models import ImportJob

SLICE_BYTES = 1024 * 1024


async def open_stored_file(job_id: int, *, slice_bytes: int = SLICE_BYTES) -> BinaryIO:
    """A temporary file holding the job's bytes, positioned at the start; close it after.

    A few statements per run (one per slice), none per chunk.
    """
    db = ImportJob._meta.db
    _, rows = await db.execute_query(
        'SELECT COALESCE(LENGTH("payload"), 0) FROM "import_job" '
        f'WHERE "id" = {placeholder(db, 1)}',
        [job_id],
    )
    size = rows[0][0] if rows else 0
    # SUBSTR counts from 1 on both databases, in bytes for a bytea or a BLOB.
    piece = (
        f'SELECT SUBSTR("payload", {placeholder(db, 1)}, {placeholder(db, 2)}) '
        f'FROM "import_job" WHERE "id" = {placeholder(db, 3)}'
    )
    file = tempfile.TemporaryFile()  # noqa: SIM115 - returned open, for the caller to close
    try:
        for start in range(0, size, slice_bytes):
            _, rows = await db.execute_query(piece, [start + 1, slice_bytes, job_id])
            file.write(bytes(rows[0][0]))
        file.seek(0)
    except BaseException:
        file.close()
        raise
    return file
