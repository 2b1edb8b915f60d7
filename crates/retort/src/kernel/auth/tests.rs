//! Roles, hosts, and the job-start allowance.

use std::net::IpAddr;

use super::*;

#[test]
fn roles_grow_as_documented() {
    let analyst = Role::Analyst.permissions();
    assert!(
        Role::Viewer
            .permissions()
            .iter()
            .all(|p| analyst.contains(p))
    );
    assert!(
        Role::Predictor
            .permissions()
            .iter()
            .all(|p| analyst.contains(p))
    );
    assert!(
        analyst
            .iter()
            .all(|p| Role::Approver.permissions().contains(p))
    );
    assert!(!analyst.contains(&Permission::DecisionsApprove));
    assert!(
        !Role::Approver
            .permissions()
            .contains(&Permission::ModelsManage)
    );
    assert_eq!(Role::Admin.permissions(), &Permission::ALL);
    for p in Permission::ALL {
        assert_eq!(Permission::parse(p.as_str()), Some(p));
    }
}

#[test]
fn hosts_are_matched_without_port_and_case() {
    let local = AllowedHosts::for_bind("127.0.0.1".parse().unwrap_or(IpAddr::from([0; 4])));
    assert!(local.allows("localhost:8000"));
    assert!(local.allows("127.0.0.1:8000"));
    assert!(local.allows("[::1]:8000"));
    assert!(local.allows("LOCALHOST"));
    assert!(!local.allows("evil.example:8000"));
    assert!(!local.allows("10.0.0.5"));
    let all = AllowedHosts::for_bind(IpAddr::from([0, 0, 0, 0]));
    assert!(all.allows("10.0.0.5:8000"));
    assert!(!all.allows("rebound.example"));
    let listed = AllowedHosts::parse("retort.internal, Example.com").unwrap_or(AllowedHosts::Any);
    assert!(listed.allows("example.com:443"));
    assert!(!listed.allows("localhost"));
    assert_eq!(AllowedHosts::parse("*"), Ok(AllowedHosts::Any));
    assert!(AllowedHosts::parse("a b").is_err());
    assert!(AllowedHosts::parse(" , ").is_err());
}

#[test]
fn loopback_hosts_are_recognised() {
    assert!(is_loopback_host("127.0.0.1:8000"));
    assert!(is_loopback_host("localhost"));
    assert!(is_loopback_host("[::1]:1"));
    assert!(!is_loopback_host("10.1.1.1"));
    assert!(!is_loopback_host("example.com"));
}

#[test]
fn job_starts_refill_over_a_minute() {
    let config = AccessConfig::new(None, AllowedHosts::Any, 2);
    assert_eq!(config.take_job_start("a"), Ok(()));
    assert_eq!(config.take_job_start("a"), Ok(()));
    let wait = config.take_job_start("a");
    assert!(matches!(wait, Err(s) if (1..=30).contains(&s)), "{wait:?}");
    assert_eq!(config.take_job_start("b"), Ok(()));
    let unlimited = AccessConfig::default();
    for _ in 0..1000 {
        assert_eq!(unlimited.take_job_start("a"), Ok(()));
    }
}
