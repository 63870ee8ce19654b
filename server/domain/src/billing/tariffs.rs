//! The tariff file `config/tariffs/onco-link.toml`: versions by valid-from date, per parcours and
//! sequence a total and its split per actor, in integer cents. Read by walking the TOML tree so
//! that every refusal names its key (`version[0].A.S2.shares`), floats included.

use chrono::NaiveDate;
use toml::{Table, Value};

use super::Actor;
use crate::{Parcours, Sequence};

/// Where the tariffs live; every error starts with it so that start-up names the file.
pub const TARIFFS_FILE: &str = "config/tariffs/onco-link.toml";

const PARCOURS: [Parcours; 2] = [Parcours::A, Parcours::B];
const SEQUENCES: [Sequence; 3] = [Sequence::S1, Sequence::S2, Sequence::S3];

/// The forfait of one parcours and sequence: its total and the share of each actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Forfait {
    pub total_cents: i64,
    pub hospital_cents: i64,
    pub pharmacy_cents: i64,
    pub gp_cents: i64,
}

impl Forfait {
    pub fn share(&self, actor: Actor) -> i64 {
        match actor {
            Actor::Hospital => self.hospital_cents,
            Actor::Pharmacy => self.pharmacy_cents,
            Actor::Gp => self.gp_cents,
        }
    }
}

/// One tariff version; complete by construction (every parcours × sequence is present).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TariffVersion {
    pub id: String,
    pub valid_from: NaiveDate,
    /// `split = "placeholder"`: the shares were not set from the official specification yet.
    pub split_is_placeholder: bool,
    forfaits: [[Forfait; 3]; 2],
}

impl TariffVersion {
    pub fn forfait(&self, parcours: Parcours, kind: Sequence) -> Forfait {
        self.forfaits[parcours as usize][kind as usize]
    }
}

/// Every tariff version, sorted by `valid_from` (strictly increasing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tariffs {
    versions: Vec<TariffVersion>,
}

impl Tariffs {
    /// Parses and validates the tariff file; the error names the file and the key.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        parse(text).map_err(|e| format!("{TARIFFS_FILE}: {e}"))
    }

    /// The version in force on `date`: the latest one whose `valid_from` is on or before it.
    pub fn in_force(&self, date: NaiveDate) -> Option<&TariffVersion> {
        self.versions.iter().rev().find(|v| v.valid_from <= date)
    }

    pub fn versions(&self) -> &[TariffVersion] {
        &self.versions
    }
}

fn parse(text: &str) -> Result<Tariffs, String> {
    let root: Table = text.parse().map_err(|e: toml::de::Error| e.to_string())?;
    only_keys(&root, "", &["version"])?;
    let Some(list) = root.get("version") else {
        return Err("version: missing (at least one [[version]] is needed)".into());
    };
    let Value::Array(list) = list else { return Err("version: must be an array of tables ([[version]])".into()) };
    if list.is_empty() {
        return Err("version: at least one [[version]] is needed".into());
    }
    let mut versions: Vec<TariffVersion> = Vec::with_capacity(list.len());
    for (i, v) in list.iter().enumerate() {
        let at = format!("version[{i}]");
        let version = version(v, &at)?;
        if let Some(prev) = versions.iter().find(|p| p.id == version.id) {
            return Err(format!("{at}.id: `{}` is already the id of version valid from {}", prev.id, prev.valid_from));
        }
        if let Some(prev) = versions.last()
            && version.valid_from <= prev.valid_from
        {
            return Err(format!(
                "{at}.valid_from: {} is not after version[{}].valid_from {} (versions overlap; list them in \
                 strictly increasing date order)",
                version.valid_from,
                i - 1,
                prev.valid_from
            ));
        }
        versions.push(version);
    }
    Ok(Tariffs { versions })
}

fn version(v: &Value, at: &str) -> Result<TariffVersion, String> {
    let t = table(v, at)?;
    only_keys(t, at, &["id", "valid_from", "split", "A", "B"])?;
    let id = string(t, at, "id")?;
    if id.trim().is_empty() {
        return Err(format!("{at}.id: must not be empty"));
    }
    let raw_from = string(t, at, "valid_from")?;
    let valid_from = NaiveDate::parse_from_str(&raw_from, "%Y-%m-%d")
        .map_err(|_| format!("{at}.valid_from: `{raw_from}` is not a date written YYYY-MM-DD"))?;
    let split_is_placeholder = match string(t, at, "split")?.as_str() {
        "placeholder" => true,
        "official" => false,
        other => return Err(format!("{at}.split: `{other}` is neither \"placeholder\" nor \"official\"")),
    };
    let mut forfaits = [[Forfait { total_cents: 0, hospital_cents: 0, pharmacy_cents: 0, gp_cents: 0 }; 3]; 2];
    for p in PARCOURS {
        let p_at = format!("{at}.{}", p.as_str());
        let pt = table(t.get(p.as_str()).ok_or_else(|| format!("{p_at}: missing"))?, &p_at)?;
        only_keys(pt, &p_at, &SEQUENCES.map(Sequence::as_str))?;
        for s in SEQUENCES {
            let s_at = format!("{p_at}.{}", s.as_str());
            let st = pt.get(s.as_str()).ok_or_else(|| format!("{s_at}: missing"))?;
            forfaits[p as usize][s as usize] = forfait(st, &s_at)?;
        }
    }
    Ok(TariffVersion { id, valid_from, split_is_placeholder, forfaits })
}

fn forfait(v: &Value, at: &str) -> Result<Forfait, String> {
    let t = table(v, at)?;
    only_keys(t, at, &["total_cents", "shares"])?;
    let total_cents = cents(t, at, "total_cents")?;
    if total_cents == 0 {
        return Err(format!("{at}.total_cents: a forfait of 0 cents is not a forfait"));
    }
    let s_at = format!("{at}.shares");
    let shares = table(t.get("shares").ok_or_else(|| format!("{s_at}: missing"))?, &s_at)?;
    only_keys(shares, &s_at, &["hospital", "pharmacy", "gp"])?;
    let f = Forfait {
        total_cents,
        hospital_cents: cents(shares, &s_at, "hospital")?,
        pharmacy_cents: cents(shares, &s_at, "pharmacy")?,
        gp_cents: cents(shares, &s_at, "gp")?,
    };
    let sum = f.hospital_cents + f.pharmacy_cents + f.gp_cents;
    if sum != total_cents {
        return Err(format!(
            "{s_at}: {} + {} + {} = {sum} ≠ total {total_cents} (hospital + pharmacy + gp must equal total_cents)",
            f.hospital_cents, f.pharmacy_cents, f.gp_cents
        ));
    }
    Ok(f)
}

fn table<'a>(v: &'a Value, at: &str) -> Result<&'a Table, String> {
    v.as_table().ok_or_else(|| format!("{at}: must be a table, not {}", v.type_str()))
}

fn string(t: &Table, at: &str, key: &str) -> Result<String, String> {
    match t.get(key) {
        None => Err(format!("{at}.{key}: missing")),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(v) => Err(format!("{at}.{key}: must be a string, not {}", v.type_str())),
    }
}

/// A TOML integer ≥ 0; a float (`357.5`, even `357.0`) is refused: money is integer cents.
fn cents(t: &Table, at: &str, key: &str) -> Result<i64, String> {
    match t.get(key) {
        None => Err(format!("{at}.{key}: missing")),
        Some(Value::Integer(n)) if *n >= 0 => Ok(*n),
        Some(Value::Integer(n)) => Err(format!("{at}.{key}: {n} is negative (amounts are cents ≥ 0)")),
        Some(Value::Float(x)) => {
            Err(format!("{at}.{key}: {x} is not an integer (amounts are integer cents: 357 € = 35700)"))
        }
        Some(v) => Err(format!("{at}.{key}: must be an integer number of cents, not {}", v.type_str())),
    }
}

fn only_keys(t: &Table, at: &str, allowed: &[&str]) -> Result<(), String> {
    match t.keys().find(|k| !allowed.contains(&k.as_str())) {
        None => Ok(()),
        Some(k) => {
            let path = if at.is_empty() { k.clone() } else { format!("{at}.{k}") };
            Err(format!("{path}: unknown key (expected one of: {})", allowed.join(", ")))
        }
    }
}
