//! What `conduit-migrate` prints: one line per migration, readable and stable enough to grep.

use std::io::{self, Write};

use conduit_migrations::{Applied, DryRunReport, Progress, State, Status};

pub fn status(out: &mut impl Write, table: &str, status: &Status) -> io::Result<()> {
    writeln!(out, "table {table}")?;
    for migration in &status.migrations {
        let state = match &migration.state {
            State::Applied(applied) if applied.baseline => format!("applied {} (table created with it)", applied.at),
            State::Applied(applied) => {
                format!("applied {} ({} items scanned, {} rewritten)", applied.at, applied.scanned, applied.rewritten)
            }
            State::InProgress { segments_done, segments, scanned, rewritten } => format!(
                "in progress: {segments_done} of {segments} segments done, {scanned} items scanned, {rewritten} rewritten (up resumes it)"
            ),
            State::Pending => "pending".to_owned(),
        };
        writeln!(out, "{}  {state}  {}", migration.id, migration.description)?;
    }
    for unknown in &status.unknown {
        writeln!(out, "{unknown}  applied by a newer release (unknown to this one)")?;
    }
    if let Some((holder, until)) = &status.lease {
        writeln!(out, "lease held by {holder} until {until}")?;
    }
    Ok(())
}

pub fn dry_run(out: &mut impl Write, table: &str, reports: &[DryRunReport]) -> io::Result<()> {
    if reports.is_empty() {
        return writeln!(out, "table {table}: every migration is applied; nothing to do");
    }
    writeln!(out, "table {table}: dry run, nothing written")?;
    for report in reports {
        writeln!(
            out,
            "{}  would rewrite {} of {} items  {}",
            report.id, report.would_rewrite, report.scanned, report.description
        )?;
        for example in &report.examples {
            writeln!(out, "  {example}")?;
        }
    }
    Ok(())
}

pub fn applied(out: &mut impl Write, table: &str, applied: &[Applied]) -> io::Result<()> {
    if applied.is_empty() {
        return writeln!(out, "table {table}: every migration is applied; nothing to do");
    }
    for migration in applied {
        writeln!(
            out,
            "{}  applied to {table} ({} items scanned, {} rewritten)",
            migration.id, migration.scanned, migration.rewritten
        )?;
    }
    Ok(())
}

pub fn progress_line(progress: &Progress) -> String {
    let done = if progress.segment_done { ", segment done" } else { "" };
    format!(
        "{} segment {}/{}: {} items scanned, {} rewritten{done}",
        progress.migration,
        progress.segment + 1,
        progress.segments,
        progress.scanned,
        progress.rewritten
    )
}
