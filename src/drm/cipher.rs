//! PIFF sample encryption: AES-128-CTR with an 8-byte IV (spec §7.1).
//!
//! The 16-byte counter block is `IV (8 bytes) ‖ block counter (u64 big-endian)`, the
//! counter starting at 0 for every sample. That is exactly `ctr::Ctr64BE<aes::Aes128>`
//! given the IV padded with eight zero bytes. The keystream runs on across the encrypted
//! ranges of one sample (clear ranges use none), and each sample's IV is the previous one
//! plus 1 as a big-endian u64.
//!
//! The AES key is expanded once per track. Each sample's CTR state borrows the expanded
//! key (`Ctr64BE<&Aes128>`) instead of cloning it, so the encrypt paths neither allocate
//! nor copy round keys per sample.

use std::fmt;

use aes::Aes128;
use aes::cipher::{InnerIvInit, KeyInit, StreamCipher};

use super::subsample::Subsample;
use crate::error::{Error, Result};

/// CTR state of one sample; it borrows the track's expanded key.
type SampleCtr<'a> = ctr::Ctr64BE<&'a Aes128>;

// The expanded key must be wiped when a `SampleEncryptor` is dropped. aes's "zeroize"
// feature (enabled in Cargo.toml) gives `Aes128` a Drop that zeroizes its round keys and
// marks it `ZeroizeOnDrop`; this fails to compile if that feature is ever turned off.
const _: fn() = || {
    fn zeroized_on_drop<T: zeroize::ZeroizeOnDrop>() {}
    zeroized_on_drop::<Aes128>();
};

/// The initial counter block of a sample: the IV, then a zero block counter.
fn sample_ctr(aes: &Aes128, iv: [u8; 8]) -> SampleCtr<'_> {
    let mut block = [0u8; 16];
    block[..8].copy_from_slice(&iv);
    // The wrapper has no InnerIvInit, so build the core and wrap it.
    SampleCtr::from_core(ctr::CtrCore::inner_iv_init(aes, &block.into()))
}

/// Checks that `subsamples` covers exactly `len` bytes, so that nothing is touched when it
/// does not.
fn check_coverage(len: usize, subsamples: &[Subsample]) -> Result<()> {
    let covered: u64 = subsamples
        .iter()
        .map(|s| u64::from(s.clear) + u64::from(s.encrypted))
        .sum();
    if covered != len as u64 {
        return Err(Error::InvalidArgument(format!(
            "subsample map covers {covered} bytes but the sample has {len}"
        )));
    }
    Ok(())
}

/// Applies the AES-128-CTR keystream for `iv` to the concatenation of the encrypted
/// ranges of `subsamples`, in place. CTR is its own inverse, so this both encrypts and
/// decrypts.
///
/// The keystream starts at block counter 0 and continues across ranges without
/// realignment; clear ranges are skipped and use no keystream.
///
/// # Errors
/// [`Error::InvalidArgument`] when the entries' clear + encrypted bytes do not add up to
/// `data.len()`; `data` is untouched then.
pub fn apply_ctr(
    aes: &Aes128,
    iv: [u8; 8],
    data: &mut [u8],
    subsamples: &[Subsample],
) -> Result<()> {
    check_coverage(data.len(), subsamples)?;
    let mut ctr = sample_ctr(aes, iv);
    let mut rest = data;
    for s in subsamples {
        // Both splits succeed after check_coverage; they are checked anyway so that no
        // input can make this index out of bounds.
        let split = usize::try_from(s.encrypted).ok().and_then(|enc| {
            let (_, after_clear) = rest.split_at_mut_checked(usize::from(s.clear))?;
            after_clear.split_at_mut_checked(enc)
        });
        let Some((encrypted, after)) = split else {
            return Err(Error::InvalidArgument(
                "subsample map runs past the end of the sample".into(),
            ));
        };
        ctr.try_apply_keystream(encrypted).map_err(|_| {
            Error::InvalidArgument("sample too long for a 64-bit CTR block counter".into())
        })?;
        rest = after;
    }
    Ok(())
}

/// AES-128-CTR sample encryptor of one track: the key is expanded once; IVs are 8 bytes
/// and go up by one per sample.
///
/// The expanded key is zeroized when this is dropped (aes's `zeroize` feature gives
/// `Aes128` a zeroizing `Drop`), and `Debug` shows only the next IV, which is public
/// anyway (it is written into every sample's encryption box).
#[derive(Clone)]
pub struct SampleEncryptor {
    /// Round keys, expanded once for the whole track.
    aes: Aes128,
    /// IV of the next sample, as a big-endian u64.
    next_iv: u64,
}

impl SampleEncryptor {
    /// An encryptor with content key `key` whose first sample gets IV `first_iv`
    /// (serialised big-endian into the 8 IV bytes).
    pub fn new(key: &[u8; 16], first_iv: u64) -> Self {
        Self {
            aes: Aes128::new(key.into()),
            next_iv: first_iv,
        }
    }

    /// Takes the next IV and moves the counter on by one.
    fn take_iv(&mut self) -> [u8; 8] {
        let iv = self.next_iv;
        // Wrapping: after 2^64 samples the IV would repeat, which no track reaches; a
        // random first IV near u64::MAX simply continues from 0.
        self.next_iv = iv.wrapping_add(1);
        iv.to_be_bytes()
    }

    /// Takes the next IV without encrypting anything: the sample that gets it was
    /// encrypted ahead with [`Self::encrypt_at`].
    pub fn skip(&mut self) -> [u8; 8] {
        self.take_iv()
    }

    /// Encrypts a sample in place with IV `iv`, leaving this encryptor's own IV where it
    /// is: whole when `subsamples` is empty, else its encrypted ranges. Samples can so be
    /// encrypted out of turn (on another thread, from a clone) and their IVs skipped here.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the map does not cover `data` exactly; `data` is
    /// untouched then.
    pub fn encrypt_at(&self, iv: [u8; 8], data: &mut [u8], subsamples: &[Subsample]) -> Result<()> {
        if subsamples.is_empty() {
            // apply_keystream can only panic past 2^64 keystream blocks, which a slice
            // (at most isize::MAX bytes) cannot reach.
            sample_ctr(&self.aes, iv).apply_keystream(data);
            Ok(())
        } else {
            apply_ctr(&self.aes, iv, data, subsamples)
        }
    }

    /// Encrypts the whole sample in place (audio, VC-1); returns the IV used (the
    /// big-endian bytes of the counter value) and advances it.
    pub fn encrypt_whole(&mut self, data: &mut [u8]) -> [u8; 8] {
        let iv = self.take_iv();
        // apply_keystream can only panic past 2^64 keystream blocks, which a slice
        // (at most isize::MAX bytes) cannot reach.
        sample_ctr(&self.aes, iv).apply_keystream(data);
        iv
    }

    /// Encrypts the encrypted ranges of `subsamples` in place with one continuous
    /// keystream; returns the IV used and advances it.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the map does not cover `data` exactly; `data` is
    /// untouched and the IV is not consumed then.
    pub fn encrypt_subsamples(
        &mut self,
        data: &mut [u8],
        subsamples: &[Subsample],
    ) -> Result<[u8; 8]> {
        let iv = self.next_iv.to_be_bytes();
        apply_ctr(&self.aes, iv, data, subsamples)?;
        Ok(self.take_iv())
    }

    /// The IV the next sample will get.
    pub fn next_iv(&self) -> u64 {
        self.next_iv
    }
}

impl fmt::Debug for SampleEncryptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SampleEncryptor")
            .field("key", &"<redacted>")
            .field("next_iv", &format_args!("{:016x}", self.next_iv))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drm::subsample::{avc_subsamples, range_subsamples};

    const KEY: [u8; 16] = [
        0xDB, 0xFD, 0x69, 0x22, 0xC3, 0x21, 0xC4, 0xBB, 0x48, 0x6F, 0x4A, 0x1C, 0x44, 0x09, 0x7E,
        0xD6,
    ];
    const IV: u64 = 0x0102_0304_0506_0708;

    fn plain40() -> Vec<u8> {
        (0u8..40).collect()
    }

    fn s(clear: u16, encrypted: u32) -> Subsample {
        Subsample { clear, encrypted }
    }

    #[test]
    fn vector_5_whole_sample() {
        let mut enc = SampleEncryptor::new(&KEY, IV);
        let mut data = plain40();
        let iv = enc.encrypt_whole(&mut data);
        assert_eq!(hex::encode(iv), "0102030405060708");
        assert_eq!(
            hex::encode(&data),
            "c10e241080a5351dc8a7d57665596fb0b77ba6ea854cd6d5e8f8292b87e8c8d0f859a7677fbd3868"
        );
        assert_eq!(enc.next_iv(), 0x0102_0304_0506_0709);
    }

    #[test]
    fn vector_5_subsamples() {
        let mut enc = SampleEncryptor::new(&KEY, IV);
        let mut data = plain40();
        let iv = enc
            .encrypt_subsamples(&mut data, &[s(5, 20), s(3, 12)])
            .unwrap();
        assert_eq!(iv, IV.to_be_bytes());
        assert_eq!(
            hex::encode(&data),
            "0001020304c409211b8daa3816cda0d06d784672abb27ca3e1191a1b8d44deddd0c01113bfd0f0e8"
        );
        assert_eq!(hex::encode(enc.next_iv().to_be_bytes()), "0102030405060709");
        // The same map from caller ranges gives the same bytes.
        let mut map = Vec::new();
        range_subsamples(40, &[(28, 12), (5, 20)], &mut map).unwrap();
        assert_eq!(map, [s(5, 20), s(3, 12)]);
    }

    #[test]
    fn iv_goes_up_by_one_per_sample_and_wraps() {
        let mut enc = SampleEncryptor::new(&KEY, u64::MAX - 1);
        assert_eq!(enc.encrypt_whole(&mut [0; 3]), (u64::MAX - 1).to_be_bytes());
        let iv = enc.encrypt_subsamples(&mut [0; 3], &[s(3, 0)]).unwrap();
        assert_eq!(iv, u64::MAX.to_be_bytes());
        assert_eq!(enc.next_iv(), 0);
    }

    #[test]
    fn bad_map_leaves_data_and_iv_untouched() {
        let mut enc = SampleEncryptor::new(&KEY, IV);
        let mut data = plain40();
        for map in [
            &[s(5, 20)][..],
            &[s(5, 20), s(3, 13)],
            &[],
            &[s(0, u32::MAX)],
        ] {
            let err = enc.encrypt_subsamples(&mut data, map).unwrap_err();
            assert!(matches!(err, Error::InvalidArgument(_)));
            assert_eq!(data, plain40());
            assert_eq!(enc.next_iv(), IV);
        }
    }

    #[test]
    fn debug_shows_no_key() {
        let enc = SampleEncryptor::new(&KEY, IV);
        let text = format!("{enc:?}");
        assert_eq!(
            text,
            "SampleEncryptor { key: \"<redacted>\", next_iv: 0102030405060708 }"
        );
        assert!(!text.to_lowercase().contains("dbfd"));
    }

    use crate::test_rng::XorShift as Rng;

    /// A random H.264-like sample of a few NAL units behind 4-byte lengths.
    fn random_avc_sample(rng: &mut Rng) -> Vec<u8> {
        let mut sample = Vec::new();
        for _ in 0..=rng.below(5) {
            let max = if rng.below(2) == 0 { 200 } else { 5000 };
            let len = 1 + rng.below(max);
            sample.extend_from_slice(&(len as u32).to_be_bytes());
            sample.extend(rng.bytes(len));
        }
        sample
    }

    /// The encrypted bytes of `data` concatenated, in map order.
    fn gather(data: &[u8], map: &[Subsample]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut pos = 0;
        for e in map {
            pos += usize::from(e.clear);
            out.extend_from_slice(&data[pos..pos + e.encrypted as usize]);
            pos += e.encrypted as usize;
        }
        out
    }

    #[test]
    fn decrypt_of_encrypt_is_identity_and_clear_bytes_are_kept() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let aes = Aes128::new(&KEY.into());
        let mut enc = SampleEncryptor::new(&KEY, rng.next());
        let mut map = Vec::new();
        for _ in 0..300 {
            let plain = random_avc_sample(&mut rng);
            avc_subsamples(&plain, &mut map).unwrap();
            let mut data = plain.clone();
            let iv = enc.encrypt_subsamples(&mut data, &map).unwrap();
            // Clear bytes are unchanged, and any encrypted range changed (≥ 16 bytes).
            let mut pos = 0;
            for e in &map {
                let c = usize::from(e.clear);
                assert_eq!(data[pos..pos + c], plain[pos..pos + c]);
                pos += c + e.encrypted as usize;
            }
            if map.iter().any(|e| e.encrypted > 0) {
                assert_ne!(data, plain);
            }
            apply_ctr(&aes, iv, &mut data, &map).unwrap();
            assert_eq!(data, plain);

            let mut whole = plain.clone();
            let iv = enc.encrypt_whole(&mut whole);
            apply_ctr(&aes, iv, &mut whole, &[s(0, plain.len() as u32)]).unwrap();
            assert_eq!(whole, plain);
        }
    }

    #[test]
    fn subsamples_equal_one_stream_over_the_encrypted_bytes() {
        // In-crate cross-check: encrypting the concatenation as one whole "sample" with
        // the same IV gives the same bytes as the subsample path, scattered.
        let mut rng = Rng(0xD1B5_4A32_D192_ED03);
        let mut map = Vec::new();
        for _ in 0..200 {
            let len = rng.below(3000);
            let plain = rng.bytes(len);
            let ranges: Vec<(u32, u32)> = {
                let mut r = Vec::new();
                let mut pos = 0usize;
                while pos < plain.len() {
                    let gap = rng.below(40);
                    let len = rng.below(60);
                    if pos + gap + len > plain.len() {
                        break;
                    }
                    r.push(((pos + gap) as u32, len as u32));
                    pos += gap + len;
                }
                r
            };
            range_subsamples(plain.len(), &ranges, &mut map).unwrap();
            let iv = rng.next();
            let mut sub = plain.clone();
            SampleEncryptor::new(&KEY, iv)
                .encrypt_subsamples(&mut sub, &map)
                .unwrap();
            let mut joined = gather(&plain, &map);
            SampleEncryptor::new(&KEY, iv).encrypt_whole(&mut joined);
            assert_eq!(gather(&sub, &map), joined);
        }
    }

    #[test]
    fn openssl_cross_check() {
        use std::io::Write;
        use std::process::{Command, Stdio};

        let mut rng = Rng(0x0123_4567_89AB_CDEF);
        let plain = {
            let mut p = random_avc_sample(&mut rng);
            // Make sure at least one NAL unit gets encrypted.
            p.extend_from_slice(&4000u32.to_be_bytes());
            p.push(0x65);
            p.extend(rng.bytes(3999));
            p
        };
        let mut map = Vec::new();
        avc_subsamples(&plain, &mut map).unwrap();
        let iv = rng.next();
        let mut ours = plain.clone();
        SampleEncryptor::new(&KEY, iv)
            .encrypt_subsamples(&mut ours, &map)
            .unwrap();

        let child = Command::new("openssl")
            .args(["enc", "-aes-128-ctr", "-nopad", "-K"])
            .arg(hex::encode(KEY))
            .arg("-iv")
            .arg(format!("{}0000000000000000", hex::encode(iv.to_be_bytes())))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        let mut child = match child {
            Ok(c) => c,
            Err(e) => {
                println!("skipped: openssl not runnable ({e})");
                return;
            }
        };
        let joined = gather(&plain, &map);
        let mut stdin = child.stdin.take().unwrap();
        // Write from a thread so a large input cannot deadlock against a full stdout pipe.
        let writer = std::thread::spawn(move || stdin.write_all(&joined));
        let output = child.wait_with_output().unwrap();
        writer.join().unwrap().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(
            hex::encode(gather(&ours, &map)),
            hex::encode(&output.stdout)
        );
    }
}
