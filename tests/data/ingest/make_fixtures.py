#!/usr/bin/env python3
"""Writes the spreadsheet fixtures of the ingest tests (the text fixtures are written by hand).

    pip install openpyxl odfpy xlwt pandas && python3 make_fixtures.py

kegiatan_jember.xlsx: two title rows, a merged two-level header, Indonesian headers, dates as
Excel dates, a trailing totals row; sheet "Kegiatan" after a "Catatan" sheet.
kegiatan.ods / kegiatan.xls: a plain table in the other two workbook formats.
not_really.xlsx: a zip archive of a text file, named .xlsx.
"""
import datetime as dt
import zipfile

import openpyxl
import pandas as pd
import xlwt
from openpyxl.styles import Font

wb = openpyxl.Workbook()
notes = wb.active
notes.title = "Catatan"
notes["A1"] = "Data kegiatan Relawan TIK Jember, diunduh dari SIPD"
ws = wb.create_sheet("Kegiatan")
ws["A1"] = "REKAP KEGIATAN KOTA CERDAS KABUPATEN JEMBER"
ws["A1"].font = Font(bold=True)
ws["A2"] = "Tahun 2024"
# Row 3: group titles (merged), row 4: column names; "ID Kegiatan" and "Tanggal" span rows 3-4.
ws["A3"] = "ID Kegiatan"
ws.merge_cells("A3:A4")
ws["B3"] = "Tanggal"
ws.merge_cells("B3:B4")
ws["C3"] = "Lokasi"
ws.merge_cells("C3:D3")
ws["C4"] = "Kode Wilayah"
ws["D4"] = "Kecamatan"
ws["E3"] = "Program"
ws.merge_cells("E3:E4")
ws["F3"] = "Capaian"
ws.merge_cells("F3:H3")
ws["F4"] = "Jumlah"
ws["G4"] = "Peserta"
ws["H4"] = "Anggaran"
rows = [
    ("XL-1", dt.date(2024, 3, 5), "35.09.01", "Jombang", "umkm_go_online", 12, 30, 1500000),
    ("XL-2", dt.date(2024, 4, 9), "3509010", "Kencong", "internet_sehat", 3, 250, None),
    ("XL-3", "10 Juli 2024", "35.09.20", "Patrang", "wifi_publik", 4.5, None, 2250000.5),
    ("XL-4", dt.date(2024, 5, 1), "35.09.99", "Tidak ada", "wifi_publik", 1, None, None),
]
for i, r in enumerate(rows, start=5):
    for j, v in enumerate(r, start=1):
        ws.cell(row=i, column=j, value=v)
ws.cell(row=9, column=1, value="TOTAL")
ws.cell(row=9, column=6, value="=SUM(F5:F8)")
wb.save("kegiatan_jember.xlsx")

plain = pd.DataFrame(
    {
        "activity_id": ["OD-1", "OD-2"],
        "date": ["2024-02-01", "2024-02-02"],
        "region_code": ["35.09.03", "35.09.04"],
        "programme": ["bank_sampah", "pju_led"],
        "quantity": [2, 7],
    }
)
plain.to_excel("kegiatan.ods", engine="odf", index=False)

book = xlwt.Workbook()
sheet = book.add_sheet("Sheet1")
for j, h in enumerate(plain.columns):
    sheet.write(0, j, h)
for i, row in enumerate(plain.itertuples(index=False), start=1):
    for j, v in enumerate(row):
        sheet.write(i, j, v if not hasattr(v, "item") else v.item())
book.save("kegiatan.xls")

with zipfile.ZipFile("not_really.xlsx", "w") as z:
    z.writestr("readme.txt", "this is not a workbook")
