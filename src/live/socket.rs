//! What the kernel knows about a POST's TCP connection: how many of the bytes written the
//! peer has acknowledged, and the largest receive window it advertised — the bytes it may
//! have acknowledged without its application having read them.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The figures of one connection's socket, read while the POST runs.
#[derive(Debug, Clone)]
pub(crate) struct SocketFigures {
    /// The socket, for the kernel's figures (Linux); None elsewhere.
    #[cfg(target_os = "linux")]
    fd: std::os::fd::RawFd,
    /// Bytes written to the socket (below TLS), counted by the stream that writes them.
    written: Arc<AtomicU64>,
    /// Send and receive buffer sizes, for the bound used where the kernel gives no
    /// acknowledgement figures.
    buffers: u64,
}

/// One reading of a connection's progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Progress {
    /// Bytes written to the socket so far.
    pub written: u64,
    /// Bytes the peer acknowledged: written minus what the send queue still holds.
    pub acked: u64,
    /// The peer's receive window now (bytes it may hold unread), when known.
    pub window: Option<u64>,
}

impl SocketFigures {
    /// Figures for a connected socket whose written bytes `written` counts.
    #[cfg(target_os = "linux")]
    pub(crate) fn new(fd: std::os::fd::RawFd, written: Arc<AtomicU64>) -> Self {
        let buffers = buffer_sizes(fd);
        Self {
            fd,
            written,
            buffers,
        }
    }

    /// Figures for a socket the platform tells nothing about.
    #[cfg(not(target_os = "linux"))]
    pub(crate) fn new(written: Arc<AtomicU64>) -> Self {
        Self {
            written,
            buffers: DEFAULT_BUFFERS,
        }
    }

    /// Bytes written so far.
    pub(crate) fn written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }

    /// The progress now; None once the connection is no longer established (a reset
    /// empties the send queue, which would make every byte look acknowledged). Where the
    /// kernel gives no send-queue figure, nothing written counts as acknowledged beyond
    /// what the buffers could hold.
    pub(crate) fn progress(&self) -> Option<Progress> {
        let written = self.written();
        // The queue first, then the state: states only move away from established, so
        // a queue read before an established state was read while established.
        let queued = self.outstanding();
        let (established, window) = self.tcp_info();
        if !established {
            return None;
        }
        Some(match queued {
            Some(queued) => Progress {
                written,
                acked: written.saturating_sub(queued),
                window,
            },
            None => Progress {
                written,
                acked: written.saturating_sub(self.buffers),
                window: None,
            },
        })
    }

    /// The bytes that might be lost if the connection dies now without the server having
    /// read them, counted back from the last byte written: what the sockets' buffers can
    /// hold. Used where the kernel reports neither the send queue nor the peer window.
    pub(crate) fn buffer_bound(&self) -> u64 {
        self.buffers
    }

    /// Bytes written but not yet acknowledged by the peer (SIOCOUTQ).
    #[cfg(target_os = "linux")]
    fn outstanding(&self) -> Option<u64> {
        let mut queued: libc::c_int = 0;
        // SAFETY: TIOCOUTQ (= SIOCOUTQ on sockets) writes one int through the pointer,
        // which points at a live local; a closed or reused descriptor makes it fail.
        let rc = unsafe { libc::ioctl(self.fd, libc::TIOCOUTQ, &mut queued) };
        (rc == 0).then(|| u64::try_from(queued).unwrap_or(0))
    }

    #[cfg(not(target_os = "linux"))]
    fn outstanding(&self) -> Option<u64> {
        None
    }

    /// Whether the connection is still established, and the peer's advertised receive
    /// window (TCP_INFO `tcpi_snd_wnd`, Linux 5.4+).
    #[cfg(target_os = "linux")]
    fn tcp_info(&self) -> (bool, Option<u64>) {
        // SAFETY: tcp_info is plain data; all zeroes is a valid value.
        let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
        let Ok(mut len) = libc::socklen_t::try_from(size_of::<libc::tcp_info>()) else {
            return (true, None);
        };
        // SAFETY: the kernel writes at most `len` bytes into `info` and sets `len`.
        let rc = unsafe {
            libc::getsockopt(
                self.fd,
                libc::IPPROTO_TCP,
                libc::TCP_INFO,
                (&raw mut info).cast(),
                &mut len,
            )
        };
        if rc != 0 {
            return (false, None);
        }
        let established = u32::from(info.tcpi_state) == TCP_ESTABLISHED;
        let needed = std::mem::offset_of!(libc::tcp_info, tcpi_snd_wnd) + size_of::<u32>();
        let window = usize::try_from(len)
            .is_ok_and(|got| got >= needed)
            .then_some(u64::from(info.tcpi_snd_wnd));
        (established, window)
    }

    #[cfg(not(target_os = "linux"))]
    fn tcp_info(&self) -> (bool, Option<u64>) {
        (true, None)
    }
}

/// `TCP_ESTABLISHED` of the kernel's TCP states.
#[cfg(target_os = "linux")]
const TCP_ESTABLISHED: u32 = 1;

/// Buffer bound assumed where the platform gives no socket figures.
#[cfg(not(target_os = "linux"))]
const DEFAULT_BUFFERS: u64 = 16 << 20;

/// The send buffer plus twice the receive buffer (the peer's is as large, give or take):
/// the most bytes that can be written but not yet read by the server.
#[cfg(target_os = "linux")]
fn buffer_sizes(fd: std::os::fd::RawFd) -> u64 {
    let get = |option| {
        let mut value: libc::c_int = 0;
        let mut len = libc::socklen_t::try_from(size_of::<libc::c_int>()).unwrap_or(4);
        // SAFETY: the kernel writes one int into the local.
        let rc = unsafe {
            libc::getsockopt(
                fd,
                libc::SOL_SOCKET,
                option,
                (&raw mut value).cast(),
                &mut len,
            )
        };
        if rc == 0 {
            u64::try_from(value).unwrap_or(0)
        } else {
            0
        }
    };
    let total = get(libc::SO_SNDBUF).saturating_add(get(libc::SO_RCVBUF).saturating_mul(2));
    total.max(1 << 20)
}
