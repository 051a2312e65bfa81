//! Offline dependency-advisory check: every package locked in `Cargo.lock` (and `fuzz/Cargo.lock`) against the
//! committed RustSec snapshot `audit/advisories.toml`, minus the accepted advisories of `audit/ignore.toml`.
//!
//! The matcher is pure (texts in, findings out) and is tested here on small hand-made inputs; only the one test that
//! checks the real tree reads files. Nothing here reaches the network: refreshing the snapshot is a manual step
//! described in its header, and `scripts/audit` runs cargo-audit instead when the RustSec database is reachable.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use semver::{Version, VersionReq};
use serde::Deserialize;

/// A package name and version taken from a lock file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct LockedPackage {
    name: String,
    version: Version,
}

#[derive(Deserialize)]
struct LockFile {
    #[serde(default)]
    package: Vec<LockEntry>,
}

#[derive(Deserialize)]
struct LockEntry {
    name: String,
    version: String,
    /// Absent for this workspace's own packages, which no advisory database covers.
    source: Option<String>,
}

/// What an advisory reports, as RustSec classifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Kind {
    Vulnerability,
    Unmaintained,
    Unsound,
    Notice,
    Yanked,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Kind::Vulnerability => "vulnerability",
            Kind::Unmaintained => "unmaintained",
            Kind::Unsound => "unsound",
            Kind::Notice => "notice",
            Kind::Yanked => "yanked",
        };
        f.write_str(name)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SnapshotFile {
    snapshot: SnapshotHeader,
    #[serde(default)]
    advisory: Vec<AdvisoryEntry>,
}

/// The `[snapshot]` table; its `source` line is for readers and not read here.
#[derive(Deserialize)]
struct SnapshotHeader {
    taken: String,
    checked: BTreeSet<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AdvisoryEntry {
    id: String,
    package: String,
    date: String,
    kind: Kind,
    title: String,
    patched: Vec<String>,
    unaffected: Vec<String>,
    withdrawn: Option<String>,
}

/// One advisory with its version requirements parsed.
#[derive(Debug)]
struct Advisory {
    id: String,
    package: String,
    kind: Kind,
    title: String,
    patched: Vec<VersionReq>,
    unaffected: Vec<VersionReq>,
    withdrawn: bool,
}

impl Advisory {
    /// True when `version` of the advisory's package is neither patched nor unaffected and the advisory stands.
    fn affects(&self, version: &Version) -> bool {
        !self.withdrawn && !self.patched.iter().chain(&self.unaffected).any(|req| req.matches(version))
    }
}

/// The snapshot: which package names were looked up, and the advisories found for them.
#[derive(Debug)]
struct Snapshot {
    checked: BTreeSet<String>,
    advisories: Vec<Advisory>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IgnoreFile {
    #[serde(default)]
    ignore: Vec<IgnoreEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IgnoreEntry {
    id: String,
    reason: String,
}

/// Something the check reports; any finding fails it.
#[derive(Debug, PartialEq, Eq)]
enum Finding {
    /// A locked version is affected by an advisory that is not accepted.
    Affected { package: String, version: Version, id: String, kind: Kind, title: String },
    /// An accepted advisory affects no locked package any more.
    StaleIgnore { id: String },
    /// A locked package was never looked up in the advisory database: the snapshot needs a refresh.
    NotInSnapshot { package: String },
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::Affected { package, version, id, kind, title } => {
                write!(f, "{package} {version}: {id} ({kind}) {title}")
            }
            Finding::StaleIgnore { id } => {
                write!(f, "{id} is in audit/ignore.toml but affects no locked package: remove the entry")
            }
            Finding::NotInSnapshot { package } => {
                write!(f, "{package} is locked but not in the snapshot's `checked` list: refresh audit/advisories.toml")
            }
        }
    }
}

/// The packages of one lock file that come from a registry or repository, and the patched copies of published
/// crates under `vendor/` (`vendored`: a path package has no source in the lock file, but its advisories are those
/// of the published version it copies); not this workspace's own.
fn parse_lock(text: &str, vendored: &BTreeSet<String>) -> Result<Vec<LockedPackage>, String> {
    let lock: LockFile = toml::from_str(text).map_err(|e| format!("lock file: {e}"))?;
    lock.package
        .into_iter()
        .filter(|entry| entry.source.is_some() || vendored.contains(&entry.name))
        .map(|entry| {
            let version = Version::parse(&entry.version)
                .map_err(|e| format!("lock file: {} version {:?}: {e}", entry.name, entry.version))?;
            Ok(LockedPackage { name: entry.name, version })
        })
        .collect()
}

/// A `YYYY-MM-DD` date, so that `scripts/audit` can tell the snapshot's age and dates stay comparable.
fn check_date(what: &str, text: &str) -> Result<(), String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text, format).map(drop).map_err(|e| format!("snapshot: {what} date {text:?}: {e}"))
}

fn parse_requirements(id: &str, field: &str, texts: &[String]) -> Result<Vec<VersionReq>, String> {
    texts
        .iter()
        .map(|text| VersionReq::parse(text).map_err(|e| format!("snapshot: {id} {field} {text:?}: {e}")))
        .collect()
}

/// The snapshot, with every requirement parsed and every id present once.
fn parse_snapshot(text: &str) -> Result<Snapshot, String> {
    let file: SnapshotFile = toml::from_str(text).map_err(|e| format!("snapshot: {e}"))?;
    check_date("taken", &file.snapshot.taken)?;
    let mut seen = BTreeSet::new();
    let mut advisories = Vec::with_capacity(file.advisory.len());
    for entry in file.advisory {
        if !seen.insert(entry.id.clone()) {
            return Err(format!("snapshot: {} appears twice", entry.id));
        }
        check_date(&entry.id, &entry.date)?;
        advisories.push(Advisory {
            patched: parse_requirements(&entry.id, "patched", &entry.patched)?,
            unaffected: parse_requirements(&entry.id, "unaffected", &entry.unaffected)?,
            withdrawn: entry.withdrawn.is_some(),
            id: entry.id,
            package: entry.package,
            kind: entry.kind,
            title: entry.title,
        });
    }
    Ok(Snapshot { checked: file.snapshot.checked, advisories })
}

/// The accepted advisory ids with their reasons; each id once, each with a reason.
fn parse_ignores(text: &str) -> Result<BTreeMap<String, String>, String> {
    let file: IgnoreFile = toml::from_str(text).map_err(|e| format!("ignore list: {e}"))?;
    let mut ignores = BTreeMap::new();
    for entry in file.ignore {
        if entry.reason.trim().is_empty() {
            return Err(format!("ignore list: {} has no reason", entry.id));
        }
        if ignores.insert(entry.id.clone(), entry.reason).is_some() {
            return Err(format!("ignore list: {} appears twice", entry.id));
        }
    }
    Ok(ignores)
}

/// Every finding for `locked` against `snapshot` with the `ignores` accepted, in a stable order.
fn check(locked: &BTreeSet<LockedPackage>, snapshot: &Snapshot, ignores: &BTreeMap<String, String>) -> Vec<Finding> {
    let mut findings: Vec<Finding> = locked
        .iter()
        .map(|package| &package.name)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .filter(|name| !snapshot.checked.contains(*name))
        .map(|name| Finding::NotInSnapshot { package: name.clone() })
        .collect();
    let mut ignores_in_use = BTreeSet::new();
    for package in locked {
        for advisory in snapshot.advisories.iter().filter(|a| a.package == package.name) {
            if !advisory.affects(&package.version) {
                continue;
            }
            if ignores.contains_key(&advisory.id) {
                ignores_in_use.insert(advisory.id.as_str());
            } else {
                findings.push(Finding::Affected {
                    package: package.name.clone(),
                    version: package.version.clone(),
                    id: advisory.id.clone(),
                    kind: advisory.kind,
                    title: advisory.title.clone(),
                });
            }
        }
    }
    findings.extend(
        ignores
            .keys()
            .filter(|id| !ignores_in_use.contains(id.as_str()))
            .map(|id| Finding::StaleIgnore { id: id.clone() }),
    );
    findings
}

fn read_repository_file(relative: &str) -> Option<String> {
    std::fs::read_to_string(format!("{}/{relative}", env!("CARGO_MANIFEST_DIR"))).ok()
}

/// The names of the patched published crates in `vendor/` (one directory each, named as the crate).
fn vendored_packages() -> BTreeSet<String> {
    let vendor = format!("{}/vendor", env!("CARGO_MANIFEST_DIR"));
    let Ok(entries) = std::fs::read_dir(vendor) else { return BTreeSet::new() };
    entries
        .filter_map(Result::ok)
        .filter(|entry| entry.path().is_dir())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect()
}

#[test]
fn locked_dependencies_have_no_unaccepted_advisories() {
    let vendored = vendored_packages();
    assert!(vendored.contains("oxjsonld"), "the patched oxjsonld copy is looked up like the published crate");
    let mut locked = BTreeSet::new();
    for lock_file in ["Cargo.lock", "fuzz/Cargo.lock"] {
        // fuzz/Cargo.lock is optional; Cargo.lock is not, and its absence is caught by the assertion below.
        if let Some(text) = read_repository_file(lock_file) {
            locked.extend(parse_lock(&text, &vendored).unwrap_or_else(|e| panic!("{lock_file}: {e}")));
        }
    }
    assert!(!locked.is_empty(), "no locked package found: is Cargo.lock missing?");
    let snapshot_text = read_repository_file("audit/advisories.toml").unwrap_or_default();
    let snapshot = parse_snapshot(&snapshot_text).unwrap_or_else(|e| panic!("audit/advisories.toml: {e}"));
    let ignores_text = read_repository_file("audit/ignore.toml").unwrap_or_default();
    let ignores = parse_ignores(&ignores_text).unwrap_or_else(|e| panic!("audit/ignore.toml: {e}"));

    let findings = check(&locked, &snapshot, &ignores);
    let report: Vec<String> = findings.iter().map(Finding::to_string).collect();
    assert!(findings.is_empty(), "dependency advisory check failed:\n  {}", report.join("\n  "));
}

mod matcher {
    use super::*;

    const SNAPSHOT: &str = r#"
        [snapshot]
        taken = "2026-01-01"
        source = "hand-made"
        checked = ["widget", "gadget", "gizmo"]

        [[advisory]]
        id = "RUSTSEC-0001-0001"
        package = "widget"
        date = "2025-01-01"
        kind = "vulnerability"
        title = "widget overflows"
        patched = [">= 1.4.2, < 2.0.0", ">= 2.1.0"]
        unaffected = ["< 1.0.0"]

        [[advisory]]
        id = "RUSTSEC-0001-0002"
        package = "gadget"
        date = "2025-01-02"
        kind = "unmaintained"
        title = "gadget is abandoned"
        patched = []
        unaffected = []
        withdrawn = "2025-02-01"

        [[advisory]]
        id = "RUSTSEC-0001-0003"
        package = "gizmo"
        date = "2025-01-03"
        kind = "unsound"
        title = "gizmo aliases"
        patched = ["^ 0.3.1"]
        unaffected = []
    "#;

    const CRATES_IO: &str = "registry+https://github.com/rust-lang/crates.io-index";

    fn locked(packages: &[(&str, &str)]) -> BTreeSet<LockedPackage> {
        let text: String = packages
            .iter()
            .map(|(name, version)| {
                format!("[[package]]\nname = \"{name}\"\nversion = \"{version}\"\nsource = \"{CRATES_IO}\"\n\n")
            })
            .collect();
        parse_lock(&text, &BTreeSet::new()).unwrap().into_iter().collect()
    }

    fn findings(packages: &[(&str, &str)], ignore_list: &str) -> Vec<Finding> {
        let snapshot = parse_snapshot(SNAPSHOT).unwrap();
        check(&locked(packages), &snapshot, &parse_ignores(ignore_list).unwrap())
    }

    fn affected_ids(found: &[Finding]) -> Vec<String> {
        found
            .iter()
            .filter_map(|finding| match finding {
                Finding::Affected { id, .. } => Some(id.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn an_affected_version_is_reported_with_package_version_id_and_title() {
        let found = findings(&[("widget", "1.4.1")], "");
        assert_eq!(found.len(), 1);
        let line = found[0].to_string();
        for part in ["widget", "1.4.1", "RUSTSEC-0001-0001", "vulnerability", "widget overflows"] {
            assert!(line.contains(part), "{line:?} lacks {part:?}");
        }
        assert_eq!(affected_ids(&findings(&[("widget", "2.0.5")], "")), ["RUSTSEC-0001-0001"]);
    }

    #[test]
    fn patched_versions_pass() {
        assert_eq!(findings(&[("widget", "1.4.2"), ("widget", "2.1.0"), ("gizmo", "0.3.9")], ""), []);
    }

    #[test]
    fn unaffected_versions_pass() {
        assert_eq!(findings(&[("widget", "0.9.9")], ""), []);
    }

    #[test]
    fn a_caret_patch_range_covers_only_its_minor_series() {
        assert_eq!(affected_ids(&findings(&[("gizmo", "0.3.0"), ("gizmo", "0.4.0")], "")).len(), 2);
    }

    #[test]
    fn a_withdrawn_advisory_reports_nothing() {
        assert_eq!(findings(&[("gadget", "0.1.0")], ""), []);
    }

    #[test]
    fn an_ignored_advisory_is_not_reported_while_it_still_matches() {
        let ignore_list = "[[ignore]]\nid = \"RUSTSEC-0001-0001\"\nreason = \"accepted until 1.4.2 ships\"\n";
        assert_eq!(findings(&[("widget", "1.4.1")], ignore_list), []);
    }

    #[test]
    fn an_ignore_entry_that_matches_no_locked_package_is_stale() {
        let ignore_list = "[[ignore]]\nid = \"RUSTSEC-0001-0001\"\nreason = \"accepted until 1.4.2 ships\"\n";
        assert_eq!(
            findings(&[("widget", "1.4.2")], ignore_list),
            [Finding::StaleIgnore { id: "RUSTSEC-0001-0001".into() }]
        );
    }

    #[test]
    fn a_locked_package_missing_from_the_snapshot_asks_for_a_refresh() {
        assert_eq!(findings(&[("newcomer", "1.0.0")], ""), [Finding::NotInSnapshot { package: "newcomer".into() }]);
    }

    #[test]
    fn the_workspace_own_packages_are_not_looked_up() {
        let lock = format!(
            "[[package]]\nname = \"newcomer\"\nversion = \"0.1.0\"\n\n\
             [[package]]\nname = \"widget\"\nversion = \"1.4.2\"\nsource = \"{CRATES_IO}\"\n"
        );
        let names: Vec<String> =
            parse_lock(&lock, &BTreeSet::new()).unwrap().into_iter().map(|package| package.name).collect();
        assert_eq!(names, ["widget"]);
        let vendored = BTreeSet::from(["newcomer".to_owned()]);
        let names: Vec<String> =
            parse_lock(&lock, &vendored).unwrap().into_iter().map(|package| package.name).collect();
        assert_eq!(names, ["newcomer", "widget"], "a patched copy under vendor/ is looked up as the crate it copies");
    }

    #[test]
    fn malformed_inputs_are_refused_with_the_place_named() {
        let bad_requirement = SNAPSHOT.replace("\"< 1.0.0\"", "\"before one\"");
        let error = parse_snapshot(&bad_requirement).unwrap_err();
        assert!(error.contains("RUSTSEC-0001-0001") && error.contains("before one"), "{error}");

        let bad_date = SNAPSHOT.replace("2026-01-01", "01/01/2026");
        assert!(parse_snapshot(&bad_date).unwrap_err().contains("01/01/2026"));

        let no_reason = "[[ignore]]\nid = \"RUSTSEC-0001-0001\"\nreason = \" \"\n";
        assert!(parse_ignores(no_reason).unwrap_err().contains("no reason"));

        let twice = "[[ignore]]\nid = \"X\"\nreason = \"a\"\n[[ignore]]\nid = \"X\"\nreason = \"b\"\n";
        assert!(parse_ignores(twice).unwrap_err().contains("twice"));

        let bad_version = format!("[[package]]\nname = \"widget\"\nversion = \"one\"\nsource = \"{CRATES_IO}\"\n");
        assert!(parse_lock(&bad_version, &BTreeSet::new()).unwrap_err().contains("widget"));
    }
}
