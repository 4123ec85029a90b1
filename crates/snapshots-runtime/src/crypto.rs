//! Every hash, MAC and random number the runtime uses, in one place.
//!
//! - [`sha256`], [`HmacSha256Key`] and [`hmac_sha1`] (the V3 signature and the STS RPC
//!   signature) come from `ring`, the crypto library that rustls's default provider already
//!   compiles: a user's build has one crypto library instead of ring plus the RustCrypto
//!   stack (`sha2`, `hmac`, `sha1`, `digest`, `crypto-common`, `typenum`, ...), and ring's
//!   assembly uses the CPU's SHA extensions where there are some.
//! - [`random_bytes`] (signature nonces) reads the operating system's generator through ring
//!   and fails closed: a nonce is never made from anything weaker.
//! - [`jitter`] (retry backoff, credential refresh spreading) needs numbers that differ between
//!   calls and processes, not secrets: it takes them from the standard library's randomly
//!   keyed SipHash, which cannot fail.

use std::hash::{BuildHasher, Hasher};
use std::ops::RangeInclusive;

use ring::rand::SecureRandom;

/// SHA-256 of `data`.
///
/// ```
/// use snapshots_runtime::crypto::sha256;
/// assert_eq!(sha256(b"abc")[..4], [0xba, 0x78, 0x16, 0xbf]);
/// ```
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// An HMAC-SHA256 key, prepared once (the padded key's hash state is computed when the key
/// is made, not on every [`sign`](Self::sign)). `Debug` never shows the key.
///
/// ```
/// use snapshots_runtime::crypto::HmacSha256Key;
/// let key = HmacSha256Key::new(b"key");
/// let mac = key.sign(b"The quick brown fox jumps over the lazy dog");
/// assert_eq!(mac[..4], [0xf7, 0xbc, 0x83, 0xf4]);
/// ```
#[derive(Clone)]
pub struct HmacSha256Key(ring::hmac::Key);

impl HmacSha256Key {
    /// Prepares `key` (any length).
    pub fn new(key: &[u8]) -> Self {
        Self(ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key))
    }

    /// HMAC-SHA256 of `data` under this key.
    pub fn sign(&self, data: &[u8]) -> [u8; 32] {
        let tag = ring::hmac::sign(&self.0, data);
        let mut out = [0u8; 32];
        out.copy_from_slice(tag.as_ref());
        out
    }
}

impl std::fmt::Debug for HmacSha256Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HmacSha256Key(<redacted>)")
    }
}

/// HMAC-SHA1 of `data` under `key`: only for the STS RPC signature (`SignatureMethod`
/// `HMAC-SHA1`), which the service defines.
///
/// ```
/// use snapshots_runtime::crypto::hmac_sha1;
/// let mac = hmac_sha1(b"key", b"The quick brown fox jumps over the lazy dog");
/// assert_eq!(mac[..4], [0xde, 0x7c, 0x9b, 0x85]);
/// ```
pub fn hmac_sha1(key: &[u8], data: &[u8]) -> [u8; 20] {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, key);
    let tag = ring::hmac::sign(&key, data);
    let mut out = [0u8; 20];
    out.copy_from_slice(tag.as_ref());
    out
}

/// The operating system's random number generator failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the operating system's random number generator failed")]
pub struct RandomError;

/// `N` bytes from the operating system's random number generator.
///
/// ```
/// use snapshots_runtime::crypto::random_bytes;
/// let (a, b) = (random_bytes::<16>()?, random_bytes::<16>()?);
/// assert_ne!(a, b);
/// # Ok::<(), snapshots_runtime::crypto::RandomError>(())
/// ```
pub fn random_bytes<const N: usize>() -> Result<[u8; N], RandomError> {
    let mut out = [0u8; N];
    ring::rand::SystemRandom::new()
        .fill(&mut out)
        .map_err(|_| RandomError)?;
    Ok(out)
}

/// Spreading values for backoff and refresh times (not secrets).
pub mod jitter {
    use super::*;

    /// A fresh 64-bit value: SipHash under the standard library's per-process random key,
    /// which it advances for every new hasher, so that successive values differ.
    pub fn next_u64() -> u64 {
        std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish()
    }

    /// A value in `[0, 1)`.
    ///
    /// ```
    /// let x = snapshots_runtime::crypto::jitter::unit();
    /// assert!((0.0..1.0).contains(&x));
    /// ```
    pub fn unit() -> f64 {
        // The top 53 bits, as a fraction of 2^53: every value exactly representable.
        (next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A value in `range` (both ends included); `range.start()` when the range is empty.
    ///
    /// ```
    /// let x = snapshots_runtime::crypto::jitter::in_range(50..=70);
    /// assert!((50..=70).contains(&x));
    /// ```
    pub fn in_range(range: RangeInclusive<u64>) -> u64 {
        let (start, end) = (*range.start(), *range.end());
        if end <= start {
            return start;
        }
        match (end - start).checked_add(1) {
            Some(width) => start + next_u64() % width,
            None => next_u64(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn sha256_matches_the_fips_vectors() {
        assert_eq!(
            hex(&sha256(b"")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hex(&sha256(
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
            )),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
    }

    #[test]
    fn hmac_matches_rfc_4231_and_2202() {
        // RFC 4231 test case 2; RFC 2202 test case 2.
        let key = HmacSha256Key::new(b"Jefe");
        assert_eq!(
            hex(&key.sign(b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            hex(&hmac_sha1(b"Jefe", b"what do ya want for nothing?")),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
        );
    }

    #[test]
    fn a_long_hmac_key_is_hashed_first() {
        // RFC 4231 test case 6: a 131-byte key.
        let key = HmacSha256Key::new(&[0xaa; 131]);
        assert_eq!(
            hex(&key.sign(b"Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn the_hmac_key_is_never_shown() {
        let key = HmacSha256Key::new(b"s3cr3t-value");
        assert!(!format!("{key:?}").contains("s3cr3t"));
    }

    #[test]
    fn random_bytes_differ() {
        let values: std::collections::HashSet<[u8; 16]> =
            (0..64).map(|_| random_bytes().unwrap()).collect();
        assert_eq!(values.len(), 64);
    }

    #[test]
    fn jitter_values_differ_and_spread() {
        let values: Vec<f64> = (0..1000).map(|_| jitter::unit()).collect();
        let distinct: std::collections::HashSet<u64> = values.iter().map(|v| v.to_bits()).collect();
        assert!(distinct.len() > 990, "{}", distinct.len());
        assert!(values.iter().all(|v| (0.0..1.0).contains(v)));
        let low = values.iter().filter(|v| **v < 0.5).count();
        assert!((350..650).contains(&low), "{low} of 1000 below 0.5");
    }

    #[test]
    fn an_empty_range_gives_its_start() {
        assert_eq!(jitter::in_range(7..=7), 7);
        #[allow(clippy::reversed_empty_ranges)]
        let reversed = 9..=3;
        assert_eq!(jitter::in_range(reversed), 9);
        // The whole range has no width that fits a u64: no overflow, no panic.
        let _ = jitter::in_range(0..=u64::MAX);
    }

    proptest! {
        #[test]
        fn in_range_stays_in_range(start in any::<u64>(), width in any::<u64>()) {
            let end = start.saturating_add(width);
            let value = jitter::in_range(start..=end);
            prop_assert!((start..=end).contains(&value));
        }
    }
}
