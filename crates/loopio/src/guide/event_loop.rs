//! Chapter 2: how the loop works, and why it is built this way.
//!
//! # One thread, one `mio::Poll`
//!
//! [`EventLoop::run`](crate::net::EventLoop::run) owns every socket, the clock and the
//! service (your code). It never blocks except in `Poll::poll`, whose timeout is the nearest
//! deadline. One turn:
//!
//! ```text
//!   poll(timeout = nearest deadline)     the only place the thread sleeps
//!   now = Instant::now()                 once per turn; this turn's deadlines count from it
//!   │
//!   ├─ listener ready → accept until WouldBlock (or max_connections: pause accepting)
//!   ├─ waker ready    → run the Handle's queued commands, in order
//!   ├─ socket ready   → read into the scratch buffer until WouldBlock or read_budget
//!   │                   → head parser / frame decoder → Service callbacks
//!   │                     (which append output and mark the connection dirty)
//!   ├─ fire due timers: connection deadlines, Service::on_timer
//!   └─ settle: on_close / on_drain notices, then one write per dirty connection
//! ```
//!
//! # Reading: one scratch buffer, decoded in place
//!
//! The loop has **one** read buffer (`Config::read_buffer`, 256 KiB), not one per connection.
//! A readable socket is read into it, and the bytes go straight to the connection's parser
//! while they are still there:
//!
//! - before the upgrade, to the HTTP head parser (`loopio-handshake`); bytes past the head
//!   are fed to the frame decoder at once (a client may send its first frame in the same
//!   packet as its head);
//! - after it, to [`Decoder::decode`](crate::frame::Decoder::decode), which XORs the masking
//!   key over the payload **in the scratch buffer** and, when a whole message lies in this
//!   read, hands the service a [`Data::Text(&str)`](crate::net::Data) borrowing it: no copy,
//!   no allocation. Text is UTF-8-checked as it arrives, so invalid text fails at its first
//!   bad byte (1007), not at the end of the message.
//!
//! Only what does not complete within a read is copied out: a partial header (at most 14
//! bytes), a partial frame, a fragmented message in assembly. An idle connection therefore
//! owns no input buffer at all, and a WebSocket slot is 240 bytes
//! ([`connection_state_size`](crate::net::connection_state_size)).
//!
//! `read_budget` (1 MiB) caps what one connection may read per turn; the rest waits for the
//! next turn, so one fast sender cannot starve the others.
//!
//! # Writing: coalesced, once per turn
//!
//! [`Ctx::send_text`](crate::net::Ctx::send_text) and friends do not write to the socket.
//! They append the frame (header and payload) to the connection's output buffer and put the
//! connection on the turn's dirty list. At the end of the turn, each dirty connection gets one
//! `write` of everything it accumulated. In [`journey`](super::journey) §5, the Socket.IO
//! packet and its binary attachment were two frames and left in **one** 81-byte TCP write;
//! a broadcast to 1 000 sockets is 1 000 writes, not 1 000 × (messages).
//!
//! Two refinements keep this cheap for large messages and many connections:
//!
//! - A large unmasked payload (16 KiB or more) sent while nothing is queued skips the buffer:
//!   header and payload go to the socket in one `writev`, and only what the socket did not
//!   take is copied into the buffer. Below that size a copy is cheaper than a syscall per
//!   message.
//! - A buffer that has drained is taken away from its connection (idle connections hold
//!   none) and kept in a small loop-wide pool (at most 16 buffers of at most 256 KiB) for the
//!   next connection that writes, so a busy loop does not allocate one per turn.
//!
//! # Back-pressure
//!
//! A peer that does not read makes its output grow. Two thresholds per connection:
//!
//! ```text
//!  buffered bytes  0 ─────── high_water/2 ────── high_water (1 MiB) ─────── max_buffered (64 MiB)
//!                   is_writable() = true           is_writable() = false      Overflow: dropped
//!                   on_drain() once it falls      (sends still succeed)     (or SendError::Full
//!                   back below high_water/2                                  with Reject)
//! ```
//!
//! A service that produces data should stop when [`Ctx::is_writable`](crate::net::Ctx::is_writable)
//! says no and resume in [`Service::on_drain`](crate::net::Service::on_drain):
//!
//! ```no_run
//! use loopio::net::{ConnId, Ctx, Data, Service};
//!
//! /// Streams numbered lines to every connection that asks, never faster than it reads.
//! #[derive(Default)]
//! struct Stream {
//!     next: u64,
//! }
//!
//! impl Stream {
//!     fn pump(&mut self, ctx: &mut Ctx, conn: ConnId) {
//!         while ctx.is_writable(conn) && self.next < 1_000_000 {
//!             self.next += 1;
//!             if ctx.send_text(conn, &format!("line {}", self.next)).is_err() {
//!                 return; // closed meanwhile
//!             }
//!         }
//!     }
//! }
//!
//! impl Service for Stream {
//!     fn on_message(&mut self, ctx: &mut Ctx, conn: ConnId, _data: Data<'_>) {
//!         self.pump(ctx, conn);
//!     }
//!     fn on_drain(&mut self, ctx: &mut Ctx, conn: ConnId) {
//!         self.pump(ctx, conn); // below high_water / 2 again
//!     }
//! }
//! # let _ = loopio::net::EventLoop::new(loopio::net::Config::default(), Stream::default());
//! ```
//!
//! Socket.IO's `volatile` emits use the same signal: they are dropped for a socket that is not
//! writable. Plain emits are queued, up to `max_buffered`.
//!
//! # Timers
//!
//! Every deadline (handshake, close, message and keep-alive timeouts, each Engine.IO
//! session's next ping or pong deadline, Socket.IO's connect and ack timeouts, your own
//! [`Ctx::set_timer`](crate::net::Ctx::set_timer)) is one entry in one binary heap. Moving a
//! deadline pushes a new entry; the old one is skipped when it comes due (lazy deletion, with
//! generation-checked ids so a reused slot never inherits a stale timer). The sans-I/O layers
//! do not own timers: after each input the glue asks them `poll_timeout()` and re-arms a loop
//! timer with the answer (one per Engine.IO session, one for the Socket.IO server); when it
//! fires, the glue calls `handle_timeout(now)`.
//!
//! # The `Handle`: the one door from other threads
//!
//! Everything above runs on the loop thread, so none of it is locked. Other threads talk to
//! the loop through a [`Handle`](crate::net::Handle) (or, for Socket.IO, an
//! [`IoHandle`](crate::socketio::IoHandle)): a command is pushed on a bounded queue
//! (`max_queued_commands`, 65 536; past it `HandleError::Full`) and a `mio::Waker` wakes the
//! poll. At the next turn the loop takes the whole queue at once and runs the commands in
//! order. A command for a connection that closed meanwhile is dropped, as a send racing the
//! close would be.
//!
//! ```text
//!  worker thread ── handle.send_text(conn, s) ──▶ Mutex<VecDeque<Command>> ──┐
//!  worker thread ── io_handle.emit("tick", &n) ─▶        (bounded)           │ Waker
//!                                                                             ▼
//!                                           loop thread: take all, run in order, settle
//! ```
//!
//! ```no_run
//! use loopio::socketio::SocketIo;
//! use std::time::Duration;
//!
//! let mut io = SocketIo::builder().build()?;
//! let handle = io.handle(); // Send + Clone
//! std::thread::spawn(move || {
//!     for n in 0u64.. {
//!         std::thread::sleep(Duration::from_secs(1));
//!         if handle.emit("tick", &n).is_err() {
//!             break; // the loop stopped (or its queue is full)
//!         }
//!     }
//! });
//! io.listen("127.0.0.1:3000")?;
//! io.run()?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Why it is built this way
//!
//! **Sans-I/O protocol crates.** `loopio-frame`, `loopio-handshake`, `loopio-engine` and
//! `loopio-socket` take bytes and `Instant`s and return bytes and events; they never touch a
//! socket, a clock or a random source (ids and masks come from a caller-supplied seed or
//! key). So each can be read on its own, as a protocol and nothing else; tested with the
//! exact bytes a real client sent (as in [`journey`](super::journey)) fed whole, byte by byte
//! and at every split point; stepped through minutes of heartbeats in virtual time without
//! sleeping; and fuzzed. The same state machines would run under another event loop.
//!
//! **One thread, no locks.** A loop thread that owns all state needs no `Mutex` around a
//! session, no `Arc` around a socket, and cannot deadlock; a handler sees a consistent world
//! (a broadcast reaches exactly the sockets in the room at that instant). The one lock is the
//! `Handle` queue's, taken once per wake-up. The cost: a handler that blocks stalls every
//! connection. Do slow work on your own threads and come back through the `Handle`.
//!
//! **Encode once.** A broadcast is serialized to JSON once
//! (`loopio_socket::Message::Text(Rc<str>)`) and that one string is framed into each
//! recipient's output buffer; the Engine.IO `4` prefix is written as a separate part of the
//! same frame ([`Ctx::send_text_parts`](crate::net::Ctx::send_text_parts)) so the JSON is
//! never copied to prepend it. A broadcast to N sockets costs one serialization and N memcpys.
//!
//! **Bounded everything.** Every buffer, queue and wait has a limit in a `Config`, checked
//! before memory is committed: a frame's length is checked against `max_frame_size` on its
//! header, before its payload is buffered; a POST's `Content-Length` before its body. Each
//! limit is a number you can reason about (memory per connection × `max_connections`), and
//! what happens past each is listed in [`limits`](super::limits).
