//! [`IoHandle`]: emits and room changes from other threads, as [`Command`]s through the
//! loop's queue and `Waker`.

use std::fmt;

use serde::Serialize;

use loopio_socket::{Command, EmitError, Selection};

use super::SocketIoService;

/// A cloneable, `Send` handle to a running [`SocketIo`](super::SocketIo): broadcast from any
/// thread. The packet is encoded on the calling thread; the loop only routes the bytes.
///
/// ```no_run
/// use loopio::socketio::SocketIo;
///
/// let mut io = SocketIo::builder().build()?;
/// let handle = io.handle();
/// std::thread::spawn(move || loop {
///     std::thread::sleep(std::time::Duration::from_secs(1));
///     let _ = handle.of("/").to("ticker").emit("tick", &"one more second");
/// });
/// io.listen("127.0.0.1:3000")?;
/// io.run()?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct IoHandle {
    inner: loopio_net::Handle<SocketIoService>,
}

impl IoHandle {
    pub(crate) fn new(inner: loopio_net::Handle<SocketIoService>) -> IoHandle {
        IoHandle { inner }
    }

    /// Emits to every socket of the main namespace `/`.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, data: &T) -> Result<(), HandleError> {
        self.of("/").emit(event, data)
    }

    /// The sockets of `/` in `room`.
    pub fn to(&self, room: &str) -> Remote<'_> {
        self.of("/").to(room)
    }

    /// Every socket of namespace `nsp`.
    pub fn of(&self, nsp: &str) -> Remote<'_> {
        Remote {
            handle: self,
            selection: Selection::new(nsp.to_owned()),
        }
    }

    /// Runs a command on the loop thread.
    pub fn execute(&self, command: Command) -> Result<(), HandleError> {
        let job = move |service: &mut SocketIoService, ctx: &mut loopio_net::Ctx| {
            service.execute(ctx, command);
        };
        self.inner.run(job).map_err(HandleError::Loop)
    }

    /// Stops the server gracefully (see [`loopio_net::Ctx::shutdown`]).
    pub fn shutdown(&self) -> Result<(), HandleError> {
        self.inner.shutdown().map_err(HandleError::Loop)
    }
}

/// A selection of sockets reached through an [`IoHandle`]: `handle.of("/chat").to("lobby")`.
#[derive(Debug)]
pub struct Remote<'h> {
    handle: &'h IoHandle,
    selection: Selection<'static>,
}

impl Remote<'_> {
    /// Narrows to the sockets in `room` (several calls: in any of them).
    pub fn to(mut self, room: &str) -> Self {
        self.selection = self.selection.to(room.to_owned());
        self
    }

    /// Leaves out the sockets in `room`.
    pub fn except(mut self, room: &str) -> Self {
        self.selection = self.selection.except(room.to_owned());
        self
    }

    /// Drops the message for clients whose transport is busy.
    pub fn volatile(mut self) -> Self {
        self.selection = self.selection.volatile();
        self
    }

    /// Encodes `event` with `data` here and sends the bytes to every selected socket.
    pub fn emit<T: Serialize + ?Sized>(self, event: &str, data: &T) -> Result<(), HandleError> {
        let command = self
            .selection
            .emit(event, data)
            .map_err(HandleError::Emit)?;
        self.handle.execute(command)
    }

    /// Makes the selected sockets join `room`.
    pub fn sockets_join(self, room: &str) -> Result<(), HandleError> {
        let room = room.to_owned();
        let selection = self.selection;
        self.handle.execute(Command::Join { selection, room })
    }

    /// Makes the selected sockets leave `room`.
    pub fn sockets_leave(self, room: &str) -> Result<(), HandleError> {
        let room = room.to_owned();
        let selection = self.selection;
        self.handle.execute(Command::Leave { selection, room })
    }

    /// Disconnects the selected sockets (with `close`, their whole Engine.IO sessions).
    pub fn disconnect_sockets(self, close: bool) -> Result<(), HandleError> {
        let selection = self.selection;
        self.handle
            .execute(Command::Disconnect { selection, close })
    }
}

/// Why a command from another thread was not queued.
#[derive(Debug)]
#[non_exhaustive]
pub enum HandleError {
    /// The arguments did not encode (or the event name is reserved).
    Emit(EmitError),
    /// The loop has stopped or its queue is full.
    Loop(loopio_net::HandleError),
}

impl fmt::Display for HandleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HandleError::Emit(e) => write!(f, "emit refused: {e}"),
            HandleError::Loop(e) => write!(f, "event loop unreachable: {e}"),
        }
    }
}

impl std::error::Error for HandleError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            HandleError::Emit(e) => Some(e),
            HandleError::Loop(e) => Some(e),
        }
    }
}
