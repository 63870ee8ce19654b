//! `relais indicators`: the evaluation indicators of a period (docs/indicators.md) as JSON or
//! CSV on stdout; exit 2 on bad input.

use std::path::PathBuf;

use super::usage;
use crate::domain::indicators::{self, Period};
use crate::store;

#[derive(Debug, clap::Args)]
pub struct IndicatorsArgs {
    /// First day, YYYY-MM-DD (included).
    #[arg(long)]
    pub from: String,
    /// Last day, YYYY-MM-DD (included).
    #[arg(long)]
    pub to: String,
    /// json (default) or csv.
    #[arg(long, default_value = "json")]
    pub format: String,
    /// FINESS of one establishment (default: all).
    #[arg(long)]
    pub establishment: Option<String>,
    #[arg(long)]
    pub config: Option<PathBuf>,
}

pub async fn run(a: IndicatorsArgs) -> anyhow::Result<()> {
    let period =
        Period::parse(Some(&a.from), Some(&a.to)).or_else(|e| usage(format!("--{}: {}", e.field, e.message)))?;
    if !matches!(a.format.as_str(), "json" | "csv") {
        return usage("--format: json or csv");
    }
    let state = super::connect(a.config.as_ref()).await?;
    let est = match a.establishment {
        Some(f) => match store::directory::establishment_by_finess(&state.db, &f).await? {
            Some(e) => Some(e.id),
            None => return usage(format!("--establishment: no establishment with FINESS {f}")),
        },
        None => None,
    };
    let facts = store::indicators::facts(&state.db, &period, est.as_deref(), state.site_tz(), state.now()).await?;
    let ind = indicators::compute(&period, &facts);
    if a.format == "csv" {
        print!("{}", indicators::to_csv(&ind));
    } else {
        println!("{}", serde_json::to_string_pretty(&ind)?);
    }
    Ok(())
}
