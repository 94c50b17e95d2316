//! The incremental message decoder: frames in, whole messages and control frames out.

use std::mem;
use std::ops::Range;

use crate::header::MAX_HEADER_LEN;
use crate::mask::copy_masked;
use crate::Utf8Validator;
use crate::{apply_mask, CloseFrame, Error, FrameHeader, HeaderStatus, Limits, OpCode, Role};

/// A complete message or control frame, borrowed from the input or the decoder's buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message<'a> {
    /// A text message, validated UTF-8.
    Text(&'a str),
    /// A binary message.
    Binary(&'a [u8]),
    /// A ping with its payload (≤ 125 bytes).
    Ping(&'a [u8]),
    /// A pong with its payload (≤ 125 bytes).
    Pong(&'a [u8]),
    /// A close frame; `None` when it carried no payload.
    Close(Option<CloseFrame<'a>>),
}

/// What one [`Decoder::decode`] call did.
#[derive(Debug)]
pub struct Decoded<'a> {
    /// Bytes of the input consumed (always > 0 when the input was non-empty).
    pub consumed: usize,
    /// A complete message, if one finished within the consumed bytes.
    pub message: Option<Message<'a>>,
}

/// Incremental message decoder: feed bytes split anywhere, get messages out.
///
/// Usage contract: call `decode(&mut buf[pos..])`, advance `pos` by `consumed`, handle
/// `message`, repeat until `pos == buf.len()`. The decoder keeps partial headers and partial
/// payloads itself, so the caller never keeps leftover bytes. Input is unmasked in place.
///
/// After an error the connection must be failed with [`Error::close_code`]; every later call
/// returns the same error.
///
/// # Memory
///
/// A message whose single frame lies wholly inside one input is returned as a slice of that
/// input (zero-copy). Anything else is copied, as it arrives, into a buffer that grows only by
/// the bytes received (never by a header's length field) and is freed on the next call after
/// the message is returned, so an idle decoder owns no heap memory. A partial header waits in
/// a 14-byte array.
///
/// A single-frame binary message that spans reads goes to a separate, zero-filled buffer whose
/// unfilled part the caller may read the rest of the frame into ([`Decoder::payload_room`]),
/// saving a copy. A loop can lend that buffer from decoder to decoder
/// ([`Decoder::lend_buffer`], [`Decoder::return_buffer`]) so it is zeroed once, not per message.
///
/// ```
/// use loopio_frame::{Decoder, Limits, Role};
///
/// // RFC 6455 §5.7: "Hel" and "lo" as two fragments, then an unmasked ping "Hello".
/// let mut wire = [
///     0x01, 0x03, 0x48, 0x65, 0x6c, // Text, no FIN: "Hel"
///     0x80, 0x02, 0x6c, 0x6f, // Continuation, FIN: "lo"
///     0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f, // Ping "Hello"
/// ];
/// let mut decoder = Decoder::new(Role::Client, Limits::default());
/// let mut pos = 0;
/// let mut seen = Vec::new();
/// while pos < wire.len() {
///     let decoded = decoder.decode(&mut wire[pos..])?;
///     pos += decoded.consumed;
///     if let Some(message) = decoded.message {
///         seen.push(format!("{message:?}"));
///     }
/// }
/// assert_eq!(seen, ["Text(\"Hello\")", "Ping([72, 101, 108, 108, 111])"]);
/// # Ok::<(), loopio_frame::Error>(())
/// ```
#[derive(Debug)]
pub struct Decoder {
    role: Role,
    limits: Limits,
    /// Bytes of a header that arrived without the rest of it.
    header: [u8; MAX_HEADER_LEN],
    header_len: u8,
    /// The frame whose payload is arriving; `None` while awaiting a header.
    frame: Option<Frame>,
    /// The kind of the data message open across frames (Text or Binary), if any.
    open: Option<Kind>,
    /// Validation state of the open text message.
    utf8: Utf8Validator,
    /// The open text message's validated characters.
    text: String,
    /// The open binary message, followed by a control frame's payload while one arrives.
    bytes: Vec<u8>,
    /// A single-frame binary message that spans reads: its first `frame.done` bytes have
    /// arrived. Unlike `bytes`, the whole `Vec` is initialized, so a caller can read the rest
    /// of the frame straight into [`Decoder::payload_room`] and a reused buffer (see
    /// [`Decoder::lend_buffer`]) is not zeroed again.
    /// Boxed so the decoder stays small (it is part of every connection).
    direct: SpareBuffer,
    /// Buffer cleanup owed for the message the previous call returned.
    reclaim: Reclaim,
    /// Boxed: rare, and the decoder stays small.
    failed: Option<Box<Error>>,
}

/// A payload buffer a loop passes between decoders (see [`Decoder::lend_buffer`]): zero-filled
/// once when it grows, then reused without zeroing.
#[derive(Debug, Default)]
#[allow(
    clippy::box_collection,
    reason = "a thin pointer keeps every connection's decoder 16 bytes smaller than a Vec"
)]
pub struct SpareBuffer(Option<Box<Vec<u8>>>);

impl SpareBuffer {
    /// Bytes of memory held.
    pub fn capacity(&self) -> usize {
        self.0.as_ref().map_or(0, |buf| buf.capacity())
    }

    fn vec(&mut self) -> &mut Vec<u8> {
        self.0.get_or_insert_with(Default::default)
    }
}

/// The frame being received, resolved against the open message.
#[derive(Debug, Clone, Copy)]
struct Frame {
    kind: Kind,
    fin: bool,
    mask: Option<[u8; 4]>,
    len: u64,
    /// Payload bytes received so far.
    done: u64,
    /// Where the payload goes.
    store: Store,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Store {
    /// `text` or `bytes`.
    Message,
    /// `direct`: the frame is a whole binary message. `lent`: the buffer was lent before the
    /// frame began, so keep it for the lender afterwards rather than freeing it.
    Direct { lent: bool },
}

/// A frame's meaning: a continuation takes the kind of the message it continues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Binary,
    Close,
    Ping,
    Pong,
}

#[derive(Debug, Clone, Copy)]
enum Reclaim {
    Nothing,
    /// Free both message buffers: a buffered message was returned.
    Message,
    /// Drop a control payload of this many bytes (≤ 125) from the end of `bytes`.
    Control(u8),
    /// `direct`'s message was returned: free it unless it was lent.
    Direct {
        lent: bool,
    },
}

/// What reading payload bytes led to.
enum Payload {
    /// A message or control frame is complete.
    Message(Ready),
    /// The input ran out inside this frame.
    Partial(Frame),
    /// A non-final data frame ended; the message continues.
    FrameDone,
}

/// Where the finished message lies; resolved to a [`Message`] once `self` is done mutating.
enum Ready {
    Input(Kind, Range<usize>),
    Text,
    Bytes(Kind, Range<usize>),
    Direct(usize),
}

impl Decoder {
    /// A decoder for `role` with `limits`. Allocates nothing until a message spans reads.
    ///
    /// ```
    /// use loopio_frame::{Decoder, Limits, Role};
    ///
    /// let decoder = Decoder::new(Role::Server, Limits::default());
    /// assert!(decoder.is_idle());
    /// ```
    pub fn new(role: Role, limits: Limits) -> Decoder {
        Decoder {
            role,
            limits,
            header: [0; MAX_HEADER_LEN],
            header_len: 0,
            frame: None,
            open: None,
            utf8: Utf8Validator::new(),
            text: String::new(),
            bytes: Vec::new(),
            direct: SpareBuffer::default(),
            reclaim: Reclaim::Nothing,
            failed: None,
        }
    }

    /// The role this decoder was built for.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The limits this decoder enforces.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Whether the decoder sits between messages: no partial header, frame or message.
    pub fn is_idle(&self) -> bool {
        self.header_len == 0 && self.frame.is_none() && self.open.is_none()
    }

    /// Consumes a prefix of `input` (unmasking it in place) and returns at most one message.
    ///
    /// ```
    /// use loopio_frame::{Decoder, Error, Limits, Role};
    ///
    /// // An unmasked frame sent to a server: RFC 6455 §5.1 says fail the connection.
    /// let mut decoder = Decoder::new(Role::Server, Limits::default());
    /// let error = decoder.decode(&mut [0x81, 0x00]).unwrap_err();
    /// assert_eq!(error, Error::UnmaskedFrame);
    /// assert_eq!(error.close_code().0, 1002);
    /// ```
    #[inline]
    pub fn decode<'a>(&'a mut self, input: &'a mut [u8]) -> Result<Decoded<'a>, Error> {
        // Inlined into the caller's loop: a small whole frame costs no call beyond the mask.
        if self.failed.is_none() && matches!(self.reclaim, Reclaim::Nothing) {
            if let Some((opcode, payload)) = self.small_frame(input) {
                let payload: &'a [u8] = &input[payload];
                let message = match opcode {
                    OpCode::Text => match crate::utf8::text(payload) {
                        Ok(text) => Message::Text(text),
                        Err(_) => return Err(self.fail(Error::InvalidUtf8)),
                    },
                    _ => Message::Binary(payload),
                };
                let consumed = payload.len() + if self.role == Role::Server { 6 } else { 2 };
                return Ok(Decoded {
                    consumed,
                    message: Some(message),
                });
            }
        }
        self.decode_general(input)
    }

    /// [`Decoder::decode`] for everything but a small whole frame.
    fn decode_general<'a>(&'a mut self, input: &'a mut [u8]) -> Result<Decoded<'a>, Error> {
        if let Some(error) = self.failed.as_deref() {
            return Err(*error);
        }
        self.reclaim();
        let (consumed, ready) = match self.advance(input) {
            Ok(step) => step,
            Err(error) => return Err(self.fail(error)),
        };
        let message = match ready {
            None => None,
            Some(Ready::Input(kind, range)) => {
                let input: &'a [u8] = input;
                match kind.message(&input[range]) {
                    Ok(message) => Some(message),
                    Err(error) => return Err(self.fail(error)),
                }
            }
            Some(Ready::Text) => Some(Message::Text(&self.text)),
            Some(Ready::Bytes(kind, range)) => Some(
                kind.message(&self.bytes[range])
                    .expect("buffered close payloads are validated when they complete"),
            ),
            Some(Ready::Direct(len)) => Some(Message::Binary(&self.direct.vec()[..len])),
        };
        Ok(Decoded { consumed, message })
    }

    /// The fast path for the commonest input: between messages, a whole unfragmented text or
    /// binary frame with a 7-bit length, masked as the role requires. Unmasks it in place and
    /// returns its opcode and payload range; anything else (control frames, fragments, longer
    /// or partial frames, every error) is left to [`Decoder::advance`].
    #[inline]
    fn small_frame(&self, input: &mut [u8]) -> Option<(OpCode, Range<usize>)> {
        let (&mut [first, second], rest) = input.split_first_chunk_mut::<2>()?;
        // FIN set, RSV clear, opcode 1 or 2; mask bit as the role requires; length ≤ 125.
        let opcode = match first {
            0x81 => OpCode::Text,
            0x82 => OpCode::Binary,
            _ => return None,
        };
        let masked = self.role == Role::Server;
        if (second & 0x80 != 0) != masked || self.header_len != 0 || self.frame.is_some() {
            return None;
        }
        let len = usize::from(second & 0x7F);
        if len > 125
            || self.open.is_some()
            || len as u64 > self.limits.max_frame_size
            || len > self.limits.max_message_size
        {
            return None;
        }
        if !masked {
            return (rest.len() >= len).then_some((opcode, 2..2 + len));
        }
        let (key, payload) = rest.split_first_chunk_mut::<4>()?;
        let payload = payload.get_mut(..len)?;
        apply_mask(payload, *key, 0);
        Some((opcode, 6..6 + len))
    }

    fn fail(&mut self, error: Error) -> Error {
        self.failed = Some(Box::new(error));
        error
    }

    fn reclaim(&mut self) {
        match mem::replace(&mut self.reclaim, Reclaim::Nothing) {
            Reclaim::Nothing => {}
            Reclaim::Message => {
                self.text = String::new();
                self.bytes = Vec::new();
            }
            Reclaim::Control(len) if usize::from(len) == self.bytes.len() => {
                self.bytes = Vec::new();
            }
            Reclaim::Control(len) => self.bytes.truncate(self.bytes.len() - usize::from(len)),
            Reclaim::Direct { lent: false } => self.direct = SpareBuffer::default(),
            Reclaim::Direct { lent: true } => {}
        }
    }

    /// Where the rest of the frame being received can be read to directly, without passing
    /// through the caller's buffer: the unfilled part of the decoder's own buffer, at most
    /// the frame's remaining payload. `None` unless a single-frame binary message has
    /// started arriving. Report what was written with [`Decoder::payload_filled`].
    ///
    /// The buffer grows with the bytes received, as in [`Decoder::decode`]: a length field
    /// alone never sizes it.
    pub fn payload_room(&mut self) -> Option<&mut [u8]> {
        let frame = self
            .frame
            .filter(|f| f.is_direct() && self.failed.is_none())?;
        let direct = self.direct.vec();
        // Both ≤ max_frame_size, checked in `start_frame`.
        let (done, end) = (frame.done as usize, frame.len as usize);
        if direct.len() <= done {
            let grown = end.min(done.max(MIN_DIRECT_GROWTH).saturating_mul(2));
            direct.resize(grown, 0);
        }
        let end = end.min(direct.len());
        Some(&mut direct[done..end])
    }

    /// `filled` bytes of wire data were written to the front of [`Decoder::payload_room`]:
    /// unmasks them and returns the message when the frame is complete. `filled` must not
    /// exceed the room's length.
    pub fn payload_filled(&mut self, filled: usize) -> Result<Option<Message<'_>>, Error> {
        if let Some(error) = self.failed.as_deref() {
            return Err(*error);
        }
        let Some(mut frame) = self.frame.filter(|f| f.is_direct()) else {
            return Ok(None);
        };
        let start = frame.done as usize;
        let end = start + filled;
        assert!(end as u64 <= frame.len, "filled beyond the frame");
        if let Some(key) = frame.mask {
            apply_mask(&mut self.direct.vec()[start..end], key, start % 4);
        }
        frame.done = end as u64;
        if frame.done < frame.len {
            self.frame = Some(frame);
            return Ok(None);
        }
        self.frame = None;
        self.open = None;
        self.reclaim = frame.reclaim_direct();
        Ok(Some(Message::Binary(&self.direct.vec()[..end])))
    }

    /// Lends the decoder `spare` (if the decoder has no buffer of its own) for a message that
    /// spans reads, so a loop can pass one zero-filled buffer from connection to connection
    /// instead of allocating and zeroing one per message. [`Decoder::return_buffer`] takes it
    /// back.
    pub fn lend_buffer(&mut self, spare: &mut SpareBuffer) {
        if self.direct.0.is_none() {
            mem::swap(&mut self.direct, spare);
        }
    }

    /// Moves the decoder's spare buffer into `spare` (when that is empty) unless a message is
    /// being received into it; an idle decoder then owns no large buffer.
    pub fn return_buffer(&mut self, spare: &mut SpareBuffer) {
        if self.frame.is_some_and(|f| f.is_direct()) || self.direct.0.is_none() {
            return;
        }
        if matches!(self.reclaim, Reclaim::Direct { .. }) {
            self.reclaim = Reclaim::Nothing;
        }
        if spare.0.is_none() {
            mem::swap(&mut self.direct, spare);
        } else {
            self.direct = SpareBuffer::default();
        }
    }

    /// Reads headers and payloads until a message completes or `input` runs out.
    ///
    /// The frame being read stays in a local until the input runs out mid-frame, so the hot
    /// path does not round-trip it through `self`.
    fn advance(&mut self, input: &mut [u8]) -> Result<(usize, Option<Ready>), Error> {
        let mut pos = 0;
        let mut frame = self.frame.take();
        loop {
            let current = match frame {
                Some(current) => current,
                None if pos == input.len() => return Ok((pos, None)),
                None => {
                    let (used, started) = self.read_header(&input[pos..])?;
                    pos += used;
                    match started {
                        Some(started) => started,
                        None => continue,
                    }
                }
            };
            match self.read_payload(current, input, &mut pos)? {
                Payload::Message(ready) => return Ok((pos, Some(ready))),
                Payload::Partial(rest) => {
                    self.frame = Some(rest);
                    return Ok((pos, None));
                }
                Payload::FrameDone => frame = None,
            }
        }
    }

    /// Consumes header bytes from non-empty `input`; starts the frame once the header is whole.
    fn read_header(&mut self, input: &[u8]) -> Result<(usize, Option<Frame>), Error> {
        let held = usize::from(self.header_len);
        let mut joined = [0; MAX_HEADER_LEN];
        let bytes = if held == 0 {
            input
        } else {
            let take = input.len().min(MAX_HEADER_LEN - held);
            joined[..held].copy_from_slice(&self.header[..held]);
            joined[held..held + take].copy_from_slice(&input[..take]);
            &joined[..held + take]
        };
        match FrameHeader::parse(bytes)? {
            HeaderStatus::Partial => {
                // A partial header is shorter than 14 bytes, so all of `input` fits.
                self.header[held..held + input.len()].copy_from_slice(input);
                self.header_len = (held + input.len()) as u8;
                Ok((input.len(), None))
            }
            HeaderStatus::Complete(header, len) => {
                self.header_len = 0;
                Ok((len - held, Some(self.start_frame(header)?)))
            }
        }
    }

    fn start_frame(&mut self, header: FrameHeader) -> Result<Frame, Error> {
        // RFC 6455 §5.1: "a server MUST close the connection upon receiving a frame that is not
        // masked" and "A client MUST close a connection if it detects a masked frame."
        match (self.role, header.mask) {
            (Role::Server, None) => return Err(Error::UnmaskedFrame),
            (Role::Client, Some(_)) => return Err(Error::MaskedFrame),
            _ => {}
        }
        if header.payload_len > self.limits.max_frame_size {
            return Err(Error::FrameTooBig(header.payload_len));
        }
        let kind = match header.opcode {
            // §5.4: fragments are a first frame with a data opcode, then "zero or more frames
            // with FIN clear and the opcode set to 0", then a final one with FIN set.
            OpCode::Continuation => self.open.ok_or(Error::UnexpectedContinuation)?,
            OpCode::Text | OpCode::Binary if self.open.is_some() => {
                return Err(Error::ExpectedContinuation)
            }
            OpCode::Text => Kind::Text,
            OpCode::Binary => Kind::Binary,
            OpCode::Close => Kind::Close,
            OpCode::Ping => Kind::Ping,
            OpCode::Pong => Kind::Pong,
        };
        if !kind.is_control() {
            // Check the whole message before any byte of this frame is buffered.
            let buffered = self.text.len() + self.utf8.pending_len() + self.bytes.len();
            let total = (buffered as u64).saturating_add(header.payload_len);
            if total > self.limits.max_message_size as u64 {
                return Err(Error::MessageTooBig(total));
            }
            self.open = Some(kind);
        }
        let (fin, mask, len) = (header.fin, header.mask, header.payload_len);
        Ok(Frame {
            kind,
            fin,
            mask,
            len,
            done: 0,
            store: Store::Message,
        })
    }

    /// Takes the payload bytes of `frame` available at `input[*pos..]`.
    fn read_payload(
        &mut self,
        mut frame: Frame,
        input: &mut [u8],
        pos: &mut usize,
    ) -> Result<Payload, Error> {
        let available = input.len() - *pos;
        let remaining = frame.len - frame.done;
        let nothing_buffered =
            self.text.is_empty() && self.utf8.is_complete() && self.bytes.is_empty();
        let whole_message = frame.kind.is_control() || (frame.fin && nothing_buffered);
        if frame.done == 0 && remaining <= available as u64 && whole_message {
            // Zero-copy: the message is this one frame, wholly inside `input`.
            let range = *pos..*pos + remaining as usize;
            if let Some(key) = frame.mask {
                apply_mask(&mut input[range.clone()], key, 0);
            }
            *pos = range.end;
            if !frame.kind.is_control() {
                self.open = None;
            }
            return Ok(Payload::Message(Ready::Input(frame.kind, range)));
        }
        let take = remaining.min(available as u64) as usize;
        let chunk = &mut input[*pos..*pos + take];
        let remaining = remaining as usize; // ≤ max_frame_size, checked in `start_frame`
        if frame.done == 0 && frame.kind == Kind::Binary && whole_message {
            // Only a lent buffer is held between messages (see `Reclaim::Direct`).
            let lent = self.direct.0.is_some();
            frame.store = Store::Direct { lent };
        }
        let mask = frame.mask.map(|key| (key, (frame.done % 4) as usize));
        if let (Some((key, offset)), false) = (mask, frame.is_direct()) {
            apply_mask(chunk, key, offset);
        }
        match frame.kind {
            _ if frame.is_direct() => {
                let start = frame.done as usize;
                let end = start + take;
                let direct = self.direct.vec();
                if direct.len() < end {
                    let grown = end.saturating_mul(2).min(end + remaining - take);
                    direct.resize(grown, 0);
                }
                // Unmasked on the way: the chunk is read and written once.
                match mask {
                    Some((key, offset)) => copy_masked(&mut direct[start..end], chunk, key, offset),
                    None => direct[start..end].copy_from_slice(chunk),
                }
            }
            // Validate as bytes arrive so bad text fails at the first bad byte (Autobahn 6.4).
            Kind::Text => {
                if let Some(extra) =
                    room_for(self.text.len(), self.text.capacity(), take, remaining)
                {
                    self.text.reserve_exact(extra);
                }
                self.utf8.push_str(chunk, &mut self.text)?
            }
            _ => {
                if let Some(extra) =
                    room_for(self.bytes.len(), self.bytes.capacity(), take, remaining)
                {
                    self.bytes.reserve_exact(extra);
                }
                self.bytes.extend_from_slice(chunk)
            }
        }
        *pos += take;
        frame.done += take as u64;
        if frame.done < frame.len {
            return Ok(Payload::Partial(frame));
        }
        self.finish_frame(frame)
    }

    /// A buffered frame's last byte arrived: return the message it ends, if any.
    fn finish_frame(&mut self, frame: Frame) -> Result<Payload, Error> {
        if frame.is_direct() {
            self.open = None;
            self.reclaim = frame.reclaim_direct();
            return Ok(Payload::Message(Ready::Direct(frame.len as usize)));
        }
        if frame.kind.is_control() {
            let start = self.bytes.len() - frame.len as usize;
            if frame.kind == Kind::Close {
                CloseFrame::parse(&self.bytes[start..])?;
            }
            // `parse` capped control payloads at 125 bytes.
            self.reclaim = Reclaim::Control(frame.len as u8);
            return Ok(Payload::Message(Ready::Bytes(
                frame.kind,
                start..self.bytes.len(),
            )));
        }
        if !frame.fin {
            return Ok(Payload::FrameDone);
        }
        self.open = None;
        self.reclaim = Reclaim::Message;
        if frame.kind == Kind::Text {
            // §8.1: text "MUST" be valid UTF-8; ending inside a character is not.
            self.utf8.finish()?;
            return Ok(Payload::Message(Ready::Text));
        }
        Ok(Payload::Message(Ready::Bytes(
            Kind::Binary,
            0..self.bytes.len(),
        )))
    }
}

/// How much to grow a message buffer holding `len` bytes (capacity `capacity`) that must take
/// `take` more of a frame with `remaining` payload bytes left (`take` included); `None` when
/// they fit.
///
/// Room for the rest of the frame when that at most doubles what has arrived, else twice the
/// arrived bytes: a 64 KiB message that arrives in two reads is sized exactly on the first and
/// never reallocated (copied again), while a header claiming 2^63 bytes still reserves no more
/// than twice the bytes actually received.
/// The least a direct buffer grows by when a read fills it (a frame whose header arrived
/// alone starts at twice this).
const MIN_DIRECT_GROWTH: usize = 2048;

fn room_for(len: usize, capacity: usize, take: usize, remaining: usize) -> Option<usize> {
    (capacity - len < take).then(|| remaining.min(len.saturating_add(take.saturating_mul(2))))
}

impl Frame {
    fn is_direct(&self) -> bool {
        matches!(self.store, Store::Direct { .. })
    }

    fn reclaim_direct(&self) -> Reclaim {
        Reclaim::Direct {
            lent: self.store == Store::Direct { lent: true },
        }
    }
}

impl Kind {
    fn is_control(self) -> bool {
        matches!(self, Kind::Close | Kind::Ping | Kind::Pong)
    }

    /// Views a whole unmasked payload as a message, validating text and close payloads.
    fn message(self, payload: &[u8]) -> Result<Message<'_>, Error> {
        Ok(match self {
            Kind::Text => Message::Text(crate::utf8::text(payload)?),
            Kind::Binary => Message::Binary(payload),
            Kind::Ping => Message::Ping(payload),
            Kind::Pong => Message::Pong(payload),
            Kind::Close => Message::Close(CloseFrame::parse(payload)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode_frame;

    fn heap(decoder: &Decoder) -> usize {
        decoder.text.capacity() + decoder.bytes.capacity() + decoder.direct.capacity()
    }

    #[test]
    fn idle_decoder_owns_no_heap_after_a_buffered_message() {
        let mut decoder = Decoder::new(Role::Client, Limits::default());
        for opcode in [OpCode::Text, OpCode::Binary] {
            let mut wire = Vec::new();
            encode_frame(&mut wire, opcode, true, &[b'x'; 5000], None);
            let (head, tail) = wire.split_at_mut(100);
            assert_eq!(decoder.decode(head).expect("valid").message, None);
            assert!(heap(&decoder) > 0);
            assert!(decoder.decode(tail).expect("valid").message.is_some());
            assert_eq!(decoder.decode(&mut []).expect("empty").consumed, 0);
            assert_eq!(heap(&decoder), 0);
            assert!(decoder.is_idle());
        }
    }

    #[test]
    fn buffer_grows_with_arrived_bytes_not_the_length_field() {
        let unlimited = Limits {
            max_frame_size: u64::MAX,
            max_message_size: usize::MAX,
        };
        let mut decoder = Decoder::new(Role::Client, unlimited);
        let mut wire = vec![0x82, 0x7F, 0x40, 0, 0, 0, 0, 0, 0, 0];
        wire.extend_from_slice(&[0; 100]);
        assert_eq!(
            decoder.decode(&mut wire).expect("valid prefix").consumed,
            110
        );
        assert!(heap(&decoder) <= 2 * 100, "reserved {}", heap(&decoder));
    }

    #[test]
    fn a_frame_split_across_two_reads_is_sized_once() {
        // A 64 KiB frame never fits a 64 KiB read whole: the first read reserves the frame's
        // length (it at most doubles what arrived), so the tail is not a reallocation.
        for opcode in [OpCode::Text, OpCode::Binary] {
            let mut decoder = Decoder::new(Role::Client, Limits::default());
            let mut wire = Vec::new();
            encode_frame(&mut wire, opcode, true, &[b'x'; 65_536], None);
            let (head, tail) = wire.split_at_mut(65_536);
            assert_eq!(decoder.decode(head).expect("valid").message, None);
            assert_eq!(heap(&decoder), 65_536);
            let tail_len = tail.len();
            let decoded = decoder.decode(tail).expect("valid");
            assert_eq!(decoded.consumed, tail_len);
            assert!(decoded.message.is_some());
            assert_eq!(heap(&decoder), 65_536);
        }
    }

    /// Feeds `wire` as a caller reading into `payload_room` would: `first` bytes through
    /// `decode`, then the rest in `step`-byte reads into the room. Returns the message.
    fn read_direct(decoder: &mut Decoder, wire: &mut [u8], first: usize, step: usize) -> Vec<u8> {
        let (head, mut rest) = wire.split_at_mut(first);
        assert_eq!(decoder.decode(head).expect("valid").message, None);
        loop {
            let room = decoder.payload_room().expect("a direct frame is arriving");
            assert!(!room.is_empty());
            let n = room.len().min(step).min(rest.len());
            room[..n].copy_from_slice(&rest[..n]);
            rest = &mut rest[n..];
            if let Some(message) = decoder.payload_filled(n).expect("valid") {
                assert!(rest.is_empty());
                let Message::Binary(bytes) = message else {
                    panic!("expected binary, got {message:?}");
                };
                return bytes.to_vec();
            }
        }
    }

    #[test]
    fn the_rest_of_a_binary_frame_can_be_read_into_the_decoder() {
        let payload: Vec<u8> = (0..65_536u32).map(|i| (i * 7 + i / 251) as u8).collect();
        for (first, step) in [(1000, 777), (20, 65_536), (40_000, 3), (14, 1)] {
            let mut decoder = Decoder::new(Role::Server, Limits::default());
            let mut wire = Vec::new();
            encode_frame(
                &mut wire,
                OpCode::Binary,
                true,
                &payload,
                Some([1, 2, 3, 4]),
            );
            assert_eq!(read_direct(&mut decoder, &mut wire, first, step), payload);
            assert!(decoder.is_idle());
            assert_eq!(decoder.payload_room(), None);
            assert_eq!(decoder.decode(&mut []).expect("empty").consumed, 0);
            assert_eq!(heap(&decoder), 0, "an unlent buffer is freed");
        }
    }

    #[test]
    fn only_a_whole_binary_message_is_read_into_the_decoder() {
        assert_eq!(
            Decoder::new(Role::Client, Limits::default()).payload_room(),
            None
        );
        for (opcode, fin) in [(OpCode::Text, true), (OpCode::Binary, false)] {
            let mut decoder = Decoder::new(Role::Client, Limits::default());
            let mut wire = Vec::new();
            encode_frame(&mut wire, opcode, fin, &[b'x'; 5000], None);
            assert_eq!(
                decoder.decode(&mut wire[..100]).expect("valid").message,
                None
            );
            assert_eq!(decoder.payload_room(), None);
        }
    }

    #[test]
    fn the_direct_buffer_grows_with_arrived_bytes_not_the_length_field() {
        let unlimited = Limits {
            max_frame_size: u64::MAX,
            max_message_size: usize::MAX,
        };
        let mut decoder = Decoder::new(Role::Client, unlimited);
        let mut wire = [0x82, 0x7F, 0x40, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(decoder.decode(&mut wire).expect("header").consumed, 10);
        let room = decoder.payload_room().expect("direct").len();
        assert!(room <= 2 * MIN_DIRECT_GROWTH, "room {room}");
        decoder.payload_filled(room).expect("valid");
        let next = decoder.payload_room().expect("direct").len();
        assert!(next <= room, "grew by {next} after {room} arrived");
    }

    #[test]
    fn a_lent_buffer_is_reused_and_returned() {
        let mut spare = SpareBuffer(Some(Box::new(vec![0; 65_536])));
        let address = spare.0.as_ref().map(|buf| buf.as_ptr());
        let mut decoder = Decoder::new(Role::Server, Limits::default());
        for _ in 0..2 {
            decoder.lend_buffer(&mut spare);
            assert_eq!(spare.capacity(), 0);
            let mut wire = Vec::new();
            encode_frame(
                &mut wire,
                OpCode::Binary,
                true,
                &[9; 60_000],
                Some([5, 6, 7, 8]),
            );
            assert_eq!(
                read_direct(&mut decoder, &mut wire, 3000, 20_000),
                [9; 60_000]
            );
            decoder.return_buffer(&mut spare);
            let now = spare.0.as_ref().map(|buf| buf.as_ptr());
            assert_eq!(now, address, "the same buffer, not reallocated");
            assert_eq!(heap(&decoder), 0);
        }
    }

    #[test]
    fn a_buffer_is_not_returned_while_a_frame_arrives_in_it() {
        let mut spare = SpareBuffer::default();
        let mut decoder = Decoder::new(Role::Server, Limits::default());
        let mut wire = Vec::new();
        encode_frame(&mut wire, OpCode::Binary, true, &[1; 10_000], Some([0; 4]));
        assert_eq!(
            decoder.decode(&mut wire[..5000]).expect("valid").message,
            None
        );
        decoder.return_buffer(&mut spare);
        assert_eq!(spare.capacity(), 0);
        let decoded = decoder.decode(&mut wire[5000..]).expect("valid");
        assert_eq!(decoded.message, Some(Message::Binary(&[1; 10_000])));
    }

    #[test]
    fn control_frames_inside_a_binary_message_leave_its_bytes_alone() {
        let mut decoder = Decoder::new(Role::Client, Limits::default());
        let mut wire = Vec::new();
        encode_frame(&mut wire, OpCode::Binary, false, b"abc", None);
        encode_frame(&mut wire, OpCode::Ping, true, b"ping", None);
        let (first, ping) = wire.split_at_mut(5);
        assert_eq!(decoder.decode(first).expect("valid").message, None);
        let (ping_head, ping_tail) = ping.split_at_mut(3);
        assert_eq!(decoder.decode(ping_head).expect("valid").message, None);
        let decoded = decoder.decode(ping_tail).expect("valid");
        assert_eq!(decoded.message, Some(Message::Ping(b"ping")));
        let mut last = Vec::new();
        encode_frame(&mut last, OpCode::Continuation, true, b"d", None);
        let decoded = decoder.decode(&mut last).expect("valid");
        assert_eq!(decoded.message, Some(Message::Binary(b"abcd")));
    }

    /// Decodes `wire` fed whole (small frames take the fast path) and a byte at a time (the
    /// general path); returns the messages, or the error, of each.
    fn both_ways(role: Role, limits: Limits, wire: &[u8]) -> [Result<Vec<String>, Error>; 2] {
        let run = |piece: usize| {
            let mut decoder = Decoder::new(role, limits);
            let mut wire = wire.to_vec();
            let mut seen = Vec::new();
            for chunk in wire.chunks_mut(piece) {
                let mut pos = 0;
                while pos < chunk.len() {
                    let decoded = decoder.decode(&mut chunk[pos..])?;
                    pos += decoded.consumed;
                    seen.extend(decoded.message.map(|m| format!("{m:?}")));
                }
            }
            Ok(seen)
        };
        [run(wire.len().max(1)), run(1)]
    }

    #[test]
    fn small_frame_fast_path_agrees_with_the_general_path() {
        let key = Some([1, 2, 3, 4]);
        let mut good = Vec::new();
        for (opcode, payload) in [
            (OpCode::Text, &b"hello"[..]),
            (OpCode::Binary, &[0xFF; 125][..]),
            (OpCode::Text, &b""[..]),
            (OpCode::Ping, &b"p"[..]),
            (OpCode::Binary, &[7; 126][..]),
        ] {
            encode_frame(&mut good, opcode, true, payload, key);
        }
        let [whole, bytewise] = both_ways(Role::Server, Limits::default(), &good);
        assert_eq!(whole, bytewise);
        assert_eq!(whole.expect("valid").len(), 5);

        let mut bad_utf8 = Vec::new();
        encode_frame(&mut bad_utf8, OpCode::Text, true, b"ok\xC0\x80", key);
        let mut unmasked = Vec::new();
        encode_frame(&mut unmasked, OpCode::Binary, true, b"x", None);
        let mut fragmented = Vec::new();
        encode_frame(&mut fragmented, OpCode::Binary, false, b"ab", key);
        encode_frame(&mut fragmented, OpCode::Binary, true, b"cd", key);
        let mut rsv = Vec::new();
        encode_frame(&mut rsv, OpCode::Binary, true, b"x", key);
        rsv[0] |= 0x40;
        for wire in [&bad_utf8, &unmasked, &fragmented, &rsv] {
            let [whole, bytewise] = both_ways(Role::Server, Limits::default(), wire);
            assert!(whole.is_err(), "{wire:02x?}");
            assert_eq!(whole, bytewise, "{wire:02x?}");
        }
        // Limits below the frame's length still apply on the fast path.
        let tiny = Limits {
            max_frame_size: 4,
            max_message_size: 100,
        };
        let [whole, bytewise] = both_ways(Role::Server, tiny, &good);
        assert_eq!(whole, Err(Error::FrameTooBig(5)));
        assert_eq!(whole, bytewise);
        // A client receives unmasked frames; a masked one fails either way.
        let mut plain = Vec::new();
        encode_frame(&mut plain, OpCode::Text, true, b"hi", None);
        let [whole, bytewise] = both_ways(Role::Client, Limits::default(), &plain);
        assert_eq!(whole, Ok(vec!["Text(\"hi\")".to_owned()]));
        assert_eq!(whole, bytewise);
        let [whole, bytewise] = both_ways(Role::Client, Limits::default(), &good);
        assert_eq!(whole, Err(Error::MaskedFrame));
        assert_eq!(whole, bytewise);
    }

    #[test]
    fn decoder_is_small() {
        // Reported in the crate README; keep the idle per-connection cost visible.
        assert!(
            mem::size_of::<Decoder>() <= 128,
            "{}",
            mem::size_of::<Decoder>()
        );
    }
}
