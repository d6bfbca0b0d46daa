//! The PlayReady encryption options `package` and `live` share.

use clap::Args;

/// `--kid` with `--key` or `--key-seed`, and the header's URLs.
#[derive(Args, Debug, Clone)]
pub struct EncryptionArgs {
    /// PlayReady key ID (a GUID, e.g. 8ba94ade-6eb9-449d-b44f-a5beefaf43b0): encrypts every
    /// stream with AES-128-CTR and writes the PlayReady header
    #[arg(
        long,
        value_name = "GUID",
        requires = "key_source",
        help_heading = "Encryption"
    )]
    pub kid: Option<String>,

    /// Content key: 32 hex digits (or base64 of 16 bytes)
    #[arg(
        long,
        value_name = "HEX",
        group = "key_source",
        requires = "kid",
        help_heading = "Encryption"
    )]
    pub key: Option<String>,

    /// PlayReady key seed (base64, e.g. the 40-character test seed, or hex); the content
    /// key is derived from it and the KID
    #[arg(
        long,
        value_name = "SEED",
        group = "key_source",
        requires = "kid",
        help_heading = "Encryption"
    )]
    pub key_seed: Option<String>,

    /// License acquisition URL written into the PlayReady header
    #[arg(
        long,
        value_name = "URL",
        requires = "kid",
        help_heading = "Encryption"
    )]
    pub la_url: Option<String>,

    /// License UI URL written into the PlayReady header
    #[arg(
        long,
        value_name = "URL",
        requires = "kid",
        help_heading = "Encryption"
    )]
    pub lui_url: Option<String>,

    /// First IV as 16 hex digits (stream n starts at IV + n<<48) [default: random per
    /// stream]
    #[arg(
        long,
        value_name = "HEX",
        requires = "kid",
        help_heading = "Encryption"
    )]
    pub iv: Option<String>,

    /// Also write the CENC boxes so CENC readers (e.g. ffmpeg -decryption_key) decrypt the
    /// same files
    #[arg(long, requires = "kid", help_heading = "Encryption")]
    pub cenc: bool,
}

/// The encryption the command line asks for, if any.
pub fn protection(cli: &EncryptionArgs) -> Result<Option<ssf::Protection>, String> {
    let Some(kid) = &cli.kid else {
        return Ok(None);
    };
    let kid = ssf::Kid::parse(kid).map_err(|e| format!("--kid: {e}"))?;
    let mut p = match (&cli.key, &cli.key_seed) {
        (Some(key), _) => {
            let key = ssf::ContentKey::parse_hex(key).map_err(|e| format!("--key: {e}"))?;
            ssf::Protection::new(kid, key)
        }
        (None, Some(seed)) => {
            let seed = ssf::KeySeed::parse(seed).map_err(|e| format!("--key-seed: {e}"))?;
            ssf::Protection::from_key_seed(kid, &seed)
        }
        (None, None) => return Err("--kid needs --key or --key-seed".into()),
    };
    if let Some(url) = &cli.la_url {
        p = p.la_url(url.clone());
    }
    if let Some(url) = &cli.lui_url {
        p = p.lui_url(url.clone());
    }
    if let Some(iv) = &cli.iv {
        let iv = u64::from_str_radix(iv.trim_start_matches("0x"), 16)
            .map_err(|e| format!("--iv {iv}: {e} (give 16 hex digits)"))?;
        p = p.first_iv(iv);
    }
    p = p.cenc_compatible(cli.cenc);
    p.validate().map_err(|e| e.to_string())?;
    Ok(Some(p))
}
