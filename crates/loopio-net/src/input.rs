//! Incoming bytes, by state: request heads and bodies, the client's `101`, WebSocket frames.
//!
//! Bytes arrive in the loop's one read buffer. Each step consumes a prefix and says where the
//! rest starts, so bytes after a head in the same read (a body, pipelined frames) are never lost.

use loopio_frame::{Decoder, Message, Role};
use loopio_handshake::{BodyDecoder, Parsed, Request};

use crate::conn::{BodyInput, Input, State};
use crate::ctx::Ctx;
use crate::service::{Data, HttpReply, Service, Upgrade, UpgradeReply};
use crate::trace;
use crate::{CloseReason, ConnId};

/// What a step did with its input.
enum Step {
    /// Everything was consumed (or the connection no longer reads).
    Done,
    /// The state changed; bytes from this offset on belong to the next state.
    Continue(usize),
}

/// Feeds `data` to connection `id`, whose parser the caller took out into `input`.
pub(crate) fn on_bytes<S: Service>(
    svc: &mut S,
    ctx: &mut Ctx,
    id: ConnId,
    input: &mut Input,
    data: &mut [u8],
) {
    let mut data = data;
    while !data.is_empty() {
        let Some(state) = ctx.conn(id).map(|c| c.state) else {
            return;
        };
        let step = match state {
            State::ReadingHead => read_head(svc, ctx, id, input, data),
            State::ReadingBody => read_body(svc, ctx, id, input, data),
            State::AwaitingResponse { .. } => hold_pipelined(ctx, id, input, data),
            State::AwaitingAccept => read_accept(svc, ctx, id, input, data),
            State::Open | State::AwaitingClose => read_frames(svc, ctx, id, input, data),
            State::Connecting | State::Lingering => Step::Done,
        };
        match step {
            Step::Done => return,
            Step::Continue(at) => data = &mut data[at..],
        }
    }
}

/// Outcome of accumulating a head.
enum Head<T, E> {
    /// Complete; the head took this many bytes of the new data.
    Complete(T, usize),
    Partial,
    Invalid(E),
    TooLarge,
}

/// Parses a head from `buffered` + `data`, copying into `buffered` only when a head spans reads.
fn accumulate<T, E>(
    buffered: &mut Vec<u8>,
    data: &[u8],
    max: usize,
    parse: impl Fn(&[u8]) -> Result<Parsed<T>, E>,
) -> Head<T, E> {
    let old = buffered.len();
    let parsed = if old == 0 {
        parse(data)
    } else {
        buffered.extend_from_slice(&data[..data.len().min((max + 1).saturating_sub(old))]);
        parse(buffered)
    };
    match parsed {
        Err(err) => Head::Invalid(err),
        // The head was incomplete before this data, so it ends inside it: head_len > old.
        Ok(Parsed::Complete { value, head_len }) => {
            buffered.clear();
            Head::Complete(value, head_len - old)
        }
        Ok(Parsed::Partial) if old + data.len() > max => Head::TooLarge,
        Ok(Parsed::Partial) => {
            if old == 0 {
                buffered.extend_from_slice(data);
            }
            Head::Partial
        }
    }
}

fn read_head<S: Service>(
    svc: &mut S,
    ctx: &mut Ctx,
    id: ConnId,
    input: &mut Input,
    data: &mut [u8],
) -> Step {
    let Input::Head(buffered) = input else {
        return Step::Done;
    };
    let limits = ctx.config.head_limits;
    let head = accumulate(buffered, data, limits.max_head_bytes, |bytes| {
        loopio_handshake::parse_request(bytes, &limits)
    });
    match head {
        Head::Complete(request, used) => {
            if ctx.trace {
                trace::head(id, "<-", &data[..used]);
            }
            on_request(svc, ctx, id, input, request);
            Step::Continue(used)
        }
        Head::Partial => Step::Done,
        Head::Invalid(err) => refuse(ctx, id, err.status()),
        Head::TooLarge => refuse(ctx, id, 431),
    }
}

/// Answers `status` and closes.
fn refuse(ctx: &mut Ctx, id: ConnId, status: u16) -> Step {
    ctx.write_raw(id.index, |out| {
        loopio_handshake::write_response(out, status, &[], b"", true)
    });
    ctx.linger(id.index);
    Step::Done
}

/// A complete request head: upgrade, or a plain request (with or without a body).
fn on_request<S: Service>(
    svc: &mut S,
    ctx: &mut Ctx,
    id: ConnId,
    input: &mut Input,
    request: Request,
) {
    if loopio_handshake::is_upgrade_request(&request) {
        return on_upgrade(svc, ctx, id, input, &request);
    }
    let framing = match request.body_framing() {
        Ok(framing) => framing,
        Err(err) => {
            refuse(ctx, id, err.status());
            return;
        }
    };
    match BodyDecoder::new(framing, ctx.config.max_body) {
        // No body, or `Content-Length: 0`: nothing more will arrive, so answer now rather than
        // waiting for bytes that never come.
        Ok(decoder) if decoder.is_done() => dispatch_http(svc, ctx, id, input, &request, &[]),
        Ok(decoder) => {
            *input = Input::Body(Box::new(BodyInput {
                request,
                decoder,
                body: Vec::new(),
            }));
            ctx.conn_at(id.index).state = State::ReadingBody;
        }
        Err(err) => refuse_body(svc, ctx, id, &request, err.status()),
    }
}

/// A request whose body will not be read: the service may answer it, else a plain `status`;
/// either way the connection closes (the unread body cannot be skipped).
fn refuse_body<S: Service>(svc: &mut S, ctx: &mut Ctx, id: ConnId, request: &Request, status: u16) {
    {
        let conn = ctx.conn_at(id.index);
        conn.flags.seen = true;
        conn.state = State::AwaitingResponse { keep_alive: false };
    }
    ctx.set_deadline(id, None);
    // Whatever the service says, an unanswered request gets the plain status.
    let _answered = svc.on_body_refused(ctx, id, request, status);
    if let Some(State::AwaitingResponse { .. }) = ctx.conn(id).map(|c| c.state) {
        refuse(ctx, id, status);
    }
}

fn on_upgrade<S: Service>(
    svc: &mut S,
    ctx: &mut Ctx,
    id: ConnId,
    input: &mut Input,
    request: &Request,
) {
    let offer = match loopio_handshake::check_upgrade(request) {
        Ok(offer) => offer,
        Err(err) => {
            ctx.write_raw(id.index, |out| {
                loopio_handshake::write_upgrade_error(out, &err)
            });
            ctx.linger(id.index);
            return;
        }
    };
    let reply = svc.on_upgrade(
        ctx,
        id,
        &Upgrade {
            request,
            offer: &offer,
        },
    );
    if ctx.conn(id).map(|c| c.state) != Some(State::ReadingHead) {
        return; // the service closed it meanwhile
    }
    match reply {
        UpgradeReply::Accept { protocol, headers } => {
            let headers: Vec<(&str, &str)> = headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            ctx.write_raw(id.index, |out| {
                loopio_handshake::write_switching_protocols(
                    out,
                    &offer.key,
                    protocol.as_deref(),
                    &headers,
                );
            });
            *input = Input::Frames(Decoder::new(Role::Server, ctx.config.frame_limits));
            open(svc, ctx, id);
        }
        UpgradeReply::Reject(status) => {
            refuse(ctx, id, status);
        }
    }
}

/// The WebSocket is open (either role).
fn open<S: Service>(svc: &mut S, ctx: &mut Ctx, id: ConnId) {
    let deadline = ctx.config.keepalive.map(|k| ctx.now + k.interval);
    let conn = ctx.conn_at(id.index);
    conn.state = State::Open;
    conn.flags.seen = true;
    ctx.set_deadline(id, deadline);
    svc.on_open(ctx, id);
}

fn read_body<S: Service>(
    svc: &mut S,
    ctx: &mut Ctx,
    id: ConnId,
    input: &mut Input,
    data: &mut [u8],
) -> Step {
    let Input::Body(body) = input else {
        return Step::Done;
    };
    match body.decoder.decode(data, &mut body.body) {
        Ok((_, false)) => Step::Done,
        Ok((used, true)) => {
            let Input::Body(done) = std::mem::replace(input, Input::Head(Vec::new())) else {
                unreachable!("matched Input::Body above")
            };
            let BodyInput { request, body, .. } = *done;
            dispatch_http(svc, ctx, id, input, &request, &body);
            Step::Continue(used)
        }
        Err(err) => {
            let Input::Body(refused) = std::mem::replace(input, Input::Head(Vec::new())) else {
                unreachable!("matched Input::Body above")
            };
            refuse_body(svc, ctx, id, &refused.request, err.status());
            Step::Done
        }
    }
}

fn dispatch_http<S: Service>(
    svc: &mut S,
    ctx: &mut Ctx,
    id: ConnId,
    input: &mut Input,
    request: &Request,
    body: &[u8],
) {
    let keep_alive = request.keep_alive();
    {
        let conn = ctx.conn_at(id.index);
        conn.flags.seen = true;
        conn.state = State::AwaitingResponse { keep_alive };
    }
    // Held requests have no loop deadline: the service owns the long-poll timing.
    ctx.set_deadline(id, None);
    *input = Input::Head(Vec::new());
    let reply = svc.on_http(ctx, id, request, body);
    let still_held = matches!(
        ctx.conn(id).map(|c| c.state),
        Some(State::AwaitingResponse { .. })
    );
    if let (HttpReply::Respond(response), true) = (reply, still_held) {
        ctx.write_response(id, &response, keep_alive);
    }
}

/// While a request is held, a pipelined next request waits in the head buffer (bounded).
fn hold_pipelined(ctx: &mut Ctx, id: ConnId, input: &mut Input, data: &mut [u8]) -> Step {
    let Input::Head(buffered) = input else {
        return Step::Done;
    };
    if buffered.len() + data.len() > ctx.config.head_limits.max_head_bytes {
        ctx.abort(id, CloseReason::Dropped);
        return Step::Done;
    }
    buffered.extend_from_slice(data);
    Step::Done
}

fn read_accept<S: Service>(
    svc: &mut S,
    ctx: &mut Ctx,
    id: ConnId,
    input: &mut Input,
    data: &mut [u8],
) -> Step {
    let Input::Accept(accept) = input else {
        return Step::Done;
    };
    let limits = ctx.config.head_limits;
    let key = std::mem::take(&mut accept.key);
    let head = accumulate(&mut accept.head, data, limits.max_head_bytes, |bytes| {
        loopio_handshake::parse_server_response(bytes, &key, &limits)
    });
    accept.key = key;
    match head {
        Head::Complete(_accept, used) => {
            if ctx.trace {
                trace::head(id, "<-", &data[..used]);
            }
            *input = Input::Frames(Decoder::new(Role::Client, ctx.config.frame_limits));
            open(svc, ctx, id);
            Step::Continue(used)
        }
        Head::Partial => Step::Done,
        Head::Invalid(_) | Head::TooLarge => {
            ctx.abort(id, CloseReason::Handshake);
            Step::Done
        }
    }
}

/// Decodes frames in place; delivers messages; answers pings and closes.
fn read_frames<S: Service>(
    svc: &mut S,
    ctx: &mut Ctx,
    id: ConnId,
    input: &mut Input,
    data: &mut [u8],
) -> Step {
    let Input::Frames(decoder) = input else {
        return Step::Done;
    };
    ctx.trace_frames_in(id, data);
    let mut pos = 0;
    let mut progress = false;
    while pos < data.len() {
        let Some(state) = ctx.conn(id).map(|c| c.state) else {
            return Step::Done;
        };
        if !matches!(state, State::Open | State::AwaitingClose) {
            return Step::Done;
        }
        let decoded = match decoder.decode(&mut data[pos..]) {
            Ok(decoded) => decoded,
            Err(err) => {
                let code = err.close_code();
                ctx.fail(id, code, CloseReason::Protocol(code));
                return Step::Done;
            }
        };
        pos += decoded.consumed;
        if let Some(message) = decoded.message {
            progress = true;
            if !deliver(svc, ctx, id, state, message) {
                return Step::Done;
            }
        }
    }
    arm_message_deadline(ctx, id, decoder.is_idle(), progress);
    Step::Done
}

/// `filled` bytes were read straight into the decoder's [`Decoder::payload_room`].
pub(crate) fn on_payload<S: Service>(
    svc: &mut S,
    ctx: &mut Ctx,
    id: ConnId,
    input: &mut Input,
    filled: usize,
) {
    let Input::Frames(decoder) = input else {
        return;
    };
    let Some(state) = ctx.conn(id).map(|c| c.state) else {
        return;
    };
    if !matches!(state, State::Open | State::AwaitingClose) {
        return;
    }
    let message = match decoder.payload_filled(filled) {
        Ok(message) => message,
        Err(err) => {
            let code = err.close_code();
            ctx.fail(id, code, CloseReason::Protocol(code));
            return;
        }
    };
    let progress = message.is_some();
    if let Some(message) = message {
        if !deliver(svc, ctx, id, state, message) {
            return;
        }
    }
    arm_message_deadline(ctx, id, decoder.is_idle(), progress);
}

/// Hands a decoded message to the service or answers it; false once the connection stops
/// reading (the peer's close).
fn deliver<S: Service>(
    svc: &mut S,
    ctx: &mut Ctx,
    id: ConnId,
    state: State,
    message: Message,
) -> bool {
    // §5.5.1: after sending a close frame we send no more data; messages that arrive
    // meanwhile are dropped, only the peer's close matters.
    match message {
        Message::Text(text) if state == State::Open => svc.on_message(ctx, id, Data::Text(text)),
        Message::Binary(bytes) if state == State::Open => {
            svc.on_message(ctx, id, Data::Binary(bytes))
        }
        // §5.5.2: a pong "MUST have identical Application data" to the ping's.
        Message::Ping(payload) if state == State::Open => {
            let _ = ctx.write_frame(id, loopio_frame::OpCode::Pong, payload);
        }
        Message::Close(frame) => {
            ctx.on_peer_close(id, frame);
            return false;
        }
        _ => {}
    }
    true
}

/// Starts the [`Config::message_timeout`](crate::Config::message_timeout) clock when a read
/// ends inside a frame or message, restarts it when a message completed meanwhile, and stops
/// it when the decoder sits between messages.
fn arm_message_deadline(ctx: &mut Ctx, id: ConnId, idle: bool, progress: bool) {
    let Some(timeout) = ctx.config.message_timeout else {
        return;
    };
    let now = ctx.now;
    let Some(conn) = ctx.conn_mut(id) else {
        return;
    };
    if idle || conn.state != State::Open {
        conn.message_start = None;
        return;
    }
    if progress || conn.message_start.is_none() {
        conn.message_start = Some(now);
    }
    if !conn.flags.message_timer {
        ctx.set_message_deadline(id, now + timeout);
    }
}
