//! Which `Host` headers the server answers (the DNS rebinding defence), and whether a
//! host is this machine's loopback.

use std::net::IpAddr;

/// Which `Host` headers the server answers (DNS rebinding defence).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedHosts {
    /// Any host (`--allowed-hosts '*'`, and the tests' in-process router).
    Any,
    /// These names and addresses (lowercase, no port); with `any_ip`, also every IP
    /// literal (a server bound to all interfaces is reached by address, e.g. by probes,
    /// and an address cannot be rebound).
    Listed {
        /// The names and addresses.
        names: Vec<String>,
        /// Whether every IP literal is also allowed.
        any_ip: bool,
    },
}

impl AllowedHosts {
    /// The default for a server bound to `bind`: that address, `localhost` and the
    /// loopback addresses; every IP literal when bound to all interfaces.
    pub fn for_bind(bind: IpAddr) -> Self {
        let mut names = vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
            "::1".to_owned(),
        ];
        let own = bind.to_string();
        if !names.contains(&own) {
            names.push(own);
        }
        Self::Listed {
            names,
            any_ip: bind.is_unspecified(),
        }
    }

    /// From `--allowed-hosts`: names separated by commas; `*` allows any.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut names = Vec::new();
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            if name == "*" {
                return Ok(Self::Any);
            }
            let name = name.trim_start_matches('[').trim_end_matches(']');
            if name.len() > 253
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'))
            {
                return Err(format!("{name:?} is not a host name or address"));
            }
            names.push(name.to_ascii_lowercase());
        }
        if names.is_empty() {
            return Err("name at least one host, or * for any".into());
        }
        Ok(Self::Listed {
            names,
            any_ip: false,
        })
    }

    /// Whether the `Host` header value `host` (with or without a port) is allowed.
    pub fn allows(&self, host: &str) -> bool {
        let Self::Listed { names, any_ip } = self else {
            return true;
        };
        let name = host_name(host).to_ascii_lowercase();
        let name = name.trim_end_matches('.');
        if *any_ip && name.parse::<IpAddr>().is_ok() {
            return true;
        }
        names.iter().any(|n| n == name)
    }
}

/// The host part of a `Host` header value: `[::1]:8000` → `::1`, `a.b:80` → `a.b`.
pub fn host_name(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or("");
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) && !name.contains(':') => {
            name
        }
        _ => host,
    }
}

/// Whether a `Host` names this machine's loopback (where browsers treat plain HTTP as a
/// secure context, so `Secure` cookies work).
pub fn is_loopback_host(host: &str) -> bool {
    let name = host_name(host).to_ascii_lowercase();
    name == "localhost"
        || name.ends_with(".localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}
