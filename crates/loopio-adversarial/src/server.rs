//! An [`EventLoop`] on its own thread, reachable through its [`Handle`].

use std::net::SocketAddr;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use loopio_net::{Config, Ctx, EventLoop, Handle, Service};

use crate::WAIT;

/// A running loop. Dropping it without [`Server::stop`] leaves the thread running until the
/// process ends (tests always stop it).
#[derive(Debug)]
pub struct Server<S> {
    /// The bound listener address.
    pub addr: SocketAddr,
    /// The loop's handle.
    pub handle: Handle<S>,
    thread: Option<JoinHandle<()>>,
    done: mpsc::Receiver<std::io::Result<()>>,
}

/// Runs `f` on the loop thread behind `handle` and returns its result (within [`WAIT`]).
pub fn query<S: 'static, R: Send + 'static>(
    handle: &Handle<S>,
    f: impl FnOnce(&mut S, &mut Ctx) -> R + Send + 'static,
) -> R {
    let (tx, rx) = mpsc::channel();
    handle
        .run(move |service, ctx| {
            let _ = tx.send(f(service, ctx));
        })
        .expect("loop accepts commands");
    rx.recv_timeout(WAIT).expect("loop answered in time")
}

/// Runs `cycle(i)` for every `i` in `range`, spread over `threads` client threads (thread `t`
/// takes `t`, `t + threads`, ...), and waits for all of them.
pub fn spread(
    threads: usize,
    range: std::ops::Range<usize>,
    cycle: fn(SocketAddr, usize),
    addr: SocketAddr,
) {
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let range = range.clone();
            std::thread::spawn(move || {
                for i in range.skip(t).step_by(threads) {
                    cycle(addr, i);
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().expect("client thread");
    }
}

/// The listen backlog the scenarios use unless a test sets its own (mio's default is 128).
pub const BACKLOG: u32 = 1024;

impl<S: Service + 'static> Server<S> {
    /// Builds the service on a new thread (so it need not be `Send`), listens on
    /// `127.0.0.1:0` and runs the loop.
    pub fn start(config: Config, make: impl FnOnce() -> S + Send + 'static) -> Server<S> {
        let mut config = config;
        config.listen_backlog.get_or_insert(BACKLOG);
        let (ready_tx, ready) = mpsc::channel();
        let (done_tx, done) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("loopio".into())
            .spawn(move || {
                let mut event_loop = EventLoop::new(config, make()).expect("mio poll available");
                let addr = event_loop
                    .listen("127.0.0.1:0".parse().expect("literal address"))
                    .expect("bind 127.0.0.1:0");
                ready_tx
                    .send((addr, event_loop.handle()))
                    .expect("the test waits for the address");
                let result = event_loop.run();
                let _ = done_tx.send(result);
            })
            .expect("spawn the loop thread");
        let (addr, handle) = ready.recv_timeout(WAIT).expect("loop started in time");
        Server {
            addr,
            handle,
            thread: Some(thread),
            done,
        }
    }

    /// Runs `f` on the loop thread and returns its result (within [`WAIT`]).
    pub fn query<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut S, &mut Ctx) -> R + Send + 'static,
    ) -> R {
        query(&self.handle, f)
    }

    /// Starts a graceful shutdown and waits for `run` to return; gives the time it took.
    pub fn stop(mut self) -> Duration {
        let t0 = Instant::now();
        self.handle.shutdown().expect("loop still running");
        self.join(WAIT);
        t0.elapsed()
    }

    /// Waits at most `timeout` for the loop thread to end (after a shutdown).
    pub fn join(&mut self, timeout: Duration) {
        let result = self
            .done
            .recv_timeout(timeout)
            .expect("loop thread stopped in time");
        result.expect("EventLoop::run returned Ok");
        let thread = self.thread.take().expect("joined once");
        thread.join().expect("loop thread did not panic");
    }

    /// Whether the loop thread has ended, waiting at most `timeout`.
    pub fn ended_within(&mut self, timeout: Duration) -> bool {
        match self.done.recv_timeout(timeout) {
            Ok(result) => {
                result.expect("EventLoop::run returned Ok");
                self.thread
                    .take()
                    .expect("joined once")
                    .join()
                    .expect("loop thread did not panic");
                true
            }
            Err(_) => false,
        }
    }
}
