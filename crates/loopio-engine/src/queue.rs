//! Packet queues stored as contiguous bytes, so steady-state traffic allocates nothing.

use std::collections::VecDeque;

use crate::error::{CloseReason, SendError};
use crate::packet::{Data, Packet, PacketType};

/// Packets waiting for a writable transport (the official `writeBuffer`), data copied once
/// into one reused buffer.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    bytes: Vec<u8>,
    entries: VecDeque<Entry>,
    read: usize,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    kind: PacketType,
    binary: bool,
    len: u32,
}

/// Above this capacity a drained buffer is released, so idle sessions stay small.
const KEEP_CAPACITY: usize = 4 << 10;

/// Until a session carried this many messages its drained queues release their buffers: one
/// that only did its handshake (CONNECT and its reply) and then idles, answering pings, would
/// otherwise hold them for its whole life, while one with traffic keeps them and allocates
/// nothing per packet.
pub(crate) const WARM: u8 = 4;

impl Outbox {
    pub(crate) fn push(&mut self, packet: Packet<'_>, limit: usize) -> Result<(), SendError> {
        let (binary, data) = match packet.data {
            Data::Text(text) => (false, text.as_bytes()),
            Data::Binary(bytes) => (true, bytes),
        };
        let queued = self.bytes.len() - self.read;
        let len = u32::try_from(data.len()).map_err(|_| SendError::BufferFull)?;
        if queued.saturating_add(data.len()) > limit {
            return Err(SendError::BufferFull);
        }
        self.bytes.extend_from_slice(data);
        self.entries.push_back(Entry {
            kind: packet.kind,
            binary,
            len,
        });
        Ok(())
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Bytes of packet data waiting.
    pub(crate) fn queued(&self) -> usize {
        self.bytes.len() - self.read
    }

    /// The oldest packet.
    pub(crate) fn front(&self) -> Option<Packet<'_>> {
        let entry = self.entries.front()?;
        let bytes = &self.bytes[self.read..self.read + entry.len as usize];
        let data = if entry.binary {
            Data::Binary(bytes)
        } else {
            Data::Text(std::str::from_utf8(bytes).expect("text entries were pushed as &str"))
        };
        Some(Packet {
            kind: entry.kind,
            data,
        })
    }

    /// Drops the oldest packet; `warm` keeps the buffers once the queue is empty (see [`WARM`]).
    pub(crate) fn pop(&mut self, warm: bool) {
        if let Some(entry) = self.entries.pop_front() {
            self.read += entry.len as usize;
        }
        if self.entries.is_empty() {
            self.clear(warm);
        }
    }

    pub(crate) fn clear(&mut self, warm: bool) {
        self.entries.clear();
        self.bytes.clear();
        self.read = 0;
        if !warm || self.bytes.capacity() > KEEP_CAPACITY {
            self.bytes = Vec::new();
            self.entries = VecDeque::new();
        }
    }
}

/// Events waiting for [`crate::Connection::poll_event`]; message data lives in two reused
/// buffers (text kept as `String` so reading it back needs no UTF-8 check).
#[derive(Debug, Default)]
pub(crate) struct Inbox {
    text: String,
    binary: Vec<u8>,
    entries: VecDeque<Incoming>,
    text_read: usize,
    binary_read: usize,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Incoming {
    Text(usize),
    Binary(usize),
    Upgraded,
    Closed(CloseReason),
}

/// What [`Inbox::pop`] yields.
pub(crate) enum Popped<'a> {
    Message(Data<'a>),
    Upgraded,
    Closed(CloseReason),
}

impl Inbox {
    pub(crate) fn push_message(&mut self, data: Data<'_>) {
        self.recycle(true);
        match data {
            Data::Text(text) => {
                self.text.push_str(text);
                self.entries.push_back(Incoming::Text(text.len()));
            }
            Data::Binary(bytes) => {
                self.binary.extend_from_slice(bytes);
                self.entries.push_back(Incoming::Binary(bytes.len()));
            }
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub(crate) fn push(&mut self, event: Incoming) {
        self.recycle(true);
        self.entries.push_back(event);
    }

    /// The oldest event; `warm` as in [`Outbox::pop`].
    pub(crate) fn pop(&mut self, warm: bool) -> Option<Popped<'_>> {
        let Some(entry) = self.entries.pop_front() else {
            self.recycle(warm);
            return None;
        };
        Some(match entry {
            Incoming::Text(len) => {
                let start = self.text_read;
                self.text_read += len;
                Popped::Message(Data::Text(&self.text[start..self.text_read]))
            }
            Incoming::Binary(len) => {
                let start = self.binary_read;
                self.binary_read += len;
                Popped::Message(Data::Binary(&self.binary[start..self.binary_read]))
            }
            Incoming::Upgraded => Popped::Upgraded,
            Incoming::Closed(reason) => Popped::Closed(reason),
        })
    }

    /// Once everything was read, the buffers are reused from the start.
    fn recycle(&mut self, warm: bool) {
        if self.entries.is_empty() {
            self.text.clear();
            self.binary.clear();
            self.text_read = 0;
            self.binary_read = 0;
            if !warm || self.text.capacity() > KEEP_CAPACITY {
                self.text = String::new();
            }
            if !warm || self.binary.capacity() > KEEP_CAPACITY {
                self.binary = Vec::new();
            }
            if !warm {
                self.entries = VecDeque::new();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cycle(outbox: &mut Outbox, inbox: &mut Inbox, warm: bool) {
        let packet = Packet::message(Data::Text("40{\"sid\":\"abc\"}"));
        outbox.push(packet, usize::MAX).expect("under the limit");
        outbox.pop(warm);
        inbox.push_message(Data::Text("40"));
        assert!(matches!(inbox.pop(warm), Some(Popped::Message(_))));
        assert!(inbox.pop(warm).is_none());
    }

    #[test]
    fn cold_queues_free_their_buffers_once_drained() {
        let (mut outbox, mut inbox) = (Outbox::default(), Inbox::default());
        cycle(&mut outbox, &mut inbox, false);
        assert_eq!(outbox.bytes.capacity(), 0);
        assert_eq!(outbox.entries.capacity(), 0);
        assert_eq!(inbox.text.capacity(), 0);
        assert_eq!(inbox.entries.capacity(), 0);
    }

    #[test]
    fn warm_queues_keep_their_buffers() {
        let (mut outbox, mut inbox) = (Outbox::default(), Inbox::default());
        cycle(&mut outbox, &mut inbox, true);
        assert!(outbox.bytes.capacity() > 0 && outbox.entries.capacity() > 0);
        assert!(inbox.text.capacity() > 0 && inbox.entries.capacity() > 0);
    }
}
