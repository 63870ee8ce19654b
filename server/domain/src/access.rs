//! Who may see which patient (docs/domain.md, "Actors"). Pure: the store gathers the facts,
//! this decides. Out of scope is answered as "not found" so existence is not revealed.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Idec,
    Oncologist,
    HospitalPharmacist,
    CommunityPharmacist,
    Gp,
    Admin,
    /// The establishment's billing office: forfait lines and statements, no patient data.
    Billing,
    /// The community nurse (IDEL, identified by RPPS): like a GP, belongs to no establishment
    /// and sees only the patients whose current team names them.
    CommunityNurse,
}

impl Role {
    pub const ALL: [Self; 8] = [
        Self::Idec,
        Self::Oncologist,
        Self::HospitalPharmacist,
        Self::CommunityPharmacist,
        Self::Gp,
        Self::Admin,
        Self::Billing,
        Self::CommunityNurse,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Idec => "idec",
            Self::Oncologist => "oncologist",
            Self::HospitalPharmacist => "hospital_pharmacist",
            Self::CommunityPharmacist => "community_pharmacist",
            Self::Gp => "gp",
            Self::Admin => "admin",
            Self::Billing => "billing",
            Self::CommunityNurse => "community_nurse",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Hospital staff belong to an establishment and cover each other's patients there.
    pub fn is_hospital(self) -> bool {
        matches!(self, Self::Idec | Self::Oncologist | Self::HospitalPharmacist)
    }

    /// Who may include patients and take pathway decisions.
    pub fn may_enrol(self) -> bool {
        matches!(self, Self::Idec | Self::Oncologist | Self::HospitalPharmacist)
    }

    pub fn may_decide(self) -> bool {
        matches!(self, Self::Idec | Self::Oncologist)
    }

    /// Which attachment an account of this role needs.
    pub fn needs_establishment(self) -> bool {
        self.is_hospital() || matches!(self, Self::Admin | Self::Billing)
    }

    /// Who may read the establishment's forfait lines and statements, mark them paid or cancel them.
    pub fn may_bill(self) -> bool {
        matches!(self, Self::Admin | Self::Billing)
    }
}

/// A signed-in professional, as authorisation sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staff {
    pub id: String,
    pub role: Role,
    pub establishment_id: Option<String>,
    pub pharmacy_id: Option<String>,
}

/// The facts about a patient that decide who sees them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PatientFacts {
    pub establishment_id: String,
    /// Pharmacy and GP named by the team of the patient's current (not ended) episode.
    pub current_pharmacy_id: Option<String>,
    pub current_gp_id: Option<String>,
    pub current_nurse_id: Option<String>,
}

/// Hospital staff see their establishment's patients (the on-call oncologist must reach any of
/// them); a community pharmacist only patients whose current episode names their pharmacy; a
/// GP or a community nurse only patients whose current episode names them; an admin no patient
/// data.
pub fn staff_sees(staff: &Staff, p: &PatientFacts) -> bool {
    match staff.role {
        r if r.is_hospital() => staff.establishment_id.as_deref() == Some(p.establishment_id.as_str()),
        Role::CommunityPharmacist => staff.pharmacy_id.is_some() && staff.pharmacy_id == p.current_pharmacy_id,
        Role::Gp => p.current_gp_id.as_deref() == Some(staff.id.as_str()),
        Role::CommunityNurse => p.current_nurse_id.as_deref() == Some(staff.id.as_str()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff(role: Role, est: Option<&str>, ph: Option<&str>) -> Staff {
        Staff { id: "me".into(), role, establishment_id: est.map(Into::into), pharmacy_id: ph.map(Into::into) }
    }

    #[test]
    fn each_role_sees_only_its_scope() {
        let p = PatientFacts {
            establishment_id: "E1".into(),
            current_pharmacy_id: Some("P1".into()),
            current_gp_id: Some("me".into()),
            current_nurse_id: Some("nurse".into()),
        };
        for r in [Role::Idec, Role::Oncologist, Role::HospitalPharmacist] {
            assert!(staff_sees(&staff(r, Some("E1"), None), &p));
            assert!(!staff_sees(&staff(r, Some("E2"), None), &p));
            assert!(!staff_sees(&staff(r, None, None), &p));
        }
        assert!(staff_sees(&staff(Role::CommunityPharmacist, None, Some("P1")), &p));
        assert!(!staff_sees(&staff(Role::CommunityPharmacist, None, Some("P2")), &p));
        assert!(!staff_sees(
            &staff(Role::CommunityPharmacist, None, None),
            &PatientFacts { current_pharmacy_id: None, ..p.clone() }
        ));
        assert!(staff_sees(&staff(Role::Gp, None, None), &p));
        assert!(!staff_sees(
            &staff(Role::Gp, None, None),
            &PatientFacts { current_gp_id: Some("other".into()), ..p.clone() }
        ));
        let nurse =
            |id: &str| Staff { id: id.into(), role: Role::CommunityNurse, establishment_id: None, pharmacy_id: None };
        assert!(staff_sees(&nurse("nurse"), &p));
        assert!(!staff_sees(&nurse("me"), &p), "the GP's id is not the nurse's");
        assert!(!staff_sees(&nurse("nurse"), &PatientFacts { current_nurse_id: None, ..p.clone() }));
        assert!(!staff_sees(&staff(Role::Admin, Some("E1"), None), &p));
        assert!(!staff_sees(&staff(Role::Billing, Some("E1"), None), &p));
    }

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("nurse"), None);
    }
}
