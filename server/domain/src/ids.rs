//! French health identifiers and contact fields, parsed once at the edge ("parse, don't
//! validate"): inside the server a value of these types is well-formed.

use std::fmt;

/// RPPS: répertoire partagé des professionnels de santé, 11 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rpps(String);

/// FINESS: fichier national des établissements sanitaires et sociaux, 9 characters: digits,
/// except Corsica whose department code is 2A or 2B.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Finess(String);

/// INS: identifiant national de santé (the NIR for most people, the NIA while it is pending):
/// 13 characters (sex 1/2/3/4/7/8, year, month, department incl. 2A/2B, commune, order) and a
/// two-digit key = 97 − (number mod 97), Corsica's 2A/2B counted as 19/18 (CNAV rules).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ins(String);

/// A phone number normalised to E.164. French national numbers (0X XX XX XX XX) become +33.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

/// An email address, trimmed and lower-cased; only its shape is checked.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

macro_rules! string_newtype {
    ($t:ty) => {
        impl $t {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}
string_newtype!(Rpps);
string_newtype!(Finess);
string_newtype!(Ins);
string_newtype!(Phone);
string_newtype!(Email);

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

impl Rpps {
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        let s = s.trim();
        if s.len() == 11 && all_digits(s) { Ok(Self(s.to_owned())) } else { Err("an RPPS number is exactly 11 digits") }
    }
}

impl Finess {
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        let s = s.trim().to_ascii_uppercase();
        let ok =
            s.len() == 9 && (all_digits(&s) || ((s.starts_with("2A") || s.starts_with("2B")) && all_digits(&s[2..])));
        if ok { Ok(Self(s)) } else { Err("a FINESS number is exactly 9 digits (2A/2B allowed for Corsica)") }
    }
}

impl Ins {
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        const SHAPE: &str =
            "an INS is 15 characters: 13 (sex, year, month, department, commune, order) and a 2-digit key";
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
        if s.len() != 15 || !s.is_ascii() {
            return Err(SHAPE);
        }
        let (body, key) = s.split_at(13);
        if !matches!(&body[..1], "1" | "2" | "3" | "4" | "7" | "8") {
            return Err("an INS starts with 1, 2 (NIR) or 3, 4, 7, 8 (NIA)");
        }
        let dept = &body[5..7];
        let numeric = match dept {
            "2A" => format!("{}19{}", &body[..5], &body[7..]),
            "2B" => format!("{}18{}", &body[..5], &body[7..]),
            _ => body.to_owned(),
        };
        if !all_digits(&numeric) || !all_digits(key) {
            return Err(SHAPE);
        }
        let n: u64 = numeric.parse().map_err(|_| SHAPE)?;
        let k: u64 = key.parse().map_err(|_| SHAPE)?;
        if 97 - n % 97 != k {
            return Err("the INS key (last two digits) does not match the number");
        }
        Ok(Self(s))
    }
}

impl Phone {
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        const MSG: &str = "a phone number is in international form (+33612345678) or French national form (0612345678)";
        let compact: String = s.chars().filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')')).collect();
        let e164 = if let Some(rest) = compact.strip_prefix('+') {
            rest.to_owned()
        } else if compact.len() == 10 && compact.starts_with('0') && !compact.starts_with("00") {
            format!("33{}", &compact[1..])
        } else {
            return Err(MSG);
        };
        if (7..=15).contains(&e164.len()) && all_digits(&e164) && !e164.starts_with('0') {
            Ok(Self(format!("+{e164}")))
        } else {
            Err(MSG)
        }
    }
}

impl Email {
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        const MSG: &str = "not an email address";
        let s = s.trim().to_lowercase();
        let Some((local, domain)) = s.split_once('@') else { return Err(MSG) };
        let ok = !local.is_empty()
            && local.len() <= 64
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
            && s.len() <= 254
            && !s.chars().any(|c| c.is_whitespace() || c.is_control());
        if ok { Ok(Self(s)) } else { Err(MSG) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nir_with_key(body: &str) -> String {
        let numeric = body.replace("2A", "19").replace("2B", "18");
        let n: u64 = numeric.parse().unwrap();
        format!("{body}{:02}", 97 - n % 97)
    }

    #[test]
    fn rpps_is_eleven_digits() {
        assert!(Rpps::parse("10003456789").is_ok());
        for bad in ["1000345678", "100034567890", "1000345678a", ""] {
            assert!(Rpps::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn finess_is_nine_digits_or_corsica() {
        assert!(Finess::parse("750000001").is_ok());
        assert_eq!(Finess::parse("2a0000012").unwrap().as_str(), "2A0000012");
        for bad in ["75000000", "7500000011", "75000000X", "2C0000012"] {
            assert!(Finess::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ins_key_is_checked() {
        let good = nir_with_key("1840376451089");
        assert!(Ins::parse(&good).is_ok());
        assert!(Ins::parse(&format!("{} ", &good)).is_ok());
        let corsica = nir_with_key("269052A123456");
        assert!(Ins::parse(&corsica).is_ok(), "{corsica}");
        let mut wrong = good.clone();
        let last = wrong.pop().unwrap();
        wrong.push(if last == '0' { '1' } else { '0' });
        assert!(Ins::parse(&wrong).is_err());
        assert!(Ins::parse("5840376451089 00").is_err());
        assert!(Ins::parse("184037645108").is_err());
    }

    #[test]
    fn phones_are_normalised() {
        assert_eq!(Phone::parse("06 12 34 56 78").unwrap().as_str(), "+33612345678");
        assert_eq!(Phone::parse("+262 692 12 34 56").unwrap().as_str(), "+262692123456");
        for bad in ["12345", "0012345678", "+0612345678", "06123456789", "abc"] {
            assert!(Phone::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails_are_lower_cased() {
        assert_eq!(Email::parse(" IDEC@Demo.Relais.Test ").unwrap().as_str(), "idec@demo.relais.test");
        for bad in ["nope", "a@b", "@b.fr", "a b@c.fr", "a@.fr"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }
}
