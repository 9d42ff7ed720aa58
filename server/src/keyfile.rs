//! Key files the server generates for itself once (the JWT signing key, the host-secret key).

use std::fs;
use std::io::{self, Write};
use std::path::Path;

/// Writes `bytes` to `path` (mode 0600) unless the file exists; true when this call placed it.
///
/// The bytes are written aside, then hard-linked into place: the link fails if another process
/// sharing the directory won the race (then its key is the one everybody uses), and nobody ever
/// reads a half-written key.
pub fn place_once(path: &Path, bytes: &[u8]) -> io::Result<bool> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("key");
    let tmp = path.with_file_name(format!(".{name}.{}", uuid::Uuid::new_v4().simple()));
    let placed = write_private(&tmp, bytes).and_then(|()| fs::hard_link(&tmp, path));
    let _ = fs::remove_file(&tmp);
    match placed {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e),
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}
