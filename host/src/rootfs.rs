//! Reading a node's file system at `--root` without ever leaving it.
//!
//! Paths are resolved one component at a time from an open directory descriptor, the way the
//! kernel resolves paths inside a `chroot` (Linux's `RESOLVE_IN_ROOT`): an absolute symlink
//! starts again at the root, and `..` at the root stays at the root. Each step opens the next
//! component relative to the previous one with `O_NOFOLLOW`, so a symlink swapped in during the
//! walk is seen as a symlink, never followed by the kernel behind our back. Metadata and content
//! come from the same open file, so a file replaced between "stat" and "read" is detected rather
//! than mixed up with another one.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;

use rustix::fs::{self as rfs, FileType, Mode, OFlags, Stat};

/// Most symlinks followed while resolving one path (Linux's own limit).
const MAX_LINKS: usize = 40;

/// A directory tree treated as `/`.
pub struct Root {
    fd: OwnedFd,
}

/// A resolved path: what it is, and enough to open it safely.
pub struct Entry {
    /// Metadata of the entry itself (never of a symlink: links are resolved).
    pub stat: Stat,
    /// The directory holding it and its name there (`None` for the root itself).
    parent: Option<(OwnedFd, String)>,
    /// An `O_PATH` descriptor of the entry.
    fd: OwnedFd,
}

/// Why a path could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// The content is larger than the limit; nothing was kept.
    TooLarge(u64),
    /// The path names something else now than when it was resolved.
    Replaced,
    /// Not a regular file (a device, FIFO, socket or directory): never opened for reading.
    NotRegular,
    /// The system refused.
    Io(io::Error),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::TooLarge(limit) => write!(f, "larger than {limit} bytes"),
            ReadError::Replaced => f.write_str("the file was replaced while being read"),
            ReadError::NotRegular => f.write_str("not a regular file"),
            ReadError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> Self {
        ReadError::Io(e)
    }
}

impl From<rustix::io::Errno> for ReadError {
    fn from(e: rustix::io::Errno) -> Self {
        ReadError::Io(e.into())
    }
}

impl Root {
    /// Opens the directory that stands for `/`.
    pub fn open(path: &Path) -> io::Result<Root> {
        let fd = rfs::open(
            path,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        Ok(Root { fd })
    }

    /// Resolves `path` (absolute or not, always taken from the root) inside the root.
    pub fn resolve(&self, path: &str) -> io::Result<Entry> {
        let mut dirs: Vec<OwnedFd> = vec![self.fd.try_clone()?];
        let mut todo: VecDeque<String> = components(path).collect();
        let mut links = 0usize;
        while let Some(name) = todo.pop_front() {
            if name == ".." {
                if dirs.len() > 1 {
                    dirs.pop();
                }
                continue;
            }
            let parent = dirs.last().unwrap_or(&self.fd);
            let fd = rfs::openat(
                parent,
                name.as_str(),
                OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::empty(),
            )?;
            let stat = rfs::fstat(&fd)?;
            match FileType::from_raw_mode(stat.st_mode) {
                FileType::Symlink => {
                    links += 1;
                    if links > MAX_LINKS {
                        return Err(io::Error::other(format!(
                            "more than {MAX_LINKS} symlinks (a loop?)"
                        )));
                    }
                    let target = rfs::readlinkat(&fd, "", Vec::new())?;
                    let target = target.to_string_lossy().into_owned();
                    if target.starts_with('/') {
                        dirs.truncate(1);
                    }
                    for part in components(&target).rev() {
                        todo.push_front(part);
                    }
                }
                FileType::Directory if !todo.is_empty() => dirs.push(fd),
                _ if todo.is_empty() => {
                    return Ok(Entry {
                        stat,
                        parent: Some((parent.try_clone()?, name)),
                        fd,
                    });
                }
                _ => return Err(io::Error::from(rustix::io::Errno::NOTDIR)),
            }
        }
        // The path ended on a directory reached by `..` or a symlink, or named the root.
        let fd = dirs.pop().unwrap_or(self.fd.try_clone()?);
        Ok(Entry {
            stat: rfs::fstat(&fd)?,
            parent: None,
            fd,
        })
    }

    /// Reads a whole regular file inside the root, up to `limit` bytes.
    pub fn read(&self, path: &str, limit: u64) -> Result<Vec<u8>, ReadError> {
        self.resolve(path)?.read(limit)
    }

    /// The names in a directory inside the root.
    pub fn list(&self, path: &str) -> io::Result<Vec<String>> {
        self.resolve(path)?.list()
    }
}

impl Entry {
    /// The kind of entry (never a symlink).
    pub fn file_type(&self) -> FileType {
        FileType::from_raw_mode(self.stat.st_mode)
    }

    /// Opens the entry itself (not whatever its name points at now) with `flags`.
    fn reopen(&self, flags: OFlags) -> Result<OwnedFd, ReadError> {
        let fd = match &self.parent {
            Some((dir, name)) => rfs::openat(
                dir,
                name.as_str(),
                flags | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::empty(),
            )?,
            None => rfs::openat(&self.fd, ".", flags | OFlags::CLOEXEC, Mode::empty())?,
        };
        let now = rfs::fstat(&fd)?;
        if (now.st_dev, now.st_ino) != (self.stat.st_dev, self.stat.st_ino) {
            return Err(ReadError::Replaced);
        }
        Ok(fd)
    }

    /// Reads the content of a regular file, refusing more than `limit` bytes. Devices, FIFOs
    /// and sockets are never opened, so reading cannot block or have side effects.
    pub fn read(&self, limit: u64) -> Result<Vec<u8>, ReadError> {
        if self.file_type() != FileType::RegularFile {
            return Err(ReadError::NotRegular);
        }
        if u64::try_from(self.stat.st_size).unwrap_or(u64::MAX) > limit {
            return Err(ReadError::TooLarge(limit));
        }
        let fd = self.reopen(OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY)?;
        let mut bytes = Vec::new();
        // The file may grow after the check: never read past the limit.
        File::from(fd)
            .take(limit.saturating_add(1))
            .read_to_end(&mut bytes)?;
        if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > limit {
            return Err(ReadError::TooLarge(limit));
        }
        Ok(bytes)
    }

    /// The `O_PATH` descriptor of the entry, for `*at` calls relative to it.
    pub fn as_path_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// The names in a directory, sorted.
    pub fn list(&self) -> io::Result<Vec<String>> {
        if self.file_type() != FileType::Directory {
            return Err(io::Error::from(rustix::io::Errno::NOTDIR));
        }
        let fd = self
            .reopen(OFlags::RDONLY | OFlags::DIRECTORY)
            .map_err(|e| match e {
                ReadError::Io(e) => e,
                other => io::Error::other(other.to_string()),
            })?;
        let mut names = Vec::new();
        for entry in rfs::Dir::new(fd)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy();
            if name != "." && name != ".." {
                names.push(name.into_owned());
            }
        }
        names.sort();
        Ok(names)
    }
}

fn components(path: &str) -> impl DoubleEndedIterator<Item = String> + '_ {
    path.split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::{ReadError, Root};
    use std::fs;
    use std::os::unix::fs::symlink;

    fn tree() -> (tempfile::TempDir, tempfile::TempDir) {
        let root = tempfile::tempdir().expect("root");
        let outside = tempfile::tempdir().expect("outside");
        fs::create_dir_all(root.path().join("etc/kubernetes")).expect("mkdir");
        fs::write(root.path().join("etc/kubernetes/inside.conf"), "inside").expect("write");
        fs::write(outside.path().join("secret"), "outside").expect("write");
        (root, outside)
    }

    #[test]
    fn dot_dot_never_climbs_above_the_root() {
        let (root, _outside) = tree();
        let r = Root::open(root.path()).expect("open");
        let text = r
            .read("/../../../../etc/kubernetes/../kubernetes/inside.conf", 100)
            .expect("read");
        assert_eq!(text, b"inside");
    }

    #[test]
    fn absolute_symlinks_resolve_inside_the_root() {
        let (root, outside) = tree();
        let secret = outside.path().join("secret");
        // An absolute link to a host path: inside the root it names root/<that path>.
        symlink(&secret, root.path().join("etc/kubernetes/abs.conf")).expect("symlink");
        let r = Root::open(root.path()).expect("open");
        assert!(r.read("/etc/kubernetes/abs.conf", 100).is_err());
        // Once that path exists inside the root, the link reads it, never the host's.
        let inside = root
            .path()
            .join(secret.strip_prefix("/").expect("absolute"));
        fs::create_dir_all(inside.parent().expect("parent")).expect("mkdir");
        fs::write(&inside, "in the root").expect("write");
        assert_eq!(
            r.read("/etc/kubernetes/abs.conf", 100).expect("read"),
            b"in the root"
        );
    }

    #[test]
    fn relative_symlinks_and_directory_links_cannot_escape() {
        let (root, outside) = tree();
        let depth = outside.path().components().count() + root.path().components().count();
        let climb = "../".repeat(depth);
        let target = format!("{climb}{}", outside.path().join("secret").display());
        symlink(&target, root.path().join("etc/kubernetes/rel.conf")).expect("symlink");
        symlink(outside.path(), root.path().join("etc/pki")).expect("dir symlink");
        let r = Root::open(root.path()).expect("open");
        assert!(r.read("/etc/kubernetes/rel.conf", 100).is_err());
        assert!(r.read("/etc/pki/secret", 100).is_err());
        assert!(r.list("/etc/pki").is_err());
    }

    #[test]
    fn symlink_loops_end_with_an_error() {
        let (root, _outside) = tree();
        symlink("b", root.path().join("etc/a")).expect("symlink");
        symlink("a", root.path().join("etc/b")).expect("symlink");
        let r = Root::open(root.path()).expect("open");
        let err = r.resolve("/etc/a").err().expect("a loop");
        assert!(err.to_string().contains("symlinks"), "{err}");
    }

    #[test]
    fn fifos_and_sockets_are_never_opened() {
        let (root, _outside) = tree();
        let fifo = root.path().join("etc/kubernetes/fifo.conf");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o644),
            0,
        )
        .expect("mkfifo");
        let _socket =
            std::os::unix::net::UnixListener::bind(root.path().join("etc/kubernetes/socket.conf"))
                .expect("socket");
        let r = Root::open(root.path()).expect("open");
        // A FIFO would block a reader forever: it is refused, not read.
        assert!(matches!(
            r.read("/etc/kubernetes/fifo.conf", 100),
            Err(ReadError::NotRegular)
        ));
        assert!(matches!(
            r.read("/etc/kubernetes/socket.conf", 100),
            Err(ReadError::NotRegular)
        ));
    }

    #[test]
    fn a_file_replaced_after_resolution_is_detected() {
        let (root, _outside) = tree();
        let r = Root::open(root.path()).expect("open");
        let entry = r.resolve("/etc/kubernetes/inside.conf").expect("resolve");
        let swap = root.path().join("etc/kubernetes/swap");
        fs::write(&swap, "attacker").expect("write");
        fs::rename(&swap, root.path().join("etc/kubernetes/inside.conf")).expect("rename");
        assert!(matches!(entry.read(100), Err(ReadError::Replaced)));
    }

    #[test]
    fn content_over_the_limit_is_refused_even_if_the_file_grows() {
        let (root, _outside) = tree();
        let r = Root::open(root.path()).expect("open");
        let entry = r.resolve("/etc/kubernetes/inside.conf").expect("resolve");
        // Grows after its size was taken.
        fs::write(
            root.path().join("etc/kubernetes/inside.conf"),
            "x".repeat(4096),
        )
        .expect("grow in place");
        assert!(matches!(entry.read(100), Err(ReadError::TooLarge(100))));
        assert!(matches!(
            r.read("/etc/kubernetes/inside.conf", 100),
            Err(ReadError::TooLarge(100))
        ));
    }
}
