//! A reader that passes a workbook's XML through unchanged and stops it at the first text run
//! or tag longer than a bound, or at a DOCTYPE.
//!
//! XML parsers buffer one token at a time (a text run, a tag with its attributes, a comment):
//! a 200 MB run of spaces is one 200 MB buffer, however the parser is used. This guard sits
//! between the inflated zip entry and the parser and counts the bytes of the token in
//! progress, so that no parser above it ever buffers more than the bound. It knows just
//! enough XML to find where tokens end (quoted attribute values, comments, CDATA, processing
//! instructions) and refuses a DOCTYPE, which workbook XML never has and which is where
//! entity expansion would start. It does not check that the XML is well formed: the parser
//! above does that.

use std::io::{self, Read};

/// Why the guard stopped the XML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// A text run or tag went over the bound; `at` is its length when it did.
    TooLong {
        /// Bytes of the token when it passed the bound.
        at: u64,
    },
    /// The XML declares a DOCTYPE.
    Doctype,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Between tags.
    Text,
    /// Just after `<`, the first bytes deciding what follows are in `prefix`.
    Open,
    /// Inside a tag, in a quoted attribute value when `quote` is set.
    Tag { quote: Option<u8> },
    /// Inside `<!-- … -->`, `<![CDATA[ … ]]>` or `<? … ?>`: until `end`.
    Until { end: &'static [u8] },
}

/// Passes XML through from `inner`, failing once a token passes `max_token` bytes.
pub struct TokenGuard<R> {
    inner: R,
    max_token: u64,
    mode: Mode,
    /// Bytes of the token in progress.
    run: u64,
    /// The bytes after `<` while they may still start a comment, CDATA or DOCTYPE.
    prefix: Vec<u8>,
    /// The last bytes seen inside a comment, CDATA or processing instruction.
    tail: [u8; 2],
    stop: Option<Stop>,
}

impl<R: Read> TokenGuard<R> {
    /// Guard `inner`, no token longer than `max_token` bytes.
    pub fn new(inner: R, max_token: u64) -> TokenGuard<R> {
        TokenGuard {
            inner,
            max_token,
            mode: Mode::Text,
            run: 0,
            prefix: Vec::with_capacity(8),
            tail: [0; 2],
            stop: None,
        }
    }

    /// Why the guard stopped the XML, if it did.
    pub fn stop(&self) -> Option<Stop> {
        self.stop
    }

    fn scan(&mut self, bytes: &[u8]) -> Result<(), Stop> {
        let mut i = 0;
        while i < bytes.len() {
            match self.mode {
                // Most bytes are text or plain tags: jump to the next byte that matters.
                Mode::Text => match memchr::memchr(b'<', &bytes[i..]) {
                    Some(k) => {
                        self.grow(k as u64)?;
                        i += k + 1;
                        self.mode = Mode::Open;
                        self.prefix.clear();
                        self.run = 1;
                    }
                    None => return self.grow((bytes.len() - i) as u64),
                },
                Mode::Tag { quote: None } => {
                    match memchr::memchr3(b'>', b'"', b'\'', &bytes[i..]) {
                        Some(k) => {
                            self.grow(k as u64 + 1)?;
                            let b = bytes[i + k];
                            i += k + 1;
                            if b == b'>' {
                                self.mode = Mode::Text;
                                self.run = 0;
                            } else {
                                self.mode = Mode::Tag { quote: Some(b) };
                            }
                        }
                        None => return self.grow((bytes.len() - i) as u64),
                    }
                }
                Mode::Tag { quote: Some(q) } => match memchr::memchr(q, &bytes[i..]) {
                    Some(k) => {
                        self.grow(k as u64 + 1)?;
                        i += k + 1;
                        self.mode = Mode::Tag { quote: None };
                    }
                    None => return self.grow((bytes.len() - i) as u64),
                },
                Mode::Open => {
                    let b = bytes[i];
                    i += 1;
                    self.grow(1)?;
                    self.open(b)?;
                }
                Mode::Until { end } => {
                    let b = bytes[i];
                    i += 1;
                    self.grow(1)?;
                    let closes = b == end[end.len() - 1]
                        && self.tail[2 - (end.len() - 1)..] == end[..end.len() - 1];
                    self.tail = [self.tail[1], b];
                    if closes {
                        self.mode = Mode::Text;
                        self.run = 0;
                    }
                }
            }
        }
        Ok(())
    }

    /// Decide from the bytes after `<` what kind of token this is.
    fn open(&mut self, b: u8) -> Result<(), Stop> {
        const COMMENT: &[u8] = b"!--";
        const CDATA: &[u8] = b"![CDATA[";
        const DOCTYPE: &[u8] = b"!DOCTYPE";
        if self.prefix.is_empty() && b == b'?' {
            self.mode = Mode::Until { end: b"?>" };
            self.tail = [0; 2];
            return Ok(());
        }
        self.prefix.push(b);
        let p = self.prefix.as_slice();
        if p == COMMENT {
            self.mode = Mode::Until { end: b"-->" };
            self.tail = [0; 2];
        } else if p == CDATA {
            self.mode = Mode::Until { end: b"]]>" };
            self.tail = [0; 2];
        } else if p.eq_ignore_ascii_case(DOCTYPE) {
            return Err(Stop::Doctype);
        } else if !(COMMENT.starts_with(p)
            || CDATA.starts_with(p)
            || DOCTYPE[..p.len().min(DOCTYPE.len())].eq_ignore_ascii_case(p))
        {
            // A plain tag (or a declaration other than those): the bytes so far are plain
            // name bytes unless the last one opens a quote or ends the tag.
            self.mode = match b {
                b'>' => {
                    self.run = 0;
                    Mode::Text
                }
                b'"' | b'\'' => Mode::Tag { quote: Some(b) },
                _ => Mode::Tag { quote: None },
            };
        }
        Ok(())
    }

    fn grow(&mut self, n: u64) -> Result<(), Stop> {
        self.run += n;
        if self.run > self.max_token {
            return Err(Stop::TooLong { at: self.run });
        }
        Ok(())
    }
}

impl<R: Read> Read for TokenGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(stop) = self.stop {
            return Err(stopped(stop));
        }
        let n = self.inner.read(buf)?;
        if let Err(stop) = self.scan(&buf[..n]) {
            self.stop = Some(stop);
            return Err(stopped(stop));
        }
        Ok(n)
    }
}

fn stopped(stop: Stop) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        match stop {
            Stop::TooLong { .. } => "XML token over the bound",
            Stop::Doctype => "XML with a DOCTYPE",
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pass `xml` through a guard in reads of `chunk` bytes.
    fn pass(xml: &[u8], max: u64, chunk: usize) -> Result<Vec<u8>, Option<Stop>> {
        struct Chunks<'a>(&'a [u8], usize);
        impl Read for Chunks<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(self.1).min(buf.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut guard = TokenGuard::new(Chunks(xml, chunk), max);
        let mut out = Vec::new();
        match guard.read_to_end(&mut out) {
            Ok(_) => Ok(out),
            Err(_) => Err(guard.stop()),
        }
    }

    #[test]
    fn xml_within_the_bound_passes_unchanged_in_any_reads() {
        let xml =
            br#"<?xml version="1.0"?><!-- a > b --><a x="1>2" y='q"'><![CDATA[<no>]]>text</a>"#;
        for chunk in [1, 2, 3, 7, 1000] {
            // The longest token is the 21-byte start tag.
            assert_eq!(pass(xml, 21, chunk).unwrap(), xml, "chunk {chunk}");
        }
    }

    #[test]
    fn a_long_text_run_tag_attribute_or_comment_is_stopped() {
        let long = "x".repeat(50);
        for xml in [
            format!("<a>{long}</a>"),
            format!("<a b=\"{long}\"/>"),
            format!("<a b='>>>>>>>>>>{long}'/>"),
            format!("<!-- > > {long} -->"),
            format!("<![CDATA[ ]> {long} ]]>"),
            format!("<a>{}</a>", " ".repeat(50)),
        ] {
            for chunk in [1, 5, 1000] {
                assert!(
                    matches!(
                        pass(xml.as_bytes(), 40, chunk),
                        Err(Some(Stop::TooLong { .. }))
                    ),
                    "{xml} in reads of {chunk}"
                );
            }
        }
    }

    #[test]
    fn a_doctype_is_refused() {
        let xml = b"<?xml version=\"1.0\"?><!doctype lol [<!ENTITY a \"a\">]><x>&a;</x>";
        assert_eq!(pass(xml, 1000, 3), Err(Some(Stop::Doctype)));
    }
}
