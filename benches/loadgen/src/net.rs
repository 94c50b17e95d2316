//! Sockets: connecting from a chosen loopback source address and raising `RLIMIT_NOFILE`.
//!
//! One source address has about 28 000 ephemeral ports toward one server port; binding each
//! socket to 127.0.0.x first (with `IP_BIND_ADDRESS_NO_PORT`, so the port is chosen per 4-tuple at
//! connect time) multiplies that.

use std::io;
use std::mem::size_of;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::os::fd::{AsRawFd, FromRawFd};

use mio::net::TcpStream;

/// `IP_BIND_ADDRESS_NO_PORT` (Linux 4.2+), spelled out in case the libc crate lacks it.
const IP_BIND_ADDRESS_NO_PORT: libc::c_int = 24;

/// Starts a non-blocking connect to `to`, from `from` when given.
pub fn connect(to: SocketAddr, from: Option<Ipv4Addr>) -> io::Result<TcpStream> {
    let stream = match (from, to) {
        (None, _) => TcpStream::connect(to)?,
        (Some(from), SocketAddr::V4(to)) => connect_from(from, to)?,
        (Some(_), SocketAddr::V6(_)) => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "--sources needs an IPv4 target",
            ))
        }
    };
    // Small messages must not wait for Nagle's algorithm.
    stream.set_nodelay(true)?;
    Ok(stream)
}

fn connect_from(from: Ipv4Addr, to: SocketAddrV4) -> io::Result<TcpStream> {
    let kind = libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
    // SAFETY: socket() takes no pointers; a negative result is an error.
    let fd = unsafe { libc::socket(libc::AF_INET, kind, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` is a fresh socket that nothing else owns; the std stream closes it on drop.
    let socket = unsafe { std::net::TcpStream::from_raw_fd(fd) };
    let one: libc::c_int = 1;
    // SAFETY: the option value points at a live c_int of the stated size. Failure is harmless
    // (older kernels), so its result is ignored.
    unsafe {
        libc::setsockopt(
            fd,
            libc::IPPROTO_IP,
            IP_BIND_ADDRESS_NO_PORT,
            (&one as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
    let source = sockaddr(SocketAddrV4::new(from, 0));
    // SAFETY: `source` is a live sockaddr_in of the stated size.
    let rc = unsafe {
        libc::bind(
            fd,
            (&source as *const libc::sockaddr_in).cast(),
            size_of::<libc::sockaddr_in>() as u32,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    let target = sockaddr(to);
    // SAFETY: `target` is a live sockaddr_in of the stated size.
    let rc = unsafe {
        libc::connect(
            fd,
            (&target as *const libc::sockaddr_in).cast(),
            size_of::<libc::sockaddr_in>() as u32,
        )
    };
    if rc != 0 {
        let err = io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::EINPROGRESS) {
            return Err(err);
        }
    }
    debug_assert_eq!(socket.as_raw_fd(), fd);
    Ok(TcpStream::from_std(socket))
}

fn sockaddr(addr: SocketAddrV4) -> libc::sockaddr_in {
    libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: addr.port().to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from(*addr.ip()).to_be(),
        },
        sin_zero: [0; 8],
    }
}

/// Raises the soft (and, as root, the hard) open-file limit to at least `want`; returns the
/// soft limit in force afterwards.
pub fn raise_nofile(want: u64) -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a live rlimit.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return 0;
    }
    if limit.rlim_cur >= want {
        return limit.rlim_cur;
    }
    let raised = libc::rlimit {
        rlim_cur: want,
        rlim_max: limit.rlim_max.max(want),
    };
    // SAFETY: `raised` is a live rlimit. Raising the hard limit needs CAP_SYS_RESOURCE; without
    // it, fall back to the old hard limit.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
        return want;
    }
    let capped = libc::rlimit {
        rlim_cur: limit.rlim_max,
        rlim_max: limit.rlim_max,
    };
    // SAFETY: as above.
    unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &capped) };
    limit.rlim_max
}
