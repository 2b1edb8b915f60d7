//! Keys through the real binary: `retort keys create/list/revoke`, the first admin key a
//! new server prints, revocation seen by a running server at once, and `--anonymous`
//! refused on a public address for a role that changes things.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::time::Duration;

use crate::support::{retort, send, serve_binary};

fn run(args: &[&str]) -> (bool, String, String) {
    let out = retort()
        .env_remove("RETORT_ADMIN_KEY")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn status_with(addr: SocketAddr, method: &str, path: &str, key: &str) -> u16 {
    let auth = format!("Bearer {key}");
    let headers = [
        ("authorization", auth.as_str()),
        ("content-type", "application/json"),
    ];
    send(addr, method, path, &headers, b"{}".to_vec())
        .await
        .status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_are_made_listed_and_revoked_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("keys.db").display());
    let (ok, stdout, stderr) = run(&[
        "keys",
        "create",
        "--name",
        "ana",
        "--role",
        "analyst",
        "--role",
        "viewer",
        "--expires",
        "30d",
        "--database-url",
        &url,
    ]);
    assert!(ok, "{stderr}");
    let key = stdout.trim().to_owned();
    assert!(
        key.starts_with("rtk_") && key.len() == 69 && !key.contains('\n'),
        "{stdout}"
    );
    assert!(
        stderr.contains("shown this once") && stderr.contains("viewer,analyst"),
        "{stderr}"
    );
    let id = key[4..16].to_owned();
    let (ok, listing, _) = run(&["keys", "list", "--database-url", &url]);
    assert!(ok);
    assert!(
        listing.contains(&id) && listing.contains("ana") && listing.contains("active"),
        "{listing}"
    );
    assert!(
        !listing.contains(&key[17..]),
        "the listing shows the secret: {listing}"
    );
    let (ok, _, stderr) = run(&[
        "keys",
        "create",
        "--name",
        "x",
        "--role",
        "boss",
        "--database-url",
        &url,
    ]);
    assert!(!ok && stderr.contains("unknown role"), "{stderr}");
    let (ok, _, stderr) = run(&[
        "keys",
        "create",
        "--name",
        "x",
        "--role",
        "viewer",
        "--expires",
        "5m",
        "--database-url",
        &url,
    ]);
    assert!(!ok && stderr.contains("--expires"), "{stderr}");

    // A database with a key: the server makes none, and the key works.
    let (addr, _server) = serve_binary(&url, false).await;
    assert_eq!(status_with(addr, "GET", "/api/products", &key).await, 200);
    assert_eq!(status_with(addr, "GET", "/api/keys", &key).await, 403);
    let (ok, _, stderr) = run(&["keys", "revoke", &id, "--database-url", &url]);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("revoked"), "{stderr}");
    // The running server sees it on the next request.
    assert_eq!(status_with(addr, "GET", "/api/products", &key).await, 401);
    let (_, listing, _) = run(&["keys", "list", "--database-url", &url]);
    assert!(listing.contains("revoked"), "{listing}");
    let (ok, _, stderr) = run(&["keys", "revoke", "nosuchkey", "--database-url", &url]);
    assert!(!ok && stderr.contains("no key"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_server_prints_its_first_admin_key_once_with_a_sign_in_link() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("first.db").display());
    let (addr, mut server) = serve_binary(&url, false).await;
    let stderr = server.0.stderr.take().unwrap();
    let link = tokio::task::spawn_blocking(move || {
        BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .find(|l| l.contains("/sign-in#key="))
    });
    let link = tokio::time::timeout(Duration::from_secs(60), link)
        .await
        .unwrap()
        .unwrap()
        .expect("no sign-in link printed");
    let key = link.split("#key=").nth(1).unwrap().trim().to_owned();
    assert!(
        link.contains(&format!("http://{addr}/sign-in#key=rtk_")),
        "{link}"
    );
    assert_eq!(status_with(addr, "GET", "/api/keys", &key).await, 200);
    let none = send(
        addr,
        "GET",
        "/api/products",
        &[("authorization", "none")],
        vec![],
    )
    .await;
    assert_eq!(none.status, 401);
    assert!(
        none.headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
}

#[test]
fn anonymous_changes_are_refused_beyond_loopback() {
    let (ok, _, stderr) = run(&[
        "serve",
        "--bind",
        "0.0.0.0:0",
        "--anonymous",
        "analyst",
        "--database-url",
        "sqlite://unused.db",
    ]);
    assert!(!ok);
    assert!(stderr.contains("loopback"), "{stderr}");
    let (ok, _, stderr) = run(&["serve", "--bind", "127.0.0.1:0", "--anonymous", "boss"]);
    assert!(!ok && stderr.contains("unknown role"), "{stderr}");
}
