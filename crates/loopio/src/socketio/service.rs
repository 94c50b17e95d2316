//! [`SocketIoService`]: the loop's [`Service`], wrapping the Engine.IO service to serve the
//! browser client bundle before the Engine.IO path sees it (as socket.io's `serveClient`:
//! `<path>socket.io.js` lies under the Engine.IO path, which matches by prefix).

use loopio_net::{
    CloseReason, ConnId, Ctx, Data, HttpReply, Request, Response, Service, TimerId, Upgrade,
    UpgradeReply,
};
use loopio_socket::{Command, Server};

use super::glue::Glue;
use crate::engineio::EngineService;

/// Socket.IO on the event loop: Engine.IO sessions feeding one [`Server`]. Built by
/// [`SocketIo::builder`](super::SocketIo::builder); reach it from other threads through
/// [`IoHandle`](super::IoHandle).
pub struct SocketIoService {
    engine: EngineService<Glue>,
}

impl std::fmt::Debug for SocketIoService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SocketIoService")
            .field("sessions", &self.engine.len())
            .field("stats", &self.engine.handler().io.stats())
            .finish()
    }
}

impl SocketIoService {
    pub(crate) fn new(engine: EngineService<Glue>) -> SocketIoService {
        SocketIoService { engine }
    }

    pub(crate) fn glue(&mut self) -> &mut Glue {
        self.engine.handler_mut()
    }

    /// The Socket.IO server, for registering namespaces and handlers.
    pub fn server(&mut self) -> &mut Server {
        &mut self.engine.handler_mut().io
    }

    /// Runs a command built on another thread, in this loop turn, after the commands queued
    /// before it.
    pub fn execute(&mut self, ctx: &mut Ctx, command: Command) {
        self.engine
            .with_handler(ctx, |glue, sessions| glue.execute(sessions, command));
    }

    /// The browser bundle at `<path>socket.io.js` and `<path>socket.io.min.js`, as the
    /// official server's `serveClient` does.
    fn client_script(&self, request: &Request) -> Option<Response> {
        let (path, script) = self.engine.handler().client_script.as_ref()?;
        let file = request.path.strip_prefix(path.as_str())?;
        if request.method != "GET" || !matches!(file, "socket.io.js" | "socket.io.min.js") {
            return None;
        }
        let response = Response::new(200)
            .with_header("Content-Type", "application/javascript; charset=utf-8")
            .with_header("Cache-Control", "public, max-age=0")
            .with_body(script.clone());
        Some(response)
    }
}

impl Service for SocketIoService {
    fn on_upgrade(&mut self, ctx: &mut Ctx, conn: ConnId, upgrade: &Upgrade<'_>) -> UpgradeReply {
        self.engine.on_upgrade(ctx, conn, upgrade)
    }

    fn on_open(&mut self, ctx: &mut Ctx, conn: ConnId) {
        self.engine.on_open(ctx, conn);
    }

    fn on_message(&mut self, ctx: &mut Ctx, conn: ConnId, data: Data<'_>) {
        self.engine.on_message(ctx, conn, data);
    }

    fn on_http(
        &mut self,
        ctx: &mut Ctx,
        conn: ConnId,
        request: &Request,
        body: &[u8],
    ) -> HttpReply {
        if let Some(response) = self.client_script(request) {
            return HttpReply::Respond(response);
        }
        self.engine.on_http(ctx, conn, request, body)
    }

    fn on_body_refused(
        &mut self,
        ctx: &mut Ctx,
        conn: ConnId,
        request: &Request,
        status: u16,
    ) -> bool {
        self.engine.on_body_refused(ctx, conn, request, status)
    }

    fn on_close(&mut self, ctx: &mut Ctx, conn: ConnId, reason: &CloseReason) {
        self.engine.on_close(ctx, conn, reason);
    }

    fn on_drain(&mut self, ctx: &mut Ctx, conn: ConnId) {
        self.engine.on_drain(ctx, conn);
    }

    fn on_timer(&mut self, ctx: &mut Ctx, timer: TimerId, data: u64) {
        self.engine.on_timer(ctx, timer, data);
    }

    fn on_shutdown(&mut self, ctx: &mut Ctx) {
        self.engine.on_shutdown(ctx);
    }

    fn is_shutdown_pending(&self) -> bool {
        self.engine.is_shutdown_pending()
    }
}
