//! What this machine says about itself, read from files rather than the
//! network: TCP listeners (`/proc/net/tcp`, `/proc/net/tcp6`), its own
//! addresses (`/proc/net/fib_trie`, `/proc/net/if_inet6`), its host name,
//! and users and groups (`/etc/passwd`, `/etc/group`).

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

/// Where the files are read from: `/` on a real host, a directory in tests.
#[derive(Clone, Debug)]
pub struct System {
    pub root: PathBuf,
}

impl Default for System {
    fn default() -> System {
        System {
            root: PathBuf::from("/"),
        }
    }
}

/// A user as the web server's workers run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    /// Every group the user is in: the primary and the supplementary ones.
    pub groups: HashSet<u32>,
}

impl System {
    fn read(&self, path: &str) -> String {
        std::fs::read_to_string(self.root.join(path.trim_start_matches('/'))).unwrap_or_default()
    }

    /// Every listening TCP socket: (address, port). `0.0.0.0`/`::` mean all.
    pub fn tcp_listeners(&self) -> HashSet<(IpAddr, u16)> {
        let mut out = HashSet::new();
        for (file, v6) in [("proc/net/tcp", false), ("proc/net/tcp6", true)] {
            for line in self.read(file).lines().skip(1) {
                let fields: Vec<&str> = line.split_whitespace().collect();
                // `sl local rem st …`; state 0A is LISTEN.
                if fields.len() < 4 || fields[3] != "0A" {
                    continue;
                }
                if let Some(listener) = parse_proc_address(fields[1], v6) {
                    out.insert(listener);
                }
            }
        }
        out
    }

    /// This machine's own addresses, loopback included.
    pub fn own_addresses(&self) -> HashSet<IpAddr> {
        let mut out: HashSet<IpAddr> = [
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        ]
        .into_iter()
        .collect();
        // fib_trie: `|-- 10.0.0.5` followed by `/32 host LOCAL`.
        let trie = self.read("proc/net/fib_trie");
        let mut last: Option<Ipv4Addr> = None;
        for line in trie.lines() {
            let line = line.trim();
            if let Some(address) = line.strip_prefix("|-- ") {
                last = address.parse().ok();
            } else if line.contains("host LOCAL") {
                out.extend(last.map(IpAddr::V4));
            }
        }
        for line in self.read("proc/net/if_inet6").lines() {
            if let Some(hex) = line.split_whitespace().next() {
                if let Some(address) = parse_hex_v6(hex, false) {
                    out.insert(IpAddr::V6(address));
                }
            }
        }
        out
    }

    pub fn hostname(&self) -> String {
        self.read("proc/sys/kernel/hostname").trim().to_string()
    }

    pub fn user(&self, name: &str) -> Option<User> {
        let passwd = self.read("etc/passwd");
        let (uid, gid) = passwd.lines().find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            (fields.len() > 3 && (fields[0] == name || fields[2] == name))
                .then(|| Some((fields[2].parse().ok()?, fields[3].parse().ok()?)))
                .flatten()
        })?;
        let mut groups: HashSet<u32> = [gid].into_iter().collect();
        for line in self.read("etc/group").lines() {
            let fields: Vec<&str> = line.split(':').collect();
            if fields.len() > 3 && fields[3].split(',').any(|member| member == name) {
                groups.extend(fields[2].parse::<u32>().ok());
            }
        }
        Some(User {
            name: name.to_string(),
            uid,
            gid,
            groups,
        })
    }

    /// The name of a user id, else the id.
    pub fn user_name(&self, uid: u32) -> String {
        self.name_in("etc/passwd", uid)
    }

    /// The name of a group id, else the id.
    pub fn group_name(&self, gid: u32) -> String {
        self.name_in("etc/group", gid)
    }

    fn name_in(&self, file: &str, id: u32) -> String {
        let id = id.to_string();
        self.read(file)
            .lines()
            .find_map(|line| {
                let fields: Vec<&str> = line.split(':').collect();
                (fields.len() > 2 && fields[2] == id).then(|| fields[0].to_string())
            })
            .unwrap_or(id)
    }

    /// A group's id by name (or a number as written).
    pub fn group_id(&self, name: &str) -> Option<u32> {
        if let Ok(id) = name.parse() {
            return Some(id);
        }
        self.read("etc/group").lines().find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            (fields.len() > 2 && fields[0] == name)
                .then(|| fields[2].parse().ok())
                .flatten()
        })
    }

    /// A user's id by name (or a number as written).
    pub fn user_id(&self, name: &str) -> Option<u32> {
        name.parse().ok().or_else(|| self.user(name).map(|u| u.uid))
    }

    /// A path on this machine (under `root` in tests).
    pub fn path(&self, path: &Path) -> PathBuf {
        if self.root == Path::new("/") {
            path.to_path_buf()
        } else {
            self.root.join(path.strip_prefix("/").unwrap_or(path))
        }
    }
}

/// `0100007F:0BB8` (IPv4, bytes of a little-endian word) or 32 hex digits
/// (IPv6, four such words), and the port in hex.
fn parse_proc_address(text: &str, v6: bool) -> Option<(IpAddr, u16)> {
    let (address, port) = text.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let ip = if v6 {
        IpAddr::V6(parse_hex_v6(address, true)?)
    } else {
        let word = u32::from_str_radix(address, 16).ok()?;
        IpAddr::V4(Ipv4Addr::from(word.swap_bytes()))
    };
    Some((ip, port))
}

/// 32 hex digits; in `/proc/net/tcp6` each 32-bit word is little-endian.
fn parse_hex_v6(hex: &str, word_swapped: bool) -> Option<Ipv6Addr> {
    if hex.len() != 32 {
        return None;
    }
    let mut bytes = [0u8; 16];
    for (i, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    if word_swapped {
        for word in bytes.chunks_mut(4) {
            word.reverse();
        }
    }
    Some(Ipv6Addr::from(bytes))
}

/// Whether a listener on `bound` takes connections to `wanted`.
pub fn accepts(bound: IpAddr, wanted: IpAddr) -> bool {
    if bound == wanted || bound.is_unspecified() && bound.is_ipv4() == wanted.is_ipv4() {
        return true;
    }
    // `::` takes IPv4 too unless the socket is IPv6-only, which
    // /proc does not show: taken as taking it.
    matches!(bound, IpAddr::V6(v6) if v6.is_unspecified()) && wanted.is_ipv4()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_addresses() {
        assert_eq!(
            parse_proc_address("0100007F:0BB8", false),
            Some(("127.0.0.1".parse().unwrap(), 3000))
        );
        assert_eq!(
            parse_proc_address("00000000000000000000000001000000:1F90", true),
            Some(("::1".parse().unwrap(), 8080))
        );
        assert!(accepts(
            "0.0.0.0".parse().unwrap(),
            "127.0.0.1".parse().unwrap()
        ));
        assert!(accepts("::".parse().unwrap(), "127.0.0.1".parse().unwrap()));
        assert!(!accepts("0.0.0.0".parse().unwrap(), "::1".parse().unwrap()));
        assert!(!accepts(
            "127.0.0.1".parse().unwrap(),
            "::1".parse().unwrap()
        ));
    }
}
