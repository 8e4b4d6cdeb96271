//! The nginx version a configuration targets, and the defaults that changed
//! between versions, in one table. Each entry names the release notes it
//! comes from.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct NginxVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl NginxVersion {
    pub const fn new(major: u32, minor: u32, patch: u32) -> NginxVersion {
        NginxVersion {
            major,
            minor,
            patch,
        }
    }

    /// The current stable branch, the default target.
    pub const CURRENT_STABLE: NginxVersion = NginxVersion::new(1, 30, 0);
}

impl Default for NginxVersion {
    fn default() -> Self {
        NginxVersion::CURRENT_STABLE
    }
}

impl std::str::FromStr for NginxVersion {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.trim().split('.').collect();
        let number = |i: usize| -> Result<u32, String> {
            parts.get(i).map_or(Ok(0), |p| {
                p.parse::<u32>()
                    .map_err(|_| format!("`{s}` is not a version like 1.30 or 1.26.2"))
            })
        };
        if parts.is_empty() || parts.len() > 3 || parts[0].is_empty() {
            return Err(format!("`{s}` is not a version like 1.30 or 1.26.2"));
        }
        Ok(NginxVersion::new(number(0)?, number(1)?, number(2)?))
    }
}

impl fmt::Display for NginxVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// A behaviour that depends on the version, and the first version with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feature {
    /// `proxy_http_version` defaults to 1.1 (CHANGES-1.30).
    ProxyHttp11ByDefault,
    /// Upstreams keep connections alive without a `keepalive` directive (CHANGES-1.30).
    UpstreamKeepaliveByDefault,
    /// `server … resolve` in an upstream, in open-source nginx (CHANGES 1.27.3).
    UpstreamServerResolve,
}

impl Feature {
    pub fn since(self) -> NginxVersion {
        match self {
            Feature::ProxyHttp11ByDefault | Feature::UpstreamKeepaliveByDefault => {
                NginxVersion::new(1, 30, 0)
            }
            Feature::UpstreamServerResolve => NginxVersion::new(1, 27, 3),
        }
    }
}

impl NginxVersion {
    pub fn has(self, feature: Feature) -> bool {
        self >= feature.since()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        let v: NginxVersion = "1.26".parse().unwrap();
        assert_eq!(v, NginxVersion::new(1, 26, 0));
        assert!(!v.has(Feature::ProxyHttp11ByDefault));
        assert!(!v.has(Feature::UpstreamServerResolve));
        assert!(
            "1.27.3"
                .parse::<NginxVersion>()
                .unwrap()
                .has(Feature::UpstreamServerResolve)
        );
        assert!(NginxVersion::default().has(Feature::UpstreamKeepaliveByDefault));
        assert!("one".parse::<NginxVersion>().is_err());
    }
}
