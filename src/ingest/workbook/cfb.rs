//! The OLE compound file around an `.xls` workbook: its sector chains checked the way the
//! spreadsheet library follows them, and the workbook stream taken out for [`super::xls`] to
//! scan.
//!
//! A compound file is a small file system: an allocation table chains sectors into streams.
//! The library follows the directory's chain without a length (a chain that points back at
//! itself grows memory until the process dies), follows a stream's chain up to the length the
//! directory declares (a loop then fills gigabytes from a 5 KB file), takes every FAT sector
//! the file lists however often it is listed, and indexes the table with sector numbers it has
//! not checked. Here every chain it will follow must stay within the file and the table and
//! never visit a sector twice, so that what the library reads is bounded by the file's size.
//! This module reads nothing but the container: the records inside the stream are
//! [`super::xls`]'s business.

/// The first bytes of a compound file.
pub const SIGNATURE: [u8; 8] = *b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

const ENDOFCHAIN: u32 = 0xFFFF_FFFE;
const DIFSECT: u32 = 0xFFFF_FFFC;
const RESERVED: u32 = 0xFFFF_FFFA;

/// Why the workbook stream cannot be taken out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Defect {
    /// The container is malformed in a way the library would loop on, allocate without bound
    /// for, or fail on; the text says how, phrased to follow "its".
    Broken(String),
    /// The file is a password-protected Office document.
    Encrypted,
}

fn broken(what: impl Into<String>) -> Defect {
    Defect::Broken(what.into())
}

/// Sectors of the file after its header, addressed as the library addresses them.
struct Sectors<'a> {
    data: &'a [u8],
    size: usize,
    /// The highest sector number the library accepts.
    maxid: u64,
}

impl<'a> Sectors<'a> {
    fn get(&self, id: u32) -> Result<&'a [u8], Defect> {
        let start = id as usize * self.size;
        if u64::from(id) > self.maxid || start >= self.data.len() {
            return Err(broken(format!(
                "sector {id} lies beyond the end of the file"
            )));
        }
        Ok(&self.data[start..(start + self.size).min(self.data.len())])
    }

    /// The chain from `start` through `table`, up to `len` bytes; `what` names it.
    fn chain(&self, start: u32, table: &[u32], len: u64, what: &str) -> Result<Vec<u8>, Defect> {
        let mut out = Vec::new();
        let mut seen = vec![false; table.len()];
        let mut id = start;
        while id != ENDOFCHAIN {
            let sector = self.get(id)?;
            let room = usize::try_from(len.saturating_sub(out.len() as u64)).unwrap_or(usize::MAX);
            out.extend_from_slice(&sector[..sector.len().min(room)]);
            if out.len() as u64 >= len {
                break;
            }
            let Some(next) = table.get(id as usize) else {
                return Err(broken(format!(
                    "{what} runs through sector {id}, outside the allocation table"
                )));
            };
            if std::mem::replace(&mut seen[id as usize], true) {
                return Err(broken(format!("{what} loops back on sector {id}")));
            }
            id = *next;
        }
        Ok(out)
    }
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("four bytes"))
}

fn u32s(b: &[u8]) -> impl Iterator<Item = u32> + '_ {
    b.chunks_exact(4).map(|c| u32_at(c, 0))
}

/// One directory entry: name, first sector, length.
struct Entry {
    name: String,
    start: u32,
    len: u64,
}

/// The workbook stream (`Workbook`, else `Book`) of the compound file in `bytes`, once every
/// chain the library follows to reach it is checked.
pub fn workbook_stream(bytes: &[u8]) -> Result<Vec<u8>, Defect> {
    if bytes.len() < 512 || bytes[..8] != SIGNATURE {
        return Err(broken("header is not that of a compound file"));
    }
    let header = &bytes[..512];
    let version = u16_at(header, 26);
    let (size, header_len) = match u16_at(header, 30) {
        0x0009 => (512, 512),
        0x000C => (4096, 4096),
        s => {
            return Err(broken(format!(
                "sector size code {s:#x} is not one Excel writes"
            )));
        }
    };
    if bytes.len() < header_len || u16_at(header, 32) != 6 {
        return Err(broken("header is malformed"));
    }
    let sectors = Sectors {
        data: &bytes[header_len..],
        size,
        maxid: (bytes.len() / size) as u64,
    };
    let dir_start = u32_at(header, 48);
    let mini_fat_start = u32_at(header, 60);
    let mini_fat_len = u64::from(u32_at(header, 64));
    let fat = allocation_table(header, &sectors)?;

    let directory = sectors.chain(dir_start, &fat, u64::MAX, "directory chain")?;
    let entries = directory_entries(&directory, size);
    let Some(root) = entries.first() else {
        return Err(broken("directory is empty"));
    };
    if version != 3 && root.start == ENDOFCHAIN {
        return Err(broken("directory has no root"));
    }
    if entries
        .iter()
        .any(|e| e.name.eq_ignore_ascii_case("EncryptedPackage"))
    {
        return Err(Defect::Encrypted);
    }
    let (ministream, minifat) = if mini_fat_len > 0 {
        let stream = sectors.chain(root.start, &fat, root.len, "mini stream chain")?;
        let table = sectors.chain(
            mini_fat_start,
            &fat,
            mini_fat_len.saturating_mul(size as u64),
            "mini allocation table chain",
        )?;
        (stream, u32s(&table).collect())
    } else {
        (Vec::new(), Vec::new())
    };
    let mini = Sectors {
        data: &ministream,
        size: 64,
        maxid: sectors.maxid * 8,
    };
    let stream = |name: &str| -> Option<Result<Vec<u8>, Defect>> {
        let e = entries.iter().find(|e| e.name.eq_ignore_ascii_case(name))?;
        Some(if e.len < 4096 {
            mini.chain(e.start, &minifat, e.len, "workbook stream chain")
        } else {
            sectors.chain(e.start, &fat, e.len, "workbook stream chain")
        })
    };
    match stream("Workbook") {
        Some(Ok(s)) => Ok(s),
        first => match stream("Book") {
            Some(book) => book,
            None => first.unwrap_or_else(|| Err(broken("file holds no workbook stream"))),
        },
    }
}

/// The file allocation table: the FAT sectors listed in the header (109) and in the chain of
/// DIFAT sectors after it (each ending with the number of the next), read in order.
fn allocation_table(header: &[u8], sectors: &Sectors<'_>) -> Result<Vec<u32>, Defect> {
    let mut difat_id = u32_at(header, 68);
    let mut difat: Vec<u32> = u32s(&header[76..512]).collect();
    let mut difat_sectors = 0u64;
    while difat_id < RESERVED {
        difat_sectors += 1;
        if difat_sectors > sectors.maxid + 1 {
            return Err(broken("DIFAT chain is longer than the file"));
        }
        difat.extend(u32s(sectors.get(difat_id)?));
        difat_id = difat.pop().unwrap_or(ENDOFCHAIN);
    }
    let fat_sectors: Vec<u32> = difat.into_iter().filter(|id| *id < DIFSECT).collect();
    if fat_sectors.len() as u64 > sectors.maxid + 1 {
        return Err(broken(format!(
            "allocation table lists {} sectors in a file of {}",
            fat_sectors.len(),
            sectors.maxid + 1
        )));
    }
    let mut fat = Vec::new();
    for id in fat_sectors {
        fat.extend(u32s(sectors.get(id)?));
    }
    Ok(fat)
}

/// The directory's entries (128 bytes each): name (UTF-16), first sector and length, whose
/// width depends on the sector size.
fn directory_entries(directory: &[u8], size: usize) -> Vec<Entry> {
    directory
        .chunks_exact(128)
        .map(|d| {
            let units: Vec<u16> = d[..64].chunks_exact(2).map(|c| u16_at(c, 0)).collect();
            let name: String = char::decode_utf16(units)
                .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                .take_while(|&c| c != '\0')
                .collect();
            let len = if size == 512 {
                u64::from(u32_at(d, 120))
            } else {
                u64::from_le_bytes(d[120..128].try_into().expect("eight bytes"))
            };
            Entry {
                name,
                start: u32_at(d, 116),
                len,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A version 3 compound file holding `stream` as "Workbook" (sector 0: FAT, 1: directory,
    /// 2…: the stream); `fat` may be changed before it is written.
    fn compound(stream: &[u8], change: impl FnOnce(&mut Vec<u32>)) -> Vec<u8> {
        let n = stream.len().div_ceil(512) as u32;
        let mut fat = vec![0xFFFF_FFFD, ENDOFCHAIN];
        fat.extend((0..n).map(|i| if i + 1 == n { ENDOFCHAIN } else { 3 + i }));
        fat.resize(128, 0xFFFF_FFFF);
        change(&mut fat);
        let mut out = SIGNATURE.to_vec();
        out.resize(24, 0);
        for v in [0x3Eu16, 3, 0xFFFE, 9, 6] {
            out.extend(v.to_le_bytes());
        }
        out.resize(40, 0);
        for v in [0u32, 1, 1, 0, 4096, ENDOFCHAIN, 0, ENDOFCHAIN, 0, 0] {
            out.extend(v.to_le_bytes());
        }
        while out.len() < 512 {
            out.extend(0xFFFF_FFFFu32.to_le_bytes());
        }
        out.extend(fat.iter().flat_map(|v| v.to_le_bytes()));
        let entry = |name: &str, typ: u8, child: u32, start: u32, len: u32| {
            let mut e: Vec<u8> = name
                .encode_utf16()
                .chain([0])
                .flat_map(u16::to_le_bytes)
                .collect();
            let name_len = if name.is_empty() { 0 } else { e.len() as u16 };
            e.resize(64, 0);
            e.extend(name_len.to_le_bytes());
            e.extend([typ, 1]);
            for v in [0xFFFF_FFFFu32, 0xFFFF_FFFF, child] {
                e.extend(v.to_le_bytes());
            }
            e.resize(116, 0);
            for v in [start, len, 0] {
                e.extend(v.to_le_bytes());
            }
            e
        };
        out.extend(entry("Root Entry", 5, 1, ENDOFCHAIN, 0));
        out.extend(entry("Workbook", 2, 0xFFFF_FFFF, 2, stream.len() as u32));
        out.extend(entry("", 0, 0xFFFF_FFFF, 0, 0));
        out.extend(entry("", 0, 0xFFFF_FFFF, 0, 0));
        let mut body = stream.to_vec();
        body.resize(n as usize * 512, 0);
        out.extend(body);
        out
    }

    #[test]
    fn the_workbook_stream_is_taken_out_of_a_sound_file() {
        let stream: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
        assert_eq!(workbook_stream(&compound(&stream, |_| {})).unwrap(), stream);
    }

    #[test]
    fn looping_and_stray_chains_are_refused_before_they_are_followed() {
        let stream = vec![7u8; 5000];
        // The directory chain points at itself: the library would grow memory forever.
        let looped = compound(&stream, |fat| fat[1] = 1);
        assert!(matches!(workbook_stream(&looped), Err(Defect::Broken(m)) if m.contains("loops")),);
        // The stream's chain runs back on itself: the library would copy sectors round it
        // until it has as many bytes as the directory declares, up to 4 GiB.
        let looped = compound(&stream, |fat| fat[5] = 2);
        assert!(matches!(workbook_stream(&looped), Err(Defect::Broken(m)) if m.contains("loops")),);
        // A chain leaving the allocation table: the library would index past it and panic.
        let stray = compound(&stream, |fat| fat[2] = 100_000);
        assert!(matches!(workbook_stream(&stray), Err(Defect::Broken(_))));
        assert!(workbook_stream(&b"not a compound file at all, far too short"[..]).is_err());
    }
}
