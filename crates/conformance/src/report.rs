//! Rendering conformance reports (text, JSON, JUnit XML, HTML) and merging several reports into an implementation
//! matrix (HTML or Markdown): rows are checks, columns are implementations, cells pass / fail / n/a, with totals.
//!
//! Pure: reports in, text out; reading and writing files is the command line's job.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::{CheckResult, Outcome, Report, Totals};

/// Output formats of a single report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    /// Human-readable lines: failures in detail, then totals.
    Text,
    /// The [`Report`] as JSON (the input of [`matrix`]).
    Json,
    /// JUnit XML, for CI systems.
    Junit,
    /// A standalone HTML page.
    Html,
}

/// Output formats of a matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatrixFormat {
    /// A standalone HTML page.
    Html,
    /// A Markdown table.
    Markdown,
}

/// Renders `report` in `format`.
pub fn render(report: &Report, format: ReportFormat) -> String {
    match format {
        ReportFormat::Text => text(report),
        ReportFormat::Json => serde_json::to_string_pretty(report).unwrap_or_default(),
        ReportFormat::Junit => junit(report),
        ReportFormat::Html => html(report),
    }
}

fn totals_line(totals: Totals) -> String {
    format!("{} pass, {} fail, {} n/a", totals.pass, totals.fail, totals.not_applicable)
}

fn text(report: &Report) -> String {
    let mut out = format!(
        "{} conformance of {} ({}) at {}\n",
        report.suite, report.implementation, report.target, report.started
    );
    for result in &report.results {
        let _ = writeln!(out, "{:<4} {}  {}", result.outcome.label(), result.id, result.title);
        if let Outcome::Fail { expected, observed } = &result.outcome {
            let _ = writeln!(out, "       clause:   {}", result.clause);
            let _ = writeln!(out, "       request:  {}", result.request);
            let _ = writeln!(out, "       expected: {expected}");
            let _ = writeln!(out, "       observed: {observed}");
        }
    }
    let _ = writeln!(out, "{}", totals_line(report.totals()));
    out
}

/// Escapes text for HTML and XML content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn junit(report: &Report) -> String {
    let totals = report.totals();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuite name=\"{} conformance: {}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" timestamp=\"{}\">",
        escape(&report.suite),
        escape(&report.implementation),
        report.results.len(),
        totals.fail,
        totals.not_applicable,
        escape(&report.started)
    );
    for result in &report.results {
        let _ = write!(out, "  <testcase classname=\"{}\" name=\"{}\">", escape(&result.clause), escape(&result.id));
        match &result.outcome {
            Outcome::Pass => {}
            Outcome::Fail { expected, observed } => {
                let _ = write!(
                    out,
                    "<failure message=\"{}\">request: {}\nexpected: {}\nobserved: {}</failure>",
                    escape(&result.title),
                    escape(&result.request),
                    escape(expected),
                    escape(observed)
                );
            }
            Outcome::NotApplicable { reason } => {
                let _ = write!(out, "<skipped message=\"{}\"/>", escape(reason));
            }
        }
        out.push_str("</testcase>\n");
    }
    out.push_str("</testsuite>\n");
    out
}

const STYLE: &str = "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}\
td,th{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}\
.pass{background:#dfd}.fail{background:#fdd}.na{background:#eee}code{font-size:90%}";

fn css_class(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Pass => "pass",
        Outcome::Fail { .. } => "fail",
        Outcome::NotApplicable { .. } => "na",
    }
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{0}</title><style>{STYLE}</style></head>\n\
         <body><h1>{0}</h1>\n{body}</body></html>\n",
        escape(title)
    )
}

fn html(report: &Report) -> String {
    let mut body = format!(
        "<p>Target <code>{}</code>, run {}, {}. {}.</p>\n<table><tr><th>check</th><th>result</th><th>clause</th><th>details</th></tr>\n",
        escape(&report.target),
        escape(&report.started),
        escape(&report.tool),
        totals_line(report.totals())
    );
    for result in &report.results {
        let details = match &result.outcome {
            Outcome::Pass => String::new(),
            Outcome::Fail { expected, observed } => format!(
                "<b>request</b> <code>{}</code><br><b>expected</b> {}<br><b>observed</b> <code>{}</code>",
                escape(&result.request),
                escape(expected),
                escape(observed)
            ),
            Outcome::NotApplicable { reason } => escape(reason),
        };
        let _ = writeln!(
            body,
            "<tr><td><code>{}</code><br>{}</td><td class=\"{}\">{}</td><td>{}</td><td>{details}</td></tr>",
            escape(&result.id),
            escape(&result.title),
            css_class(&result.outcome),
            result.outcome.label(),
            escape(&result.clause)
        );
    }
    body.push_str("</table>\n");
    page(&format!("{} conformance: {}", report.suite, report.implementation), &body)
}

/// One row of a matrix: a check and each implementation's outcome (`None` when a report lacks the check).
struct Row<'a> {
    result: &'a CheckResult,
    cells: Vec<Option<&'a Outcome>>,
}

/// The rows of one suite.
struct Group<'a> {
    suite: &'a str,
    rows: Vec<Row<'a>>,
}

/// Rows grouped by suite, suites and checks in the order they first appear across the reports. A check belongs to
/// its suite: the same id in two suites makes two rows.
fn groups(reports: &[Report]) -> Vec<Group<'_>> {
    let lookups: Vec<BTreeMap<(&str, &str), &Outcome>> = reports
        .iter()
        .map(|report| {
            report.results.iter().map(|result| ((report.suite.as_str(), result.id.as_str()), &result.outcome)).collect()
        })
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    let mut groups: Vec<Group<'_>> = Vec::new();
    for report in reports {
        for result in &report.results {
            let key = (report.suite.as_str(), result.id.as_str());
            if !seen.insert(key) {
                continue;
            }
            let cells = lookups.iter().map(|lookup| lookup.get(&key).copied()).collect();
            let row = Row { result, cells };
            match groups.iter_mut().find(|group| group.suite == report.suite) {
                Some(group) => group.rows.push(row),
                None => groups.push(Group { suite: &report.suite, rows: vec![row] }),
            }
        }
    }
    groups
}

/// The matrix's title: named after its one suite, or general when it mixes suites.
fn matrix_title(reports: &[Report]) -> &'static str {
    let first = reports.first().map(|report| report.suite.as_str());
    if reports.iter().any(|report| Some(report.suite.as_str()) != first) {
        return "Implementation matrix";
    }
    match first {
        Some("registry") => "Trust registry (TRQP v2) implementation matrix",
        _ => "DID resolver implementation matrix",
    }
}

/// Merges reports into an implementation matrix in `format`.
pub fn matrix(reports: &[Report], format: MatrixFormat) -> String {
    match format {
        MatrixFormat::Html => matrix_html(reports),
        MatrixFormat::Markdown => matrix_markdown(reports),
    }
}

fn matrix_markdown(reports: &[Report]) -> String {
    let mut out = format!("# {}\n\n", matrix_title(reports));
    for report in reports {
        let _ = writeln!(
            out,
            "- **{}** ({} suite): `{}`, run {} with {}",
            report.implementation, report.suite, report.target, report.started, report.tool
        );
    }
    out.push_str("\n| check | clause |");
    reports.iter().for_each(|report| out.push_str(&format!(" {} |", markdown_cell(&report.implementation))));
    out.push_str("\n|---|---|");
    reports.iter().for_each(|_| out.push_str("---|"));
    out.push('\n');
    out.push_str("| **totals** (pass / fail / n/a) | |");
    totals_cells(reports).iter().for_each(|cell| out.push_str(&format!(" {cell} |")));
    out.push('\n');
    for group in groups(reports) {
        let _ = writeln!(out, "| **{} suite** | |{}", group.suite, " |".repeat(reports.len()));
        for row in group.rows {
            markdown_row(&mut out, &row);
        }
    }
    out
}

fn markdown_row(out: &mut String, row: &Row<'_>) {
    let _ = write!(
        out,
        "| `{}` {} | {} |",
        row.result.id,
        markdown_cell(&row.result.title),
        markdown_cell(&row.result.clause)
    );
    for cell in &row.cells {
        let _ = write!(out, " {} |", cell.map_or("—", Outcome::label));
    }
    out.push('\n');
}

/// The totals row: `pass / fail / n/a` per report.
fn totals_cells(reports: &[Report]) -> Vec<String> {
    reports
        .iter()
        .map(|report| {
            let totals = report.totals();
            format!("{} / {} / {}", totals.pass, totals.fail, totals.not_applicable)
        })
        .collect()
}

fn markdown_cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn matrix_html(reports: &[Report]) -> String {
    let mut body = String::from("<ul>\n");
    for report in reports {
        let _ = writeln!(
            body,
            "<li><b>{}</b> ({} suite): <code>{}</code>, run {} with {}</li>",
            escape(&report.implementation),
            escape(&report.suite),
            escape(&report.target),
            escape(&report.started),
            escape(&report.tool)
        );
    }
    body.push_str("</ul>\n<table><tr><th>check</th><th>clause</th>");
    reports.iter().for_each(|report| body.push_str(&format!("<th>{}</th>", escape(&report.implementation))));
    body.push_str("</tr>\n<tr><th>totals (pass / fail / n/a)</th><th></th>");
    totals_cells(reports).iter().for_each(|cell| body.push_str(&format!("<th>{cell}</th>")));
    body.push_str("</tr>\n");
    for group in groups(reports) {
        let _ = writeln!(body, "<tr><th colspan=\"{}\">{} suite</th></tr>", reports.len() + 2, escape(group.suite));
        for row in group.rows {
            html_row(&mut body, &row);
        }
    }
    body.push_str("</table>\n");
    page(matrix_title(reports), &body)
}

fn html_row(body: &mut String, row: &Row<'_>) {
    let _ = write!(
        body,
        "<tr><td><code>{}</code><br>{}</td><td>{}</td>",
        escape(&row.result.id),
        escape(&row.result.title),
        escape(&row.result.clause)
    );
    for cell in &row.cells {
        match cell {
            Some(outcome) => {
                let tip = match outcome {
                    Outcome::Fail { expected, observed } => format!("expected: {expected}\nobserved: {observed}"),
                    Outcome::NotApplicable { reason } => reason.clone(),
                    Outcome::Pass => String::new(),
                };
                let _ = write!(
                    body,
                    "<td class=\"{}\" title=\"{}\">{}</td>",
                    css_class(outcome),
                    escape(&tip),
                    outcome.label()
                );
            }
            None => body.push_str("<td>—</td>"),
        }
    }
    body.push_str("</tr>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(name: &str, outcomes: &[(&str, Outcome)]) -> Report {
        Report {
            suite: "resolver".to_owned(),
            implementation: name.to_owned(),
            target: format!("http://{name}"),
            started: "2026-01-01T00:00:00Z".to_owned(),
            tool: "test".to_owned(),
            results: outcomes
                .iter()
                .map(|(id, outcome)| CheckResult {
                    id: (*id).to_owned(),
                    title: format!("title <{id}>"),
                    clause: "clause".to_owned(),
                    request: "GET x".to_owned(),
                    outcome: outcome.clone(),
                })
                .collect(),
        }
    }

    fn fail() -> Outcome {
        Outcome::Fail { expected: "HTTP 400".to_owned(), observed: "HTTP 200 & <html>".to_owned() }
    }

    #[test]
    fn json_round_trips_for_the_matrix() {
        let original =
            report("a", &[("x", Outcome::Pass), ("y", fail()), ("z", Outcome::NotApplicable { reason: "r".into() })]);
        let parsed: Report = serde_json::from_str(&render(&original, ReportFormat::Json)).unwrap();
        assert_eq!(parsed, original);
    }

    #[test]
    fn matrix_has_a_column_per_implementation_totals_and_gaps() {
        let a = report("alpha", &[("x", Outcome::Pass), ("y", fail())]);
        let b = report("beta", &[("x", fail())]);
        let markdown = matrix(&[a.clone(), b.clone()], MatrixFormat::Markdown);
        assert!(markdown.contains("| check | clause | alpha | beta |"), "{markdown}");
        assert!(markdown.contains("| 1 / 1 / 0 | 0 / 1 / 0 |"), "{markdown}");
        assert!(markdown.contains("| `y` title <y> | clause | fail | — |"), "{markdown}");
        let html = matrix(&[a, b], MatrixFormat::Html);
        assert!(html.contains("observed: HTTP 200 &amp; &lt;html&gt;"), "failure details are escaped in the tooltip");
    }

    #[test]
    fn matrix_groups_rows_by_suite_and_keeps_equal_ids_apart() {
        let resolver = report("node", &[("x", Outcome::Pass)]);
        let registry = Report { suite: "registry".to_owned(), ..report("registry-node", &[("x", fail())]) };
        let markdown = matrix(&[resolver.clone(), registry.clone()], MatrixFormat::Markdown);
        assert!(markdown.starts_with("# Implementation matrix"), "{markdown}");
        let resolver_rows = markdown.find("| **resolver suite** | | | |").expect("resolver heading");
        let registry_rows = markdown.find("| **registry suite** | | | |").expect("registry heading");
        let resolver_x = markdown.find("| `x` title <x> | clause | pass | — |").expect("resolver row");
        let registry_x = markdown.find("| `x` title <x> | clause | — | fail |").expect("registry row");
        assert!(resolver_rows < resolver_x && resolver_x < registry_rows && registry_rows < registry_x, "{markdown}");
        let html = matrix(&[registry, resolver], MatrixFormat::Html);
        assert!(html.contains("<title>Implementation matrix</title>"), "{html}");
        assert!(html.find(">registry suite</th>") < html.find(">resolver suite</th>"), "suites in order of appearance");
    }

    #[test]
    fn junit_counts_failures_and_skips() {
        let xml = render(
            &report("a", &[("x", fail()), ("z", Outcome::NotApplicable { reason: "r".into() })]),
            ReportFormat::Junit,
        );
        assert!(xml.contains("tests=\"2\" failures=\"1\" skipped=\"1\""), "{xml}");
        assert!(xml.contains("observed: HTTP 200 &amp; &lt;html&gt;</failure>"), "{xml}");
    }
}
