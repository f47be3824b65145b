"""How much of a file an import will read: every bound on a file's size and shape, in one place.

An uploaded file is hostile until read: a 1.6 KB workbook may declare a sheet of 16,384
columns by 1,048,576 rows, a zip may unpack into gigabytes, a CSV line may hold millions
of commas. Each bound below is far above what a real spreadsheet needs and caps what one
file can cost a worker (a file past one fails as a whole: docs/ARCHITECTURE.md).
"""

from __future__ import annotations

# Rows per file, blank ones included, counted from the file's first line (a sheet's row
# numbers, a CSV's records, a JSON Lines file's lines): Excel's own maximum. A larger
# export is split into several files.
MAX_ROWS = 1_048_576

# Columns a row may hold a value in (the header included). Real spreadsheets have tens,
# wide exports a few hundred. Cells past it that hold nothing (formatting, trailing
# commas) are ignored; a value past it fails the file, since it could not be imported.
MAX_COLUMNS = 1_000

# Cell elements one row of a sheet's XML may hold, empty ones included: Excel's column
# count (A to XFD). More is no workbook Excel could write, and each one costs parsing time
# and memory until the row ends.
MAX_CELLS_PER_SHEET_ROW = 16_384
# XML elements in one row of a sheet (a cell is two or three: <c><v>, <c><is><t>) or in
# one shared string, and before a sheet's first row: each is held until its row ends, so
# they are counted as they open (elements nested without end never end).
MAX_ELEMENTS_PER_SHEET_ROW = 4 * MAX_CELLS_PER_SHEET_ROW

# A physical line of a CSV or JSON Lines file: a record holds far less (a CSV field is at
# most 128 KB, Python's csv default), and reading a longer one whole would let one line
# take all the memory (50 MB of commas is 50 million cells).
MAX_LINE_BYTES = 1024 * 1024

# Levels of objects within objects in a JSON Lines row: a real export nests a few. Python's
# parser recurses per level and fails past about a thousand, whatever the line's length.
MAX_JSON_DEPTH = 32

# A workbook (a zip) unpacks to at most this much, and its parts at most this many times
# their compressed size (see xlsx.check_zip_sizes).
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
# The zip's list of its parts (its central directory), which is read whole: a real
# workbook's lists tens or hundreds of parts in a few kilobytes.
MAX_ZIP_DIRECTORY_BYTES = 1024 * 1024

# A part of a workbook that openpyxl reads whole and turns into objects (the manifest, the
# workbook part with its sheets and names, their relationships), at some 20 µs an element:
# a real one is a few kilobytes, tens with hundreds of sheets or names. 2 MB is a second
# or two; a 190 MB part was minutes and gigabytes before the first row (xlsx.WholeReadsCapped).
MAX_PART_BYTES_READ_WHOLE = 2 * 1024 * 1024

# Cell formats (a workbook's <cellXfs>), and custom number formats, in its styles: Excel
# allows 64,000. Each is a number kept while the sheet is read (xlsx.py).
MAX_CELL_FORMATS = 65_536
# The characters of one number format code: Excel allows 255, and deciding whether a code
# shows a date takes time quadratic in its length (openpyxl's `is_date_format`: 20,000 "[",
# 0.4 s).
MAX_FORMAT_CODE = 1_000

# The memory a workbook's shared strings may take as Python holds them (each string's
# characters at their width plus some 57 bytes): a sheet's cells point into the whole
# table, so it is held while the sheet is read; everything else the reader holds is flat.
# 24 MB of two-letter strings took 806 MB. 128 MB holds a million strings of 25 Chinese
# characters, or two million of 10 letters; a workbook of more text imports as CSV.
MAX_SHARED_STRINGS_BYTES = 128 * 1024 * 1024
