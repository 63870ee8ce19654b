//! Telephone numbers as a patient reads them. Numbers are stored and linked (`tel:`) in the
//! international form (+33…); in a sentence a French number is written the French way, in pairs
//! from its leading 0 ("02 99 00 00 00"), which is how a patient dials and checks it. A number
//! of another country, or one that is not a plain French number, is left as it was entered.

/// "+33299000000", "0299000000" or "02 99 00 00 00" → "02 99 00 00 00"; anything else as is.
pub fn display(phone: &str) -> String {
    let trimmed = phone.trim();
    let compact: String = trimmed.chars().filter(|c| !matches!(c, ' ' | '.' | '-' | '\u{a0}')).collect();
    let national = if let Some(rest) = compact.strip_prefix("+33") { format!("0{rest}") } else { compact };
    let french = national.len() == 10
        && national.starts_with('0')
        && !national.starts_with("00")
        && national.chars().all(|c| c.is_ascii_digit());
    if !french {
        return trimmed.to_owned();
    }
    national.as_bytes().chunks(2).map(|p| std::str::from_utf8(p).unwrap_or_default()).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::display;

    #[test]
    fn french_numbers_are_written_in_pairs_others_as_entered() {
        assert_eq!(display("+33299000000"), "02 99 00 00 00");
        assert_eq!(display("0299000000"), "02 99 00 00 00");
        assert_eq!(display(" 02.99.00.00.00 "), "02 99 00 00 00");
        assert_eq!(display("+33 6 12 34 56 78"), "06 12 34 56 78");
        // Overseas departments dial as +262, +596…: left as entered, never guessed.
        assert_eq!(display("+262262123456"), "+262262123456");
        assert_eq!(display("15"), "15");
        assert_eq!(display("+3329900000"), "+3329900000");
        assert_eq!(display("0099000000"), "0099000000");
    }
}
