//! Large server frames sent straight from the loop's read buffer: the echo of a 64 KiB message
//! that arrived whole in the buffer is queued as a reference to its payload there, and the
//! frames of one read go out in one `writev` per connection before the buffer is read into
//! again. No copy, and one syscall for the several messages a read holds, where writing each
//! at once cost a `writev` per message (ws-64k: 1.0 -> 0.5 `writev` per message, as many
//! writes as the raw-TCP echo makes).
//!
//! Only offsets into the buffer are kept (its address range is compared, never dereferenced),
//! and the loop passes the same buffer to [`Ctx::write_borrowed`]: the payloads there are
//! unchanged meanwhile, since the decoder only unmasks the frames after the one it delivered.

use std::io::{self, IoSlice, Write};
use std::ops::Range;

use crate::{ConnId, Ctx};

/// The most frames one `writev` carries (two slices each, far below `IOV_MAX`).
const FRAMES_PER_WRITE: usize = 32;
/// The most queued-frame slots kept between reads (40 bytes each); a read that queued more
/// (a large payload broadcast to thousands of connections) frees its list afterwards.
const FRAMES_KEPT: usize = 1024;

/// Frames queued from the read buffer during one read's processing.
#[derive(Debug, Default)]
pub(crate) struct Borrowed {
    /// The read buffer's address range while its bytes are processed; empty otherwise.
    range: Range<usize>,
    frames: Vec<Frame>,
}

/// One frame: its encoded header and where its payload lies in the read buffer.
#[derive(Debug, Clone)]
struct Frame {
    conn: ConnId,
    header: [u8; loopio_frame::MAX_HEADER_LEN],
    header_len: u8,
    payload: Range<usize>,
}

impl Frame {
    fn len(&self) -> usize {
        usize::from(self.header_len) + self.payload.len()
    }
}

impl Borrowed {
    /// `buffer` is about to be processed: payloads inside it may be borrowed until
    /// [`Ctx::write_borrowed`].
    pub(crate) fn open(&mut self, buffer: &[u8]) {
        let start = buffer.as_ptr() as usize;
        self.range = start..start + buffer.len();
    }

    /// Where `payload` lies in the open buffer, if it does.
    pub(crate) fn locate(&self, payload: &[u8]) -> Option<Range<usize>> {
        let start = payload.as_ptr() as usize;
        let end = start + payload.len();
        (self.range.start <= start && end <= self.range.end && start < end)
            .then(|| start - self.range.start..end - self.range.start)
    }

    /// Queues a frame with `header` whose payload is `payload` of the open buffer.
    pub(crate) fn push(&mut self, conn: ConnId, header: &[u8], payload: Range<usize>) {
        let mut frame = Frame {
            conn,
            header: [0; loopio_frame::MAX_HEADER_LEN],
            header_len: header.len() as u8,
            payload,
        };
        frame.header[..header.len()].copy_from_slice(header);
        self.frames.push(frame);
    }

    /// Takes the queued frames, sorted by connection.
    fn take(&mut self) -> Vec<Frame> {
        let mut frames = std::mem::take(&mut self.frames);
        // Stable: each connection's frames keep their order.
        frames.sort_by_key(|frame| frame.conn.index);
        frames
    }

    /// Gives back the (emptied) frame list, keeping its capacity unless it is unusually large.
    fn restore(&mut self, mut frames: Vec<Frame>) {
        frames.clear();
        if frames.capacity() <= FRAMES_KEPT {
            self.frames = frames;
        }
    }
}

impl Ctx {
    /// Writes the frames queued from `buffer` (the read buffer [`Borrowed::open`] was given):
    /// one `writev` per connection, and what a socket did not take goes to the front of the
    /// connection's out buffer, before anything queued after those frames.
    #[inline]
    pub(crate) fn write_borrowed(&mut self, buffer: &[u8]) {
        self.borrowed.range = 0..0;
        if !self.borrowed.frames.is_empty() {
            self.write_borrowed_frames(buffer);
        }
    }

    fn write_borrowed_frames(&mut self, buffer: &[u8]) {
        let frames = self.borrowed.take();
        for group in frames.chunk_by(|a, b| a.conn == b.conn) {
            let id = group[0].conn;
            let Some(conn) = self.conn_mut(id) else {
                continue; // closed meanwhile
            };
            conn.borrowed = 0;
            let written = write_frames(&mut conn.socket, group, buffer);
            if written < group.iter().map(Frame::len).sum() {
                let unsent: Vec<&[u8]> = parts(group, buffer, written).collect();
                self.buffer_first(id.index, &unsent);
            }
        }
        self.borrowed.restore(frames);
    }
}

/// Writes `frames` with as few `writev` calls as the socket allows; returns the bytes written
/// before it would block or failed (a real error shows up again at the next flush).
fn write_frames(socket: &mut mio::net::TcpStream, frames: &[Frame], buffer: &[u8]) -> usize {
    let total: usize = frames.iter().map(Frame::len).sum();
    let mut written = 0;
    while written < total {
        let mut slices = [IoSlice::new(&[]); 2 * FRAMES_PER_WRITE];
        let count = slices_from(frames, buffer, written, &mut slices);
        match socket.write_vectored(&slices[..count]) {
            Ok(0) => break,
            Ok(n) => written += n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    written
}

/// Fills `slices` with the bytes of `frames` after the first `skip`; returns how many it
/// filled.
fn slices_from<'a>(
    frames: &'a [Frame],
    buffer: &'a [u8],
    skip: usize,
    slices: &mut [IoSlice<'a>],
) -> usize {
    let mut count = 0;
    for (slot, part) in slices.iter_mut().zip(parts(frames, buffer, skip)) {
        *slot = IoSlice::new(part);
        count += 1;
    }
    count
}

/// The non-empty parts (headers and payloads in order) of `frames` after the first `skip`
/// bytes.
fn parts<'a>(
    frames: &'a [Frame],
    buffer: &'a [u8],
    mut skip: usize,
) -> impl Iterator<Item = &'a [u8]> {
    frames
        .iter()
        .flat_map(move |frame| {
            [
                &frame.header[..usize::from(frame.header_len)],
                &buffer[frame.payload.clone()],
            ]
        })
        .filter_map(move |part| {
            if skip >= part.len() {
                skip -= part.len();
                return None;
            }
            let part = &part[skip..];
            skip = 0;
            Some(part)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue(borrowed: &mut Borrowed, buffer: &[u8], frames: u32) {
        borrowed.open(buffer);
        let range = borrowed
            .locate(&buffer[1..])
            .expect("inside the open buffer");
        for index in 0..frames {
            let conn = ConnId {
                index,
                generation: 0,
            };
            borrowed.push(conn, &[0x82, 4], range.clone());
        }
    }

    #[test]
    fn only_payloads_inside_the_open_buffer_are_located() {
        let buffer = [7u8; 64];
        let other = [7u8; 8];
        let mut borrowed = Borrowed::default();
        assert_eq!(borrowed.locate(&buffer[..]), None, "nothing is open yet");
        borrowed.open(&buffer[..32]);
        assert_eq!(borrowed.locate(&buffer[4..20]), Some(4..20));
        assert_eq!(
            borrowed.locate(&buffer[20..40]),
            None,
            "runs past the open part"
        );
        assert_eq!(borrowed.locate(&other[..]), None);
        assert_eq!(borrowed.locate(&buffer[4..4]), None, "empty");
    }

    #[test]
    fn frames_come_back_grouped_by_connection_in_order_and_the_list_stays_bounded() {
        let buffer = [1u8; 5];
        let mut borrowed = Borrowed::default();
        queue(&mut borrowed, &buffer, 3);
        queue(&mut borrowed, &buffer, 2);
        let frames = borrowed.take();
        let order: Vec<u32> = frames.iter().map(|f| f.conn.index).collect();
        assert_eq!(order, [0, 0, 1, 1, 2]);
        borrowed.restore(frames);
        assert!(borrowed.frames.is_empty() && borrowed.frames.capacity() >= 5);
        queue(&mut borrowed, &buffer, FRAMES_KEPT as u32 + 1);
        let frames = borrowed.take();
        borrowed.restore(frames);
        assert_eq!(borrowed.frames.capacity(), 0, "a huge list is not kept");
    }
}
