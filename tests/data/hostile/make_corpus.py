#!/usr/bin/env python3
"""Writes the hostile corpus: small files built to make a reader allocate, loop or spin far
beyond what their size suggests. Every one must be refused whole with a message naming the bound
(or the defect), and the server must keep serving. Standard library only:

    python3 make_corpus.py

shared_strings_bomb.xlsx  sharedStrings declares uniqueCount="100000000000"
far_cell.xlsx             a sheet with values at A1 and XFD1048576
lying_dimension.xlsx      <dimension ref="A1:C3"/>, and a value at A1048576
zip_bomb.xlsx             a 4 MB sheet of whitespace deflated to a few KB (ratio ~1000)
huge_declared.xlsx        the central directory claims a 3 GB sheet
whitespace_padded.xlsx    a real table followed by 100,000 whitespace cells
many_sheets.xlsx          300 sheets
sst_count.xls             the SST record declares 4,294,967,295 strings
far_cell.xls              values at A1 and IV65536
cfb_loop.xls              the compound file's directory chain points at itself
repeats.ods               a value repeated over 16,384 columns and 1,048,576 rows
spaces.ods                one cell with <text:s text:c="1000000000"/> between two words
unclosed_annotation.ods   a cell annotation that never ends
deep.json                 100,000 nested arrays
wide.json                 a record with 100 different fields
long_line.ndjson          one line of 1.2 MB
long_line.csv             a record of 1.2 MB (no field over 64 KB), no final newline
long_field.csv            a record with one field of 200 KB
"""
import struct
import zipfile

HEADER = ["id_kegiatan", "tanggal", "kode_wilayah", "program", "jumlah"]
ROW = ["HX-1", "2024-03-05", "35.09.01", "wifi_publik", "2"]

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
</Types>"""
PACKAGE_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
NS_R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
WORKSHEET = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"


def col_name(col):
    name = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        name = chr(65 + rem) + name
    return name


def inline(ref, text):
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def table_rows():
    """The header and one activity as inline-string rows 1 and 2."""
    rows = []
    for r, values in enumerate([HEADER, ROW], start=1):
        cells = "".join(inline(f"{col_name(c)}{r}", v) for c, v in enumerate(values))
        rows.append(f'<row r="{r}">{cells}</row>')
    return "".join(rows)


def sheet_xml(rows, dimension=None):
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f'<?xml version="1.0" encoding="UTF-8"?><worksheet {NS}>{dim}<sheetData>{rows}</sheetData></worksheet>'


def xlsx(path, sheets, shared_strings=None, names=()):
    """A minimal workbook: `sheets` is a list of (name, sheet part); every name of `names`
    is one more sheet showing the first part."""
    declared = [name for name, _ in sheets] + list(names)
    workbook = "".join(
        f'<sheet name="{name}" sheetId="{i}" r:id="rId{min(i, len(sheets))}"/>'
        for i, name in enumerate(declared, 1)
    )
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="{WORKSHEET}" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, len(sheets) + 1)
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", PACKAGE_RELS)
        z.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><workbook {NS} {NS_R}><sheets>{workbook}</sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>',
        )
        if shared_strings is not None:
            z.writestr("xl/sharedStrings.xml", shared_strings)
        for i, (_, part) in enumerate(sheets, 1):
            z.writestr(f"xl/worksheets/sheet{i}.xml", part)


def set_declared_size(path, member, size):
    """Rewrite the uncompressed size of `member` in its local header and the central directory."""
    data = bytearray(open(path, "rb").read())
    name = member.encode()
    # Central directory entries: signature PK\x01\x02, uncompressed size at offset 24.
    pos = 0
    while (pos := data.find(b"PK\x01\x02", pos)) != -1:
        name_len = struct.unpack_from("<H", data, pos + 28)[0]
        if data[pos + 46 : pos + 46 + name_len] == name:
            struct.pack_into("<I", data, pos + 24, size)
            local = struct.unpack_from("<I", data, pos + 42)[0]
            struct.pack_into("<I", data, local + 22, size)
        pos += 4
    open(path, "wb").write(bytes(data))


# --- xlsx ------------------------------------------------------------------------------------

xlsx(
    "shared_strings_bomb.xlsx",
    [("Kegiatan", sheet_xml('<row r="1"><c r="A1" t="s"><v>0</v></c></row>'))],
    shared_strings=f'<?xml version="1.0" encoding="UTF-8"?><sst {NS} count="100000000000" uniqueCount="100000000000"><si><t>tanggal</t></si></sst>',
)

xlsx(
    "far_cell.xlsx",
    [("Kegiatan", sheet_xml(table_rows() + '<row r="1048576">' + inline("XFD1048576", "x") + "</row>", "A1:XFD1048576"))],
)

xlsx(
    "lying_dimension.xlsx",
    [("Kegiatan", sheet_xml(table_rows() + '<row r="1048576">' + inline("A1048576", "x") + "</row>", "A1:C3"))],
)

xlsx(
    "zip_bomb.xlsx",
    [("Kegiatan", sheet_xml(table_rows() + " " * (4 << 20)))],
)

xlsx("huge_declared.xlsx", [("Kegiatan", sheet_xml(table_rows()))])
set_declared_size("huge_declared.xlsx", "xl/worksheets/sheet1.xml", 3_000_000_000)

# Cells without a reference follow one another along the row, as a writer may emit them.
padding = '<c t="inlineStr"><is><t xml:space="preserve">   </t></is></c>' * 100_000
xlsx("whitespace_padded.xlsx", [("Kegiatan", sheet_xml(table_rows() + f'<row r="3">{padding}</row>'))])

xlsx(
    "many_sheets.xlsx",
    [("Lembar1", sheet_xml(table_rows()))],
    names=[f"Lembar{i}" for i in range(2, 301)],
)

# --- xls -------------------------------------------------------------------------------------

ENDOFCHAIN, FREESECT, FATSECT, NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF


def record(typ, data=b""):
    return struct.pack("<HH", typ, len(data)) + data


def bof(dt):
    return record(0x0809, struct.pack("<HHHHII", 0x0600, dt, 0, 0, 0, 0))


def label(row, col, text):
    return record(0x0204, struct.pack("<HHHHB", row, col, 0, len(text), 0) + text.encode("latin-1"))


def workbook_stream(cells, sst_declared=None, sst_strings=()):
    """Globals (one BoundSheet, optionally an SST) and one sheet of LABEL cells."""
    name = b"Kegiatan"
    sst = b""
    if sst_declared is not None:
        body = struct.pack("<II", sst_declared, sst_declared)
        for s in sst_strings:
            body += struct.pack("<HB", len(s), 0) + s.encode("latin-1")
        sst = record(0x00FC, body)

    def globals_with(sheet_at):
        boundsheet = record(0x0085, struct.pack("<IBBBB", sheet_at, 0, 0, len(name), 0) + name)
        return bof(5) + boundsheet + sst + record(0x000A)

    # The BoundSheet record names where the sheet starts, just past the globals.
    globals_ = globals_with(len(globals_with(0)))
    rows = max(r for r, _, _ in cells) + 1
    cols = max(c for _, c, _ in cells) + 1
    sheet = bof(0x10) + record(0x0200, struct.pack("<IIHHH", 0, rows, 0, cols, 0))
    sheet += b"".join(label(r, c, t) for r, c, t in cells) + record(0x000A)
    stream = globals_ + sheet
    # Past 4,096 bytes a stream lives in regular sectors, not the mini stream.
    return stream + b"\0" * max(0, 4096 - len(stream))


def compound_file(stream, loop_directory=False):
    """A version 3 compound file (512-byte sectors) holding one stream named Workbook.
    Sector 0 is the FAT, sector 1 the directory, the stream follows from sector 2."""
    n = (len(stream) + 511) // 512
    assert n + 2 <= 128, "one FAT sector only"
    fat = [FATSECT, 1 if loop_directory else ENDOFCHAIN]
    fat += [2 + i + 1 for i in range(n - 1)] + [ENDOFCHAIN]
    fat += [FREESECT] * (128 - len(fat))
    header = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1" + b"\0" * 16
    header += struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
    header += struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, ENDOFCHAIN, 0, ENDOFCHAIN, 0)
    header += struct.pack("<I", 0) + struct.pack("<I", FREESECT) * 108
    assert len(header) == 512

    def entry(name, typ, child, start, size):
        raw = (name + "\0").encode("utf-16-le") if name else b""
        e = raw.ljust(64, b"\0") + struct.pack("<HBB", len(raw), typ, 1)
        e += struct.pack("<III", NOSTREAM, NOSTREAM, child) + b"\0" * 16 + b"\0" * 4 + b"\0" * 16
        return e + struct.pack("<III", start, size, 0)

    directory = entry("Root Entry", 5, 1, ENDOFCHAIN, 0) + entry("Workbook", 2, NOSTREAM, 2, len(stream))
    directory += entry("", 0, NOSTREAM, 0, 0) * 2
    assert len(directory) == 512
    return header + struct.pack("<128I", *fat) + directory + stream.ljust(n * 512, b"\0")


def table_cells():
    return [(r, c, v) for r, values in enumerate([HEADER, ROW]) for c, v in enumerate(values)]


open("sst_count.xls", "wb").write(
    compound_file(workbook_stream(table_cells(), sst_declared=0xFFFFFFFF, sst_strings=["tanggal"]))
)
open("far_cell.xls", "wb").write(compound_file(workbook_stream(table_cells() + [(65535, 255, "x")])))
open("cfb_loop.xls", "wb").write(compound_file(workbook_stream(table_cells()), loop_directory=True))

# --- ods -------------------------------------------------------------------------------------

ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"'
)


def ods_cell(text):
    return f'<table:table-cell office:value-type="string"><text:p>{text}</text:p></table:table-cell>'


def ods_table_rows():
    return "".join(
        "<table:table-row>" + "".join(ods_cell(v) for v in values) + "</table:table-row>" for values in [HEADER, ROW]
    )


def ods(path, rows):
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODS_NS}><office:body>'
        f'<office:spreadsheet><table:table table:name="Kegiatan">{rows}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
    )
    with zipfile.ZipFile(path, "w") as z:
        # The mimetype comes first and stored, as the format requires.
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        z.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        z.writestr("content.xml", content, zipfile.ZIP_DEFLATED)


ods(
    "repeats.ods",
    ods_table_rows()
    + '<table:table-row table:number-rows-repeated="1048576"><table:table-cell table:number-columns-repeated="16384" office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>',
)
ods(
    "spaces.ods",
    ods_table_rows() + "<table:table-row>" + ods_cell('HX-2<text:s text:c="1000000000"/>x') + "</table:table-row>",
)
ods(
    "unclosed_annotation.ods",
    ods_table_rows()
    + '<table:table-row><table:table-cell office:value-type="string"><office:annotation><text:p>catatan</text:p>'
    + "</table:table-cell></table:table-row>",
)

# --- json, csv -------------------------------------------------------------------------------

open("deep.json", "w").write("[" * 100_000 + "]" * 100_000)
open("wide.json", "w").write("[{" + ", ".join(f'"kolom_{i}": {i}' for i in range(100)) + "}]\n")
open("long_line.ndjson", "w").write('{"id_kegiatan": "HX-1", "catatan": "' + "x" * 1_200_000 + '"}\n')
open("long_line.csv", "w").write(
    ",".join(HEADER + ["catatan"]) + "\n" + ",".join(ROW) + "," + ",".join(["y" * 60_000] * 20)
)
open("long_field.csv", "w").write(",".join(HEADER) + "\n" + ",".join(ROW[:4]) + "," + "9" * 200_000 + "\n")
