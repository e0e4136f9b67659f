//! A delivery read before it is written: each transfer's description read for codes, its
//! payer's name filled in from the description when the provider gave none, and the text the
//! admin's search finds it by. All of it is pure and done on the caller's thread, so that the
//! writer thread (SQLite's only one, through which every write passes) only writes.

use paymatch_core::ingest::{Element, Rejection};

use crate::config::MatchingSettings;
use crate::db::search_text;
use crate::domain::IncomingTransfer;
use crate::matching::{self, Reading};

/// A transfer ready to be written. Made only by [`read_delivery`], so that its reading and its
/// search text are always those of its own description.
#[derive(Debug, Clone)]
pub struct ReadTransfer {
    transfer: IncomingTransfer,
    reading: Reading,
    search_text: String,
}

impl ReadTransfer {
    /// The transfer, with its payer's name read from the description when the provider gave none.
    pub fn transfer(&self) -> &IncomingTransfer {
        &self.transfer
    }

    /// The order codes its description names, and what else it says about them.
    pub fn reading(&self) -> &Reading {
        &self.reading
    }

    /// What the admin's search finds it by: description, bank reference and payer, normalised.
    pub fn search_text(&self) -> &str {
        &self.search_text
    }
}

/// An element of a delivery, read: a transfer ready to be written, or why it was refused.
pub type ReadElement = Result<ReadTransfer, Rejection>;

/// Reads every element of a delivery (see the module's comment).
pub fn read_delivery(elements: Vec<Element>, matching: &MatchingSettings) -> Vec<ReadElement> {
    elements
        .into_iter()
        .map(|element| element.map(|transfer| read_transfer(transfer, matching)))
        .collect()
}

fn read_transfer(mut transfer: IncomingTransfer, matching: &MatchingSettings) -> ReadTransfer {
    let reading = matching::read(
        &transfer.description,
        transfer.amount,
        transfer.provider_test,
        &matching.patterns,
    );
    // The payer: the provider's name for them, else the one the description tells.
    if transfer.payer.name.is_none() {
        transfer.payer.name = matching::payer_in_description(&transfer.description);
    }
    let search_text = search_text(&[
        Some(&transfer.description),
        transfer.bank_ref.as_deref(),
        transfer.payer.name.as_deref(),
    ]);
    ReadTransfer {
        transfer,
        reading,
        search_text,
    }
}

/// The writer lane of a delivery (see `db::writer`): the smallest order code its transfers
/// name, hashed, so that deliveries paying one order are committed by one writer thread. `None`
/// for a delivery that names no order.
pub fn lane_key(elements: &[ReadElement]) -> Option<u64> {
    use std::hash::{Hash, Hasher};
    let code = elements
        .iter()
        .flatten()
        .flat_map(|t| &t.reading.candidates)
        .min()?;
    let mut hasher = std::hash::DefaultHasher::new();
    code.hash(&mut hasher);
    Some(hasher.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;
    use crate::domain::{Money, OrderCode, Payer, Source};

    fn matching() -> MatchingSettings {
        Settings::load(None, Vec::<(String, String)>::new())
            .unwrap()
            .matching
    }

    fn transfer(description: &str, payer: Option<&str>) -> Element {
        Ok(IncomingTransfer {
            source: Source::Casso,
            external_id: "1".into(),
            bank_ref: Some("FT26339".into()),
            description: description.into(),
            amount: Money::parse("150000").unwrap(),
            running_balance: None,
            when: None,
            account: None,
            provider_test: false,
            payer: Payer {
                name: payer.map(str::to_owned),
                ..Payer::default()
            },
        })
    }

    fn codes(element: &ReadElement) -> Vec<&str> {
        let read = element.as_ref().unwrap();
        read.reading
            .candidates
            .iter()
            .map(OrderCode::as_str)
            .collect()
    }

    #[test]
    fn a_transfer_is_read_as_the_writer_would_read_it() {
        let description = "NGUYEN VAN AN chuyen tien DH1006";
        let read = read_delivery(vec![transfer(description, None)], &matching());
        assert_eq!(codes(&read[0]), ["DH1006"]);
        let read = read[0].as_ref().unwrap();
        let expected = matching::read(
            description,
            read.transfer.amount,
            false,
            &matching().patterns,
        );
        assert_eq!(read.reading, expected);
        // The payer the description tells, searched for with the rest.
        assert_eq!(read.transfer.payer.name.as_deref(), Some("NGUYEN VAN AN"));
        assert_eq!(
            read.search_text,
            search_text(&[Some(description), Some("FT26339"), Some("NGUYEN VAN AN")])
        );
    }

    #[test]
    fn the_providers_payer_name_is_kept() {
        let read = read_delivery(
            vec![transfer("NGUYEN VAN AN chuyen tien", Some("TRAN THI BINH"))],
            &matching(),
        );
        let read = read[0].as_ref().unwrap();
        assert_eq!(read.transfer.payer.name.as_deref(), Some("TRAN THI BINH"));
        assert!(
            read.search_text.ends_with("\nTRAN THI BINH"),
            "{}",
            read.search_text
        );
    }

    #[test]
    fn a_refused_element_stays_refused_in_its_place() {
        let refused = Rejection {
            payload: "{}".into(),
            reason: "no amount".into(),
        };
        let read = read_delivery(
            vec![Err(refused.clone()), transfer("DH7", None)],
            &matching(),
        );
        assert_eq!(read[0].as_ref().unwrap_err(), &refused);
        assert_eq!(codes(&read[1]), ["DH7"]);
    }

    #[test]
    fn a_delivery_takes_the_lane_of_the_smallest_code_it_names() {
        let lane = |descriptions: &[&str]| {
            let elements = descriptions.iter().map(|d| transfer(d, None)).collect();
            lane_key(&read_delivery(elements, &matching()))
        };
        assert_eq!(lane(&["DH9 DH10"]), lane(&["x", "DH10"]));
        assert_ne!(lane(&["DH9"]), lane(&["DH10"]));
        assert_eq!(lane(&["chuyen tien"]), None);
        assert_eq!(lane(&[]), None);
    }
}
