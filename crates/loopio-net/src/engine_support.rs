//! What a sans-I/O protocol that writes its own HTTP responses (Engine.IO) needs from [`Ctx`]:
//! pre-built response bytes, a close frame without a status, and a `u64` name per connection.
//!
//! `loopio-engine` produces complete HTTP/1.1 responses (status line, CORS headers, body), so
//! the glue in the `loopio` facade writes them as they are instead of rebuilding a
//! [`Response`](crate::Response).

use loopio_frame::{CloseCode, OpCode};

use crate::conn::State;
use crate::{ConnId, Ctx, SendError};

impl ConnId {
    /// The id as one number (generation in the high half), e.g. to name a transport in a
    /// protocol state machine; [`ConnId::from_bits`] turns it back.
    ///
    /// ```
    /// fn round_trip(conn: loopio_net::ConnId) {
    ///     assert_eq!(loopio_net::ConnId::from_bits(conn.to_bits()), conn);
    /// }
    /// # let _ = round_trip;
    /// ```
    pub fn to_bits(self) -> u64 {
        u64::from(self.generation) << 32 | u64::from(self.index)
    }

    /// The id [`ConnId::to_bits`] returned. A made-up number names no connection, or one whose
    /// generation no longer matches, so it is ignored like any stale id.
    pub fn from_bits(bits: u64) -> ConnId {
        ConnId {
            index: bits as u32,
            generation: (bits >> 32) as u32,
        }
    }
}

impl Ctx {
    /// Answers the request `conn` holds (see [`HttpReply::Hold`](crate::HttpReply::Hold)) with
    /// `response`, a complete HTTP/1.1 response (head and body) written as is. Then, like
    /// [`Ctx::respond`], the connection reads its next request, or closes when `close` is set
    /// or the request did not ask for keep-alive.
    ///
    /// The response must frame its body (`Content-Length`) and, when `close` is set, say
    /// `Connection: close`; the loop does not look inside it.
    ///
    /// ```no_run
    /// # use loopio_net::{ConnId, Ctx};
    /// fn answer(ctx: &mut Ctx, conn: ConnId) {
    ///     let raw = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    ///     let _ = ctx.respond_raw(conn, raw, false);
    /// }
    /// # let _ = answer;
    /// ```
    pub fn respond_raw(
        &mut self,
        conn: ConnId,
        response: &[u8],
        close: bool,
    ) -> Result<(), SendError> {
        let State::AwaitingResponse { keep_alive } = self.conn(conn).ok_or(SendError::Gone)?.state
        else {
            return Err(SendError::WrongState);
        };
        self.write_raw(conn.index, |out| out.extend_from_slice(response));
        if close || !keep_alive {
            self.linger(conn.index);
            return Ok(());
        }
        let deadline = self.now + self.config.handshake_timeout;
        // The parser (a head buffer, maybe holding a pipelined request) stays as it is.
        self.conn_at(conn.index).state = State::ReadingHead;
        self.set_deadline(conn, Some(deadline));
        // A pipelined request may already wait in the head buffer.
        self.ready.push(conn);
        Ok(())
    }

    /// Refuses a WebSocket upgrade from inside
    /// [`Service::on_upgrade`](crate::Service::on_upgrade) with `response`, a complete HTTP/1.1
    /// response written as is, then closes the connection. Whatever `on_upgrade` returns
    /// afterwards is ignored.
    ///
    /// ```no_run
    /// # use loopio_net::{ConnId, Ctx};
    /// fn refuse(ctx: &mut Ctx, conn: ConnId) {
    ///     let raw = b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
    ///     let _ = ctx.refuse_upgrade_raw(conn, raw);
    /// }
    /// # let _ = refuse;
    /// ```
    pub fn refuse_upgrade_raw(&mut self, conn: ConnId, response: &[u8]) -> Result<(), SendError> {
        if self.conn(conn).ok_or(SendError::Gone)?.state != State::ReadingHead {
            return Err(SendError::WrongState);
        }
        self.write_raw(conn.index, |out| out.extend_from_slice(response));
        self.linger(conn.index);
        Ok(())
    }

    /// Like [`Ctx::close`], but the close frame carries no status code (an empty payload), as
    /// `ws`'s `close()` without arguments sends it; the peer sees code 1005.
    ///
    /// ```no_run
    /// # use loopio_net::{ConnId, Ctx};
    /// fn end(ctx: &mut Ctx, conn: ConnId) {
    ///     let _ = ctx.close_without_status(conn);
    /// }
    /// # let _ = end;
    /// ```
    pub fn close_without_status(&mut self, conn: ConnId) -> Result<(), SendError> {
        if self.conn(conn).ok_or(SendError::Gone)?.state != State::Open {
            return self.close(conn, CloseCode::NORMAL, "");
        }
        self.write_frame(conn, OpCode::Close, &[])?;
        let deadline = self.now + self.config.close_timeout;
        let c = self.conn_at(conn.index);
        c.state = State::AwaitingClose;
        c.close_code = CloseCode::NO_STATUS.0;
        self.set_deadline(conn, Some(deadline));
        Ok(())
    }
}
