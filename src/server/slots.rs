//! Bounds on connections. A connection whose request is still being read holds a *pending*
//! slot; when all are taken, a new connection closes the one that has been reading longest,
//! so connections trickling bytes can never lock out a client that sends its request at once.
//! A request with the right token then takes a *queued* slot while it waits for credentials.

use std::collections::VecDeque;
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Connections being read, oldest first.
pub struct Pending {
    cap: usize,
    open: Mutex<(u64, VecDeque<(u64, TcpStream)>)>,
}

/// A pending slot; freed on drop.
pub struct PendingSlot {
    id: u64,
    pending: Arc<Pending>,
}

impl Pending {
    /// At most `cap` connections read at once.
    pub fn new(cap: usize) -> Arc<Pending> {
        Arc::new(Pending {
            cap,
            open: Mutex::new((0, VecDeque::new())),
        })
    }

    /// Takes a slot for `stream`, closing the oldest pending connection if all are taken
    /// (its reader then sees the end of its stream and frees its thread). `None` only when
    /// the stream cannot be cloned.
    pub fn admit(self: &Arc<Self>, stream: &TcpStream) -> Option<PendingSlot> {
        let handle = stream.try_clone().ok()?;
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        while open.1.len() >= self.cap.max(1) {
            match open.1.pop_front() {
                Some((_, oldest)) => {
                    let _ = oldest.shutdown(Shutdown::Both);
                }
                None => break,
            }
        }
        open.0 += 1;
        let id = open.0;
        open.1.push_back((id, handle));
        Some(PendingSlot {
            id,
            pending: self.clone(),
        })
    }
}

impl Drop for PendingSlot {
    fn drop(&mut self) {
        let mut open = self.pending.open.lock().unwrap_or_else(|e| e.into_inner());
        open.1.retain(|(id, _)| *id != self.id);
    }
}

/// A count of requests waiting for credentials.
pub struct Queued {
    cap: usize,
    now: AtomicUsize,
}

/// A queued slot; freed on drop.
pub struct QueuedSlot(Arc<Queued>);

impl Queued {
    /// At most `cap` requests wait at once.
    pub fn new(cap: usize) -> Arc<Queued> {
        Arc::new(Queued {
            cap,
            now: AtomicUsize::new(0),
        })
    }

    /// A slot, or `None` when all are taken.
    pub fn take(self: &Arc<Self>) -> Option<QueuedSlot> {
        if self.now.fetch_add(1, Ordering::SeqCst) >= self.cap {
            self.now.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        Some(QueuedSlot(self.clone()))
    }
}

impl Drop for QueuedSlot {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::SeqCst);
    }
}
