//! Streaming XML shared by the Atom and OAI-PMH readers.
//!
//! The document is read event by event; only the elements a format cares about (an `<entry>`,
//! a `<record>`, a `<resumptionToken>`) are gathered into a small tree, one at a time, so a
//! file of any size is read with memory bounded by its largest record. Entities: only the five
//! predefined XML entities and numeric character references are decoded; a document that
//! declares its own (`<!DOCTYPE … [<!ENTITY …>]>`, the "billion laughs" attack) is refused
//! before anything is expanded.

use std::io::BufRead;

use paperhub_core::paper::MAX_TEXT_BYTES;
use paperhub_core::InvalidPaper;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// A problem met while reading: with one gathered element (`fatal: false`, reading goes on),
/// or with the document itself (`fatal: true`, the stream ends).
#[derive(Debug, Clone)]
pub(crate) struct XmlFault {
    /// The gathered element it concerns, if any.
    pub element: Option<String>,
    pub fatal: bool,
    pub reason: String,
    /// Byte offset in the (decompressed) document.
    pub position: u64,
}

/// Most text kept for one element; longer text is counted but not stored, so the record can
/// be rejected with its true size (`field `abstract` is 104857600 bytes …`).
const TEXT_CAP: usize = 4 * MAX_TEXT_BYTES;
/// Most elements in one gathered record.
const MAX_NODES: usize = 100_000;

/// One element with its attributes, text and child elements, namespace prefixes dropped.
#[derive(Debug, Clone, Default)]
pub(crate) struct Node {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub text: String,
    /// Bytes of text seen, including any beyond [`TEXT_CAP`].
    pub text_len: usize,
    pub children: Vec<Node>,
}

impl Node {
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The trimmed text of the first child called `name`, if it has any.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name)
            .map(|c| c.text.trim())
            .filter(|t| !t.is_empty())
    }

    /// The text of the first child called `name`, or an error naming `field` when the text
    /// was too long to keep.
    pub fn field(&self, name: &str, field: &'static str) -> Result<Option<String>, InvalidPaper> {
        match self.child(name) {
            None => Ok(None),
            Some(c) if c.text_len > c.text.len() => Err(InvalidPaper::TooLong {
                field,
                len: c.text_len,
                limit: MAX_TEXT_BYTES,
            }),
            Some(c) => Ok(Some(c.text.clone()).filter(|t| !t.trim().is_empty())),
        }
    }

    fn push_text(&mut self, s: &str) {
        self.text_len += s.len();
        if self.text.len() + s.len() <= TEXT_CAP {
            self.text.push_str(s);
        }
    }
}

/// Why the document cannot be read at all.
#[derive(Debug)]
pub(crate) enum StartError {
    /// The root element has another name, or there is none (then `None`).
    WrongRoot(Option<String>),
    /// The document declares entities.
    Entities,
    /// The XML is broken before the root element.
    Xml(String),
}

fn local_name(e: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(e.local_name().as_ref()).into_owned()
}

fn node_from(e: &BytesStart<'_>) -> Result<Node, String> {
    let mut node = Node {
        name: local_name(e),
        ..Node::default()
    };
    for attr in e.attributes() {
        let attr = attr.map_err(|err| format!("malformed attribute: {err}"))?;
        let key = String::from_utf8_lossy(attr.key.local_name().as_ref()).into_owned();
        let value = attr
            .unescape_value()
            .map_err(|err| format!("attribute `{key}`: {err}"))?;
        node.attrs.push((key, value.into_owned()));
    }
    Ok(node)
}

/// Reads a document element by element, handing out the elements `capture` selects.
pub(crate) struct XmlStream<R: BufRead> {
    reader: Reader<R>,
    buf: Vec<u8>,
    capture: fn(&str) -> bool,
    /// The element being gathered and its open descendants.
    stack: Vec<Node>,
    /// A problem inside the element being gathered; it is rejected when it closes.
    pending_error: Option<String>,
    nodes: usize,
    /// Names of the open elements outside the one being gathered.
    open: Vec<String>,
    done: bool,
}

impl<R: BufRead> XmlStream<R> {
    pub fn new(source: R, capture: fn(&str) -> bool) -> Self {
        let mut reader = Reader::from_reader(source);
        let config = reader.config_mut();
        config.trim_text(false);
        config.check_end_names = true;
        Self {
            reader,
            buf: Vec::new(),
            capture,
            stack: Vec::new(),
            pending_error: None,
            nodes: 0,
            open: Vec::new(),
            done: false,
        }
    }

    /// Reads up to the root element and checks its name.
    pub fn start(&mut self, root: &str) -> Result<(), StartError> {
        let mut buf = std::mem::take(&mut self.buf);
        let result = self.read_start(root, &mut buf);
        self.buf = buf;
        result
    }

    fn read_start(&mut self, root: &str, buf: &mut Vec<u8>) -> Result<(), StartError> {
        loop {
            buf.clear();
            match self.reader.read_event_into(buf) {
                Ok(Event::DocType(doctype)) => {
                    let text = String::from_utf8_lossy(&doctype);
                    if text.contains("<!ENTITY") || text.contains("<!entity") {
                        self.done = true;
                        return Err(StartError::Entities);
                    }
                }
                Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                    let name = local_name(&e);
                    if name != root {
                        self.done = true;
                        return Err(StartError::WrongRoot(Some(name)));
                    }
                    self.open.push(name);
                    return Ok(());
                }
                Ok(Event::Eof) => {
                    self.done = true;
                    return Err(StartError::WrongRoot(None));
                }
                Ok(Event::Text(t)) if !t.iter().all(u8::is_ascii_whitespace) => {
                    self.done = true;
                    return Err(StartError::WrongRoot(None));
                }
                Ok(_) => {}
                Err(err) => {
                    self.done = true;
                    return Err(StartError::Xml(format!(
                        "malformed XML at byte {}: {err}",
                        self.reader.error_position()
                    )));
                }
            }
        }
    }

    fn fatal(&mut self, reason: String) -> Option<Result<Node, XmlFault>> {
        self.done = true;
        let element = self.stack.first().map(|n| n.name.clone());
        self.stack.clear();
        let position = self.reader.buffer_position();
        Some(Err(XmlFault {
            element,
            fatal: true,
            reason,
            position,
        }))
    }

    /// Attaches a finished element to its parent, or hands it out when it is the gathered one.
    fn finish(&mut self, node: Node) -> Option<Result<Node, XmlFault>> {
        match self.stack.last_mut() {
            Some(parent) => {
                parent.children.push(node);
                None
            }
            None => {
                self.nodes = 0;
                match self.pending_error.take() {
                    Some(reason) => Some(Err(XmlFault {
                        element: Some(node.name),
                        fatal: false,
                        reason,
                        position: self.reader.buffer_position(),
                    })),
                    None => Some(Ok(node)),
                }
            }
        }
    }

    fn note_error(&mut self, reason: String) {
        self.pending_error.get_or_insert(reason);
    }

    /// The next gathered element; `Err` items are single rejected elements, except the last
    /// item of a broken or truncated document, after which the stream ends.
    pub fn next_node(&mut self) -> Option<Result<Node, XmlFault>> {
        if self.done {
            return None;
        }
        // The event borrows the buffer; keep it apart from `self` meanwhile.
        let mut buf = std::mem::take(&mut self.buf);
        let item = self.read_node(&mut buf);
        self.buf = buf;
        item
    }

    fn read_node(&mut self, buf: &mut Vec<u8>) -> Option<Result<Node, XmlFault>> {
        loop {
            buf.clear();
            let event = match self.reader.read_event_into(buf) {
                Ok(event) => event,
                Err(err) => {
                    let inside = self.stack.first().map(|n| n.name.clone());
                    let reason = match inside {
                        Some(name) => format!("malformed XML inside <{name}>: {err}"),
                        None => format!("malformed XML: {err}"),
                    };
                    return self.fatal(reason);
                }
            };
            match event {
                Event::Start(e) => {
                    if !self.stack.is_empty() || (self.capture)(&local_name(&e)) {
                        self.nodes += 1;
                        if self.nodes > MAX_NODES {
                            return self
                                .fatal(format!("record has over {MAX_NODES} elements; giving up"));
                        }
                        let node = node_from(&e).unwrap_or_else(|reason| {
                            self.pending_error.get_or_insert(reason);
                            Node {
                                name: local_name(&e),
                                ..Node::default()
                            }
                        });
                        self.stack.push(node);
                    } else {
                        self.open.push(local_name(&e));
                    }
                }
                Event::Empty(e) => {
                    if !self.stack.is_empty() || (self.capture)(&local_name(&e)) {
                        let node = match node_from(&e) {
                            Ok(node) => node,
                            Err(reason) => {
                                self.note_error(reason);
                                Node {
                                    name: local_name(&e),
                                    ..Node::default()
                                }
                            }
                        };
                        if let Some(item) = self.finish(node) {
                            return Some(item);
                        }
                    }
                }
                Event::End(_) => match self.stack.pop() {
                    Some(node) => {
                        if let Some(item) = self.finish(node) {
                            return Some(item);
                        }
                    }
                    None => {
                        self.open.pop();
                    }
                },
                Event::Text(t) => {
                    if self.stack.is_empty() {
                        continue;
                    }
                    match t.unescape() {
                        Ok(text) => {
                            if let Some(top) = self.stack.last_mut() {
                                top.push_text(&text);
                            }
                        }
                        Err(err) => {
                            let name = self
                                .stack
                                .last()
                                .map(|n| n.name.clone())
                                .unwrap_or_default();
                            self.note_error(format!(
                                "in <{name}>: {err} (only the predefined XML entities are decoded)"
                            ));
                        }
                    }
                }
                Event::CData(c) => {
                    if self.stack.is_empty() {
                        continue;
                    }
                    match std::str::from_utf8(&c) {
                        Ok(text) => {
                            if let Some(top) = self.stack.last_mut() {
                                top.push_text(text);
                            }
                        }
                        Err(err) => self.note_error(format!("invalid UTF-8 in CDATA: {err}")),
                    }
                }
                Event::Eof => {
                    let inside = self
                        .stack
                        .first()
                        .map(|n| n.name.clone())
                        .or_else(|| self.open.last().cloned());
                    return match inside {
                        Some(name) => {
                            self.fatal(format!("the XML ends inside <{name}> (truncated file?)"))
                        }
                        None => {
                            self.done = true;
                            None
                        }
                    };
                }
                Event::DocType(_) | Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            }
        }
    }
}
