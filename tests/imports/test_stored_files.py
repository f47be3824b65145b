"""A job's stored file reaches the readers in slices: whole, and never held whole."""

from __future__ import annotations

import tracemalloc

from domain.imports.jobs import ImportRequest, start_import
from domain.imports.runner import SLICE_BYTES, open_stored_file
from models.enums import ImportKind
from tests.factories import viewer_of
from tests.helpers import Account


def _gb18030_csv(rows: int) -> bytes:
    lines = ["客户名称,电话"] + [f"客户{n},138{n:08d}" for n in range(rows)]
    return "\n".join(lines).encode("gb18030")


async def test_the_stored_file_comes_back_byte_for_byte_across_slices(workspace: Account):
    # given: a file that ends in the middle of a slice, multibyte characters cut by slices
    data = _gb18030_csv(300)
    viewer = await viewer_of(workspace)
    job, _ = await start_import(viewer, ImportRequest(kind=ImportKind.CUSTOMERS, file=data))

    # when
    with await open_stored_file(job.id, slice_bytes=1000) as source:
        copied = source.read()

    # then
    assert len(data) % 1000 != 0
    assert copied == data


async def test_the_stored_file_is_never_held_whole(workspace: Account):
    # given: some 10 MB stored on a job, over twice what a few slices in flight take
    data = _gb18030_csv(450_000)
    viewer = await viewer_of(workspace)
    job, _ = await start_import(viewer, ImportRequest(kind=ImportKind.CUSTOMERS, file=data))
    limit = 4 * SLICE_BYTES  # the driver's buffer, the slice, the file's write buffer
    assert len(data) > 2 * limit

    # when: it is copied out and read through in 64 KB reads
    tracemalloc.start()
    try:
        with await open_stored_file(job.id) as source:
            read = sum(len(block) for block in iter(lambda: source.read(65536), b""))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    # then
    assert read == len(data)
    assert peak < limit, f"peak {peak} bytes for a {len(data)}-byte file"
