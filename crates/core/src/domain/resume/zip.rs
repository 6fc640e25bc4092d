//! The little of ZIP a DOCX needs: the central directory (end record, entries), one entry's
//! data (stored or DEFLATE, CRC-32 checked) and CRC-32 itself (also used by the fixtures).
//!
//! Bounded: at most [`MAX_ENTRIES`] entries are read and an entry is only inflated up to the
//! caller's limit; the directory's bytes and the inflated bytes are charged to the document's
//! [`Budget`]. ZIP64, multi-disk archives and encrypted entries are refused (a résumé never
//! needs them).

use miniz_oxide::inflate::{decompress_to_vec_with_limit, TINFLStatus};

use super::limits::{Budget, Limit};

/// More entries than this and the archive is not a résumé.
pub(crate) const MAX_ENTRIES: usize = 10_000;

const EOCD_SIGNATURE: u32 = 0x0605_4b50;
const CENTRAL_SIGNATURE: u32 = 0x0201_4b50;
const LOCAL_SIGNATURE: u32 = 0x0403_4b50;
const EOCD_LEN: usize = 22;

/// Why an archive could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ZipError {
    /// The structure is damaged; the text says where.
    Corrupt(&'static str),
    /// The entry is encrypted.
    Encrypted,
    /// The entry (or the archive) is above the size limit.
    TooLarge,
    /// The document's budget is exhausted.
    Limit(Limit),
}

fn spend(budget: &Budget, units: usize) -> Result<(), ZipError> {
    if budget.spend_n(units) {
        Ok(())
    } else {
        Err(ZipError::Limit(budget.exceeded().unwrap_or(Limit::Work)))
    }
}

/// One central-directory entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub name: Vec<u8>,
    pub flags: u16,
    pub method: u16,
    pub crc32: u32,
    pub compressed_size: u64,
    pub uncompressed_size: u64,
    pub local_offset: u64,
}

fn u16_at(data: &[u8], at: usize) -> Option<u16> {
    let bytes = data.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([bytes[0], bytes[1]]))
}

fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    let bytes = data.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
}

fn to_usize(n: u64) -> Option<usize> {
    usize::try_from(n).ok()
}

/// The offset of the end-of-central-directory record (searched backwards over the comment).
fn find_eocd(data: &[u8]) -> Option<usize> {
    let last = data.len().checked_sub(EOCD_LEN)?;
    let first = last.saturating_sub(usize::from(u16::MAX));
    (first..=last).rev().find(|&at| u32_at(data, at) == Some(EOCD_SIGNATURE))
}

/// Every entry of the central directory, in order.
pub(crate) fn entries(data: &[u8], budget: &Budget) -> Result<Vec<Entry>, ZipError> {
    // The backwards search for the end record.
    spend(budget, data.len().min(usize::from(u16::MAX) + EOCD_LEN))?;
    let eocd = find_eocd(data).ok_or(ZipError::Corrupt("the end of the ZIP directory is missing"))?;
    let field =
        |offset: usize| u16_at(data, eocd + offset).ok_or(ZipError::Corrupt("truncated ZIP directory"));
    let (disk, cd_disk, count) = (field(4)?, field(6)?, field(10)?);
    let cd_size = u32_at(data, eocd + 12).ok_or(ZipError::Corrupt("truncated ZIP directory"))?;
    let cd_offset = u32_at(data, eocd + 16).ok_or(ZipError::Corrupt("truncated ZIP directory"))?;
    if disk != 0 || cd_disk != 0 {
        return Err(ZipError::Corrupt("multi-part ZIP archives are not supported"));
    }
    if count == u16::MAX || cd_offset == u32::MAX || cd_size == u32::MAX {
        return Err(ZipError::Corrupt("ZIP64 archives are not supported"));
    }
    let count = usize::from(count);
    if count > MAX_ENTRIES {
        return Err(ZipError::TooLarge);
    }
    let start = to_usize(u64::from(cd_offset)).ok_or(ZipError::Corrupt("bad ZIP directory offset"))?;
    let end = start.checked_add(to_usize(u64::from(cd_size)).unwrap_or(usize::MAX));
    if end.is_none_or(|end| end > eocd) {
        return Err(ZipError::Corrupt("the ZIP directory lies outside the file"));
    }
    let mut out = Vec::with_capacity(count);
    let mut at = start;
    for _ in 0..count {
        let bad = ZipError::Corrupt("damaged ZIP directory entry");
        if u32_at(data, at) != Some(CENTRAL_SIGNATURE) {
            return Err(bad);
        }
        let flags = u16_at(data, at + 8).ok_or(bad)?;
        let method = u16_at(data, at + 10).ok_or(bad)?;
        let crc32 = u32_at(data, at + 16).ok_or(bad)?;
        let compressed_size = u32_at(data, at + 20).ok_or(bad)?;
        let uncompressed_size = u32_at(data, at + 24).ok_or(bad)?;
        let name_len = usize::from(u16_at(data, at + 28).ok_or(bad)?);
        let extra_len = usize::from(u16_at(data, at + 30).ok_or(bad)?);
        let comment_len = usize::from(u16_at(data, at + 32).ok_or(bad)?);
        let local_offset = u32_at(data, at + 42).ok_or(bad)?;
        spend(budget, 46 + name_len + extra_len + comment_len)?;
        let name = data.get(at + 46..at + 46 + name_len).ok_or(bad)?.to_vec();
        if compressed_size == u32::MAX || uncompressed_size == u32::MAX || local_offset == u32::MAX {
            return Err(ZipError::Corrupt("ZIP64 archives are not supported"));
        }
        out.push(Entry {
            name,
            flags,
            method,
            crc32,
            compressed_size: u64::from(compressed_size),
            uncompressed_size: u64::from(uncompressed_size),
            local_offset: u64::from(local_offset),
        });
        at += 46 + name_len + extra_len + comment_len;
    }
    Ok(out)
}

/// The uncompressed bytes of `entry`, at most `limit` of them.
pub(crate) fn read(data: &[u8], entry: &Entry, limit: usize, budget: &Budget) -> Result<Vec<u8>, ZipError> {
    if entry.flags & 1 != 0 {
        return Err(ZipError::Encrypted);
    }
    let size = to_usize(entry.uncompressed_size).ok_or(ZipError::TooLarge)?;
    if size > limit {
        return Err(ZipError::TooLarge);
    }
    // Inflating and checking the declared size, paid before the work is done.
    let cost = size.saturating_add(to_usize(entry.compressed_size).unwrap_or(usize::MAX).min(data.len()));
    if !budget.spend_before(cost) {
        return Err(ZipError::Limit(budget.exceeded().unwrap_or(Limit::Work)));
    }
    let bad = ZipError::Corrupt("damaged ZIP entry header");
    let local = to_usize(entry.local_offset).ok_or(bad)?;
    if u32_at(data, local) != Some(LOCAL_SIGNATURE) {
        return Err(bad);
    }
    let name_len = usize::from(u16_at(data, local + 26).ok_or(bad)?);
    let extra_len = usize::from(u16_at(data, local + 28).ok_or(bad)?);
    let start = local + 30 + name_len + extra_len;
    let len = to_usize(entry.compressed_size).ok_or(bad)?;
    let raw = start
        .checked_add(len)
        .and_then(|end| data.get(start..end))
        .ok_or(ZipError::Corrupt("a ZIP entry is truncated"))?;
    let bytes = match entry.method {
        0 => raw.to_vec(),
        // Bounded by the declared size (plus one byte of slack so a stream that ends exactly
        // there completes): inflating more than declared is damage, not a big file.
        8 => decompress_to_vec_with_limit(raw, size.saturating_add(1)).map_err(|e| match e.status {
            TINFLStatus::HasMoreOutput => ZipError::Corrupt("a ZIP entry inflates beyond its declared size"),
            _ => ZipError::Corrupt("a ZIP entry's compressed data is damaged"),
        })?,
        _ => return Err(ZipError::Corrupt("a ZIP entry uses an unsupported compression method")),
    };
    if bytes.len() != size || crc32(&bytes) != entry.crc32 {
        return Err(ZipError::Corrupt("a ZIP entry fails its checksum"));
    }
    Ok(bytes)
}

const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut n = 0;
    while n < 256 {
        #[allow(clippy::cast_possible_truncation)]
        let mut c = n as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            k += 1;
        }
        table[n] = c;
        n += 1;
    }
    table
};

/// CRC-32 (IEEE 802.3, as ZIP uses it).
pub(crate) fn crc32(bytes: &[u8]) -> u32 {
    !bytes.iter().fold(!0u32, |c, &b| CRC_TABLE[usize::from((c as u8) ^ b)] ^ (c >> 8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn garbage_and_truncated_archives_are_corrupt() {
        let budget = Budget::default();
        assert!(matches!(entries(b"PK\x03\x04 not really a zip", &budget), Err(ZipError::Corrupt(_))));
        assert!(matches!(entries(b"", &budget), Err(ZipError::Corrupt(_))));
        // An end record pointing beyond itself.
        let mut eocd = vec![0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 1, 0, 1, 0];
        eocd.extend_from_slice(&100u32.to_le_bytes());
        eocd.extend_from_slice(&5u32.to_le_bytes());
        eocd.extend_from_slice(&[0, 0]);
        assert!(matches!(entries(&eocd, &budget), Err(ZipError::Corrupt(_))));
    }
}
