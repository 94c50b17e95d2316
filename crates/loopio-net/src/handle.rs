//! [`Handle`]: talk to the loop from other threads through a bounded queue and a `Waker`.

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use loopio_frame::CloseCode;
use mio::Waker;

use crate::{ConnId, Ctx, HandleError};

/// A closure run on the loop thread with the service and the context.
pub(crate) type Job<S> = Box<dyn FnOnce(&mut S, &mut Ctx) + Send>;

/// A request from another thread.
pub(crate) enum Command<S> {
    Text(ConnId, String),
    Binary(ConnId, Vec<u8>),
    Close(ConnId, CloseCode, String),
    Run(Job<S>),
    Shutdown,
}

/// State shared by the loop and its handles.
pub(crate) struct Shared<S> {
    pub(crate) queue: Mutex<VecDeque<Command<S>>>,
    pub(crate) waker: Waker,
    pub(crate) stopped: AtomicBool,
    pub(crate) capacity: usize,
}

/// A cloneable, thread-safe handle to an [`EventLoop`](crate::EventLoop): send to a connection,
/// run a closure on the loop, or stop it. Commands run in order at the next loop turn.
///
/// ```no_run
/// # use loopio_net::{ConnId, Ctx, Data, EventLoop, Service};
/// # struct Echo;
/// # impl Service for Echo { fn on_message(&mut self, _: &mut Ctx, _: ConnId, _: Data<'_>) {} }
/// let mut event_loop = EventLoop::new(loopio_net::Config::default(), Echo)?;
/// let handle = event_loop.handle();
/// let stopper = std::thread::spawn(move || {
///     std::thread::sleep(std::time::Duration::from_secs(60));
///     let _ = handle.shutdown();
/// });
/// event_loop.run()?;
/// stopper.join().expect("stopper thread ends");
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Handle<S> {
    shared: Arc<Shared<S>>,
}

impl<S> Clone for Handle<S> {
    fn clone(&self) -> Self {
        Handle {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<S> fmt::Debug for Handle<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("stopped", &self.shared.stopped.load(Ordering::Relaxed))
            .finish()
    }
}

impl<S> Handle<S> {
    pub(crate) fn new(shared: Arc<Shared<S>>) -> Handle<S> {
        Handle { shared }
    }

    /// Queues a text message for `conn`.
    pub fn send_text(&self, conn: ConnId, text: String) -> Result<(), HandleError> {
        self.push(Command::Text(conn, text))
    }

    /// Queues a binary message for `conn`.
    pub fn send_binary(&self, conn: ConnId, bytes: Vec<u8>) -> Result<(), HandleError> {
        self.push(Command::Binary(conn, bytes))
    }

    /// Starts the close handshake on `conn`.
    pub fn close(&self, conn: ConnId, code: CloseCode, reason: String) -> Result<(), HandleError> {
        self.push(Command::Close(conn, code, reason))
    }

    /// Runs `job` on the loop thread with the service and the context.
    pub fn run(
        &self,
        job: impl FnOnce(&mut S, &mut Ctx) + Send + 'static,
    ) -> Result<(), HandleError> {
        self.push(Command::Run(Box::new(job)))
    }

    /// Starts a graceful shutdown (see [`Ctx::shutdown`]).
    pub fn shutdown(&self) -> Result<(), HandleError> {
        self.push(Command::Shutdown)
    }

    fn push(&self, command: Command<S>) -> Result<(), HandleError> {
        if self.shared.stopped.load(Ordering::Acquire) {
            return Err(HandleError::Stopped);
        }
        let was_empty = {
            // A poisoned lock means a closure panicked on the loop thread; the queue itself is
            // still consistent (push/pop only), so keep using it.
            let mut queue = self.shared.queue.lock().unwrap_or_else(|e| e.into_inner());
            if queue.len() >= self.shared.capacity {
                return Err(HandleError::Full);
            }
            queue.push_back(command);
            queue.len() == 1
        };
        // One wake per batch: the loop drains the whole queue when woken.
        if was_empty {
            self.shared.waker.wake().map_err(|_| HandleError::Stopped)?;
        }
        Ok(())
    }
}
