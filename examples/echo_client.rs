//! The Autobahn client runner: asks a fuzzing server for its case count, echoes every case, then
//! asks it to write the reports. All on one loop, one connection at a time.
//!
//! ```text
//! cargo run --release --example echo_client [HOST:PORT] [AGENT]   # default 127.0.0.1:9002 loopio
//! ```

use loopio::net::{CloseReason, Config, ConnId, Ctx, Data, EventLoop, Service};

/// Which request the current connection is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// `/getCaseCount`: one text message with the number.
    CaseCount,
    /// `/runCase?case=N`: echo everything.
    Case(u32),
    /// `/updateReports`: then stop.
    Reports,
}

struct Runner {
    base: String,
    agent: String,
    step: Step,
    cases: u32,
    failed_connects: u32,
}

impl Runner {
    fn url(&self) -> String {
        match self.step {
            Step::CaseCount => format!("{}/getCaseCount", self.base),
            Step::Case(n) => format!("{}/runCase?case={n}&agent={}", self.base, self.agent),
            Step::Reports => format!("{}/updateReports?agent={}", self.base, self.agent),
        }
    }

    fn start(&mut self, ctx: &mut Ctx) {
        if let Err(err) = ctx.connect(&self.url()) {
            eprintln!("cannot connect to {}: {err}", self.url());
            ctx.shutdown();
        }
    }
}

impl Service for Runner {
    fn on_message(&mut self, ctx: &mut Ctx, conn: ConnId, data: Data<'_>) {
        match (self.step, data) {
            (Step::CaseCount, Data::Text(text)) => self.cases = text.trim().parse().unwrap_or(0),
            (Step::Case(_), Data::Text(text)) => {
                let _ = ctx.send_text(conn, text);
            }
            (Step::Case(_), Data::Binary(bytes)) => {
                let _ = ctx.send_binary(conn, bytes);
            }
            _ => {}
        }
    }

    fn on_close(&mut self, ctx: &mut Ctx, _conn: ConnId, reason: &CloseReason) {
        if matches!(reason, CloseReason::Handshake | CloseReason::Io(_))
            && self.step == Step::CaseCount
        {
            self.failed_connects += 1;
            eprintln!("{}: {reason}", self.url());
            return ctx.shutdown();
        }
        self.step = match self.step {
            Step::CaseCount if self.cases == 0 => Step::Reports,
            Step::CaseCount => Step::Case(1),
            Step::Case(n) if n < self.cases => Step::Case(n + 1),
            Step::Case(_) => Step::Reports,
            Step::Reports => return ctx.shutdown(),
        };
        if let Step::Case(n) = self.step {
            eprintln!("case {n}/{}", self.cases);
        }
        self.start(ctx);
    }
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let server = args.next().unwrap_or_else(|| "127.0.0.1:9002".to_owned());
    let agent = args.next().unwrap_or_else(|| "loopio".to_owned());
    let runner = Runner {
        base: format!("ws://{server}"),
        agent,
        step: Step::CaseCount,
        cases: 0,
        failed_connects: 0,
    };
    let mut event_loop = EventLoop::new(Config::default(), runner)?;
    let url = event_loop.service().url();
    if let Err(err) = event_loop.ctx().connect(&url) {
        return Err(std::io::Error::other(format!(
            "cannot connect to {url}: {err}"
        )));
    }
    event_loop.run()?;
    let runner = event_loop.service();
    if runner.failed_connects > 0 {
        return Err(std::io::Error::other("could not reach the fuzzing server"));
    }
    eprintln!("ran {} cases", runner.cases);
    Ok(())
}
