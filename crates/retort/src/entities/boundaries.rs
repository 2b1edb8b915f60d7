//! The entity boundaries, checked on the source: every table belongs to one entity, only
//! that entity's `model.rs` names it in SQL, no module outside an entity names the
//! entity's `model`, and the kernel names no entity but the registry's entry points.

use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The file's text without `//` comments (doc comments included), so prose may name a
/// table.
fn code(path: &Path) -> String {
    let mut text = std::fs::read_to_string(path).unwrap_or_default();
    // An entity's declaration of what it owns is not a use.
    while let Some(i) = text.find("pub const TABLES") {
        let end = text[i..].find(';').map_or(text.len(), |j| i + j + 1);
        text.replace_range(i..end, "");
    }
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether `text` has `needle` followed by something that cannot continue an identifier.
fn names(text: &str, needle: &str) -> bool {
    text.match_indices(needle).any(|(i, _)| {
        !text[i + needle.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// The entity folder a source file belongs to, and whether it is part of that entity's
/// model.
fn place(path: &Path) -> (Option<String>, bool) {
    let rel = path.strip_prefix(src().join("entities")).ok();
    let entity = rel
        .and_then(|r| r.components().next())
        .and_then(|c| c.as_os_str().to_str())
        .filter(|c| !c.ends_with(".rs"))
        .map(str::to_owned);
    // `model.rs`, or a file of its `model/` folder.
    let is_model = rel.is_some_and(|r| {
        let parts: Vec<_> = r.components().collect();
        (parts.len() == 2 && parts[1].as_os_str() == "model.rs")
            || (parts.len() == 3 && parts[1].as_os_str() == "model")
    });
    (entity, is_model)
}

#[test]
fn every_table_in_the_migrations_belongs_to_exactly_one_entity() {
    let owners = super::owners();
    for backend in ["sqlite", "postgres"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(backend);
        let mut created = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap();
            for word in ["CREATE TABLE ", "CREATE VIEW "] {
                for (i, _) in text.match_indices(word) {
                    let name: String = text[i + word.len()..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    created.push(name);
                }
            }
        }
        for table in &created {
            let claimed: Vec<&str> = owners
                .iter()
                .filter(|(_, tables)| tables.contains(&table.as_str()))
                .map(|(e, _)| *e)
                .collect();
            assert_eq!(
                claimed.len(),
                1,
                "{backend}: table {table} is claimed by {claimed:?}; exactly one entity's TABLES must list it"
            );
        }
        for (entity, tables) in &owners {
            for t in *tables {
                assert!(
                    created.contains(&(*t).to_owned()),
                    "{entity} claims {t}, which no {backend} migration creates"
                );
            }
        }
    }
}

#[test]
fn only_the_owning_entitys_model_names_a_table_in_sql() {
    let owners = super::owners();
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    assert!(files.len() > 50, "the source tree was not found");
    let mut found = Vec::new();
    for file in &files {
        if file.ends_with("entities/boundaries.rs") {
            continue;
        }
        let text = code(file);
        let (entity, is_model) = place(file);
        for (owner, tables) in &owners {
            if is_model && entity.as_deref() == Some(*owner) {
                continue;
            }
            for table in *tables {
                let patterns = [
                    format!("FROM {table}"),
                    format!("JOIN {table}"),
                    format!("INTO {table}"),
                    format!("UPDATE {table}"),
                    format!("TABLE {table}"),
                    format!("analyze(\"{table}\")"),
                ];
                for p in &patterns {
                    if names(&text, p) {
                        found.push(format!(
                            "{}: `{p}` — {table} belongs to {owner}; ask {owner}'s public API",
                            file.strip_prefix(src()).unwrap_or(file).display()
                        ));
                    }
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "SQL outside its owner:\n{}",
        found.join("\n")
    );
}

#[test]
fn no_module_outside_an_entity_names_its_model() {
    let owners = super::owners();
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut found = Vec::new();
    for file in &files {
        if file.ends_with("entities/boundaries.rs") {
            continue;
        }
        let text = code(file);
        let (entity, _) = place(file);
        for (owner, _) in &owners {
            if entity.as_deref() == Some(*owner) {
                continue;
            }
            let needle = format!("entities::{owner}::model");
            if names(&text, &needle) {
                found.push(format!(
                    "{}: names {needle}",
                    file.strip_prefix(src()).unwrap_or(file).display()
                ));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}
