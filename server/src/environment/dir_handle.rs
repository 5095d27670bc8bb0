//! Files read by their names inside one open directory.
//!
//! A site-packages directory holds a thousand distributions, and reading one is three or four
//! lookups (`METADATA`, `direct_url.json`, `top_level.txt`, `RECORD`). By absolute path each
//! lookup walks every component again (`/usr/local/lib/python3.11/dist-packages/x.dist-info/…`,
//! seven of them); relative to the directory's open handle (`openat`) it walks two. On
//! platforms without `openat` the same calls join the path.

use std::io::Read;
use std::path::{Path, PathBuf};

/// An open directory; `name`s passed to its methods are relative to it (`peft-0.12.0.dist-info/METADATA`).
pub struct DirHandle {
    root: PathBuf,
    #[cfg(unix)]
    fd: Option<rustix::fd::OwnedFd>,
}

impl DirHandle {
    /// Opens `root`; when it cannot be opened, every call falls back to joined paths and fails
    /// as those would.
    pub fn open(root: &Path) -> Self {
        DirHandle {
            root: root.to_path_buf(),
            #[cfg(unix)]
            fd: rustix::fs::open(
                root,
                rustix::fs::OFlags::RDONLY
                    | rustix::fs::OFlags::DIRECTORY
                    | rustix::fs::OFlags::CLOEXEC,
                rustix::fs::Mode::empty(),
            )
            .ok(),
        }
    }

    /// The directory's path joined with `name`, as messages show it.
    pub fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    fn open_file(&self, name: &str) -> std::io::Result<std::fs::File> {
        #[cfg(unix)]
        if let Some(fd) = &self.fd {
            let file = rustix::fs::openat(
                fd,
                name,
                rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
                rustix::fs::Mode::empty(),
            )?;
            return Ok(std::fs::File::from(file));
        }
        std::fs::File::open(self.path(name))
    }

    /// At most `limit` bytes from the start of the file.
    pub fn read_start(&self, name: &str, limit: u64) -> std::io::Result<Vec<u8>> {
        let mut buf = Vec::with_capacity(4096);
        self.open_file(name)?.take(limit).read_to_end(&mut buf)?;
        Ok(buf)
    }

    pub fn read_to_string(&self, name: &str) -> std::io::Result<String> {
        let mut text = String::new();
        self.open_file(name)?.read_to_string(&mut text)?;
        Ok(text)
    }

    /// What `name` is, following links as `Path::is_file` does; `None` when it does not exist.
    fn kind(&self, name: &str) -> Option<EntryKind> {
        #[cfg(unix)]
        if let Some(fd) = &self.fd {
            let stat = rustix::fs::statat(fd, name, rustix::fs::AtFlags::empty()).ok()?;
            return Some(match rustix::fs::FileType::from_raw_mode(stat.st_mode) {
                rustix::fs::FileType::Directory => EntryKind::Directory,
                rustix::fs::FileType::RegularFile => EntryKind::File,
                _ => EntryKind::Other,
            });
        }
        let meta = std::fs::metadata(self.path(name)).ok()?;
        Some(if meta.is_dir() {
            EntryKind::Directory
        } else if meta.is_file() {
            EntryKind::File
        } else {
            EntryKind::Other
        })
    }

    pub fn is_file(&self, name: &str) -> bool {
        self.kind(name) == Some(EntryKind::File)
    }

    pub fn is_dir(&self, name: &str) -> bool {
        self.kind(name) == Some(EntryKind::Directory)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum EntryKind {
    File,
    Directory,
    Other,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_inside_the_directory_are_read_and_told_apart() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("peft-0.12.0.dist-info")).unwrap();
        std::fs::write(
            dir.path().join("peft-0.12.0.dist-info/METADATA"),
            "Name: peft\n",
        )
        .unwrap();
        let handle = DirHandle::open(dir.path());
        assert_eq!(
            handle
                .read_to_string("peft-0.12.0.dist-info/METADATA")
                .unwrap(),
            "Name: peft\n"
        );
        assert_eq!(
            handle
                .read_start("peft-0.12.0.dist-info/METADATA", 4)
                .unwrap(),
            b"Name"
        );
        assert!(handle.is_file("peft-0.12.0.dist-info/METADATA"));
        assert!(handle.is_dir("peft-0.12.0.dist-info"));
        assert!(!handle.is_file("peft-0.12.0.dist-info"));
        assert!(!handle.is_file("peft-0.12.0.dist-info/RECORD"));
        assert!(handle.read_to_string("missing/METADATA").is_err());
    }

    #[test]
    fn a_directory_that_cannot_be_opened_fails_each_read() {
        let handle = DirHandle::open(Path::new("/nonexistent/site-packages"));
        assert!(handle.read_to_string("x.dist-info/METADATA").is_err());
        assert!(!handle.is_dir("x.dist-info"));
    }
}
