//! `relais triage CASE.json`: the grading and triage engine on one case (docs/api.md format),
//! with the configured rules and no database; the result as JSON on stdout, exit 2 on invalid
//! input.

use std::path::PathBuf;

use super::usage;
use crate::domain::triage;

#[derive(Debug, clap::Args)]
pub struct TriageArgs {
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Language of the advice texts (fr or en); default: the site's.
    #[arg(long)]
    pub locale: Option<String>,
    /// The 24 h number to put in red advice.
    #[arg(long)]
    pub team_phone: Option<String>,
    pub case: PathBuf,
}

pub fn run(a: TriageArgs) -> anyhow::Result<()> {
    let (settings, rules) = super::load(a.config.as_ref())?;
    let locale = a.locale.unwrap_or(settings.site.locale);
    let Some(locale) = triage::Locale::parse(&locale) else { return usage("--locale: fr or en") };
    let case = &a.case;
    let text = std::fs::read_to_string(case).or_else(|e| usage(format!("{}: {e}", case.display())))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).or_else(|e| usage(format!("{}: not JSON: {e}", case.display())))?;
    let case = triage::parse_case(&value, &rules.catalog).or_else(|e| usage(e.to_string()))?;
    let ctx = triage::AdviceContext { locale, team_phone: a.team_phone };
    let result = triage::evaluate(&rules.triage, &rules.catalog, &case, &ctx).or_else(|e| usage(e.to_string()))?;
    println!("{}", serde_json::to_string_pretty(&result)?);
    Ok(())
}
