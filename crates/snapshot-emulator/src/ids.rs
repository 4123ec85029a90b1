//! Identifiers in each API's format, and request ids.
//!
//! | what | format | example (from the seeds) |
//! | --- | --- | --- |
//! | DSW snapshot id | `snp-` + 13 lowercase letters or digits | `snp-05cexxxxxxxxx` |
//! | DSW image id | `image-` + 15 lowercase letters or digits | `image-05cefd0be2exxxx` |
//! | LangStudio snapshot id | `snap-` + 13 lowercase letters or digits | `snap-asfg******123` |
//! | Alibaba request id | 8-4-4-4-12 upper-case hex digits | `E7D55162-4489-1619-AAF5-3F97D5FCA948` |
//!
//! Ids are random; the stores check new ids against the ones they hold, so a collision
//! (36^13 possibilities) only costs a second draw.

use rand::RngExt;

const LOWER_ALNUM: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
const UPPER_HEX: &[u8] = b"0123456789ABCDEF";

fn random_from(alphabet: &[u8], len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())]))
        .collect()
}

/// A new DSW instance snapshot id: `snp-` and 13 lowercase letters or digits.
pub(crate) fn dsw_snapshot_id() -> String {
    format!("snp-{}", random_from(LOWER_ALNUM, 13))
}

/// A new DSW image id: `image-` and 15 lowercase letters or digits.
pub(crate) fn dsw_image_id() -> String {
    format!("image-{}", random_from(LOWER_ALNUM, 15))
}

/// A new LangStudio snapshot id: `snap-` and 13 lowercase letters or digits.
pub(crate) fn langstudio_snapshot_id() -> String {
    format!("snap-{}", random_from(LOWER_ALNUM, 13))
}

/// A new Alibaba Cloud request id: 32 upper-case hex digits grouped 8-4-4-4-12.
pub(crate) fn request_id() -> String {
    let hex = random_from(UPPER_HEX, 32);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A new Graph OLAP request id: a lowercase version-4 style UUID, as the recordings show
/// (`fe63a692-846e-4ef6-bc4b-1a969b3bff0e`).
pub(crate) fn uuid_request_id() -> String {
    let mut bytes: [u8; 16] = rand::random();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_lower_alnum(s: &str) -> bool {
        s.bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
    }

    #[test]
    fn dsw_ids_follow_the_seed_format() {
        for _ in 0..200 {
            let id = dsw_snapshot_id();
            let rest = id.strip_prefix("snp-").expect("snp- prefix");
            assert_eq!(rest.len(), 13, "{id}");
            assert!(is_lower_alnum(rest), "{id}");
            let image = dsw_image_id();
            let rest = image.strip_prefix("image-").expect("image- prefix");
            assert_eq!(rest.len(), 15, "{image}");
            assert!(is_lower_alnum(rest), "{image}");
        }
    }

    #[test]
    fn langstudio_ids_follow_the_seed_format() {
        for _ in 0..200 {
            let id = langstudio_snapshot_id();
            let rest = id.strip_prefix("snap-").expect("snap- prefix");
            assert_eq!(rest.len(), 13, "{id}");
            assert!(is_lower_alnum(rest), "{id}");
        }
    }

    #[test]
    fn request_ids_look_like_alibaba_ones() {
        let id = request_id();
        let groups: Vec<&str> = id.split('-').collect();
        assert_eq!(
            groups.iter().map(|g| g.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(id
            .bytes()
            .all(|b| b == b'-' || b.is_ascii_digit() || (b'A'..=b'F').contains(&b)));
        assert_ne!(request_id(), request_id());
    }

    #[test]
    fn uuid_request_ids_are_version_4() {
        let id = uuid_request_id();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"), "{id}");
        assert_ne!(uuid_request_id(), uuid_request_id());
    }
}
