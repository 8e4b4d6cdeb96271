//! One DNS question to one server over UDP, as nginx's own resolver asks
//! it for names resolved per request (`resolver` with variables, or
//! `server … resolve`): A, then AAAA, and the addresses in the answer.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::time::Duration;

const A: u16 = 1;
const AAAA: u16 = 28;

/// The addresses `name` has at `server`, or why there are none.
pub fn resolve(server: SocketAddr, name: &str, timeout: Duration) -> Result<Vec<IpAddr>, String> {
    let mut found = query(server, name, A, timeout)?;
    if found.is_empty() {
        found = query(server, name, AAAA, timeout)?;
    }
    if found.is_empty() {
        return Err("it has no address records there".into());
    }
    Ok(found)
}

fn query(
    server: SocketAddr,
    name: &str,
    kind: u16,
    timeout: Duration,
) -> Result<Vec<IpAddr>, String> {
    let bind: SocketAddr = if server.is_ipv4() {
        (Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket = UdpSocket::bind(bind).map_err(|e| e.to_string())?;
    socket
        .set_read_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    let id = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0)
        & 0xffff) as u16;
    let mut packet = Vec::with_capacity(64);
    packet.extend_from_slice(&id.to_be_bytes());
    // Recursion desired; one question.
    packet.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.trim_end_matches('.').split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(format!("`{name}` is not a valid name"));
        }
        packet.push(label.len() as u8);
        packet.extend_from_slice(label.as_bytes());
    }
    packet.push(0);
    packet.extend_from_slice(&kind.to_be_bytes());
    packet.extend_from_slice(&1u16.to_be_bytes());
    socket
        .send_to(&packet, server)
        .map_err(|e| format!("cannot ask {server}: {e}"))?;
    let mut reply = [0u8; 1500];
    loop {
        let (len, from) = socket.recv_from(&mut reply).map_err(|e| match e.kind() {
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
                format!("{server} did not answer in time")
            }
            _ => format!("{server}: {e}"),
        })?;
        if from != server || len < 12 || reply[..2] != id.to_be_bytes() {
            continue;
        }
        return parse(&reply[..len], kind, server);
    }
}

fn parse(reply: &[u8], kind: u16, server: SocketAddr) -> Result<Vec<IpAddr>, String> {
    match reply[3] & 0x0f {
        0 => {}
        2 => return Err(format!("{server} failed to answer (SERVFAIL)")),
        3 => return Err(format!("{server} says it does not exist (NXDOMAIN)")),
        5 => return Err(format!("{server} refused the query")),
        code => return Err(format!("{server} answered with error {code}")),
    }
    let count = |at: usize| u16::from_be_bytes([reply[at], reply[at + 1]]) as usize;
    let (questions, answers) = (count(4), count(6));
    let mut at = 12;
    for _ in 0..questions {
        at = skip_name(reply, at).ok_or("a malformed reply")? + 4;
    }
    let mut found = Vec::new();
    for _ in 0..answers {
        at = skip_name(reply, at).ok_or("a malformed reply")?;
        let header = reply.get(at..at + 10).ok_or("a truncated reply")?;
        let record = u16::from_be_bytes([header[0], header[1]]);
        let length = u16::from_be_bytes([header[8], header[9]]) as usize;
        let data = reply
            .get(at + 10..at + 10 + length)
            .ok_or("a truncated reply")?;
        match (record, length) {
            (A, 4) if kind == A => found.push(IpAddr::from([data[0], data[1], data[2], data[3]])),
            (AAAA, 16) if kind == AAAA => {
                let mut bytes = [0u8; 16];
                bytes.copy_from_slice(data);
                found.push(IpAddr::from(bytes));
            }
            _ => {}
        }
        at += 10 + length;
    }
    Ok(found)
}

/// The offset after a (possibly compressed) name.
fn skip_name(reply: &[u8], mut at: usize) -> Option<usize> {
    loop {
        let length = *reply.get(at)?;
        if length & 0xc0 == 0xc0 {
            return Some(at + 2);
        }
        if length == 0 {
            return Some(at + 1);
        }
        at += 1 + length as usize;
    }
}

/// `10.0.0.2`, `10.0.0.2:5353`, `[::1]:53`, as `resolver` takes them.
pub fn server_address(text: &str) -> Option<SocketAddr> {
    if let Ok(address) = text.parse::<SocketAddr>() {
        return Some(address);
    }
    let ip: IpAddr = text
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()?;
    Some(SocketAddr::new(ip, 53))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_answers_and_errors() {
        // id 0x1234, answer with one A record for a compressed name.
        let mut reply = vec![0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0];
        reply.extend_from_slice(&[3, b'a', b'p', b'p', 0, 0, 1, 0, 1]);
        reply.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 10, 0, 0, 7]);
        let server: SocketAddr = "127.0.0.1:53".parse().unwrap();
        assert_eq!(
            parse(&reply, A, server),
            Ok(vec!["10.0.0.7".parse().unwrap()])
        );
        reply[3] = 0x83;
        assert!(parse(&reply, A, server).unwrap_err().contains("NXDOMAIN"));
        assert_eq!(
            server_address("10.0.0.2"),
            Some("10.0.0.2:53".parse().unwrap())
        );
        assert_eq!(
            server_address("[::1]:5353"),
            Some("[::1]:5353".parse().unwrap())
        );
    }
}
