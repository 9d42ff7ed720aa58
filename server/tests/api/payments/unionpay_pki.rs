//! A test PKI for UnionPay, made with the `openssl` command at test time (no key is
//! committed): a root and a middle CA, UnionPay's signing certificate under them (CN
//! `中国银联股份有限公司`), the forger's certificates (the same names under another root, and
//! another CN under the genuine middle), and the merchant's PKCS#12 files, modern (PBES2,
//! AES-256-CBC, HMAC-SHA256: `openssl pkcs12 -export`'s default) and legacy (3DES, SHA-1).
//! Shared by the unit tests (`#[path]`) and the integration tests: std only.

use std::path::{Path, PathBuf};
use std::process::Command;

pub const CN: &str = "中国银联股份有限公司";
pub const PASSWORD: &str = "000000";
/// The merchant certificate's serial: its `certId`.
pub const MERCHANT_SERIAL: &str = "69629715588";

/// A key (PKCS#8 PEM) and its certificate (PEM).
#[derive(Debug, Clone)]
pub struct Pair {
    pub key: String,
    pub cert: String,
}

#[derive(Debug, Clone)]
pub struct Pki {
    pub root: PathBuf,
    pub middle: PathBuf,
    pub unionpay: Pair,
    /// CN 中国银联股份有限公司, under a root and middle named like UnionPay's, not theirs.
    pub other_root: Pair,
    /// Under the genuine middle, but another company's.
    pub wrong_cn: Pair,
    pub merchant: Pair,
    pub merchant_p12: PathBuf,
    pub merchant_legacy_p12: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the openssl command (install openssl)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

const CA_EXT: &str = "basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\n";
const LEAF_EXT: &str = "basicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature\n";

/// A self-signed CA `name`.
fn root(dir: &Path, name: &str, subject: &str) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-sha256",
            "-days",
            "3650",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.pem"),
            "-subj",
            subject,
            "-addext",
            "basicConstraints=critical,CA:true",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
}

/// `name`'s key and a certificate for it signed by `issuer`.
fn issue(dir: &Path, name: &str, subject: &str, issuer: &str, ext: &str, serial: &str) {
    std::fs::write(dir.join(format!("{name}.ext")), ext).unwrap();
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-utf8",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.csr"),
            "-subj",
            subject,
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-sha256",
            "-days",
            "1825",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            &format!("{issuer}.pem"),
            "-CAkey",
            &format!("{issuer}.key"),
            "-set_serial",
            serial,
            "-extfile",
            &format!("{name}.ext"),
            "-out",
            &format!("{name}.pem"),
        ],
    );
}

fn pair(dir: &Path, name: &str) -> Pair {
    Pair {
        key: read(dir, &format!("{name}.key")),
        cert: read(dir, &format!("{name}.pem")),
    }
}

impl Pki {
    /// Writes the whole PKI into `dir` (a few RSA keys: about a second).
    pub fn generate(dir: &Path) -> Self {
        let root_subject = "/C=CN/O=China UnionPay/CN=CFCA TEST OCA1 ROOT";
        let middle_subject = "/C=CN/O=China UnionPay/CN=CFCA TEST OCA1";
        let signer_subject = format!("/C=CN/O=China UnionPay/OU=00040000:SIGN/CN={CN}");
        root(dir, "root", root_subject);
        issue(dir, "middle", middle_subject, "root", CA_EXT, "4097");
        issue(
            dir,
            "unionpay",
            &signer_subject,
            "middle",
            LEAF_EXT,
            "73689936442",
        );
        issue(
            dir,
            "wrong_cn",
            "/C=CN/O=Mallory/CN=Mallory Trading Ltd",
            "middle",
            LEAF_EXT,
            "99",
        );
        // The forger's own chain, every name as UnionPay's.
        root(dir, "forged_root", root_subject);
        issue(
            dir,
            "forged_middle",
            middle_subject,
            "forged_root",
            CA_EXT,
            "4097",
        );
        issue(
            dir,
            "other_root",
            &signer_subject,
            "forged_middle",
            LEAF_EXT,
            "73689936442",
        );
        // The merchant's certificate (CFCA issues it; who signed it does not matter here).
        issue(
            dir,
            "merchant",
            "/C=CN/O=Xuecheng/CN=777290058110048",
            "root",
            LEAF_EXT,
            MERCHANT_SERIAL,
        );
        let pass = format!("pass:{PASSWORD}");
        openssl(
            dir,
            &[
                "pkcs12",
                "-export",
                "-inkey",
                "merchant.key",
                "-in",
                "merchant.pem",
                "-out",
                "merchant.pfx",
                "-passout",
                &pass,
                "-name",
                "acp_sign",
            ],
        );
        openssl(
            dir,
            &[
                "pkcs12",
                "-export",
                "-inkey",
                "merchant.key",
                "-in",
                "merchant.pem",
                "-out",
                "merchant_legacy.pfx",
                "-passout",
                &pass,
                "-keypbe",
                "PBE-SHA1-3DES",
                "-certpbe",
                "PBE-SHA1-3DES",
                "-macalg",
                "sha1",
            ],
        );
        Self {
            root: dir.join("root.pem"),
            middle: dir.join("middle.pem"),
            unionpay: pair(dir, "unionpay"),
            other_root: pair(dir, "other_root"),
            wrong_cn: pair(dir, "wrong_cn"),
            merchant: pair(dir, "merchant"),
            merchant_p12: dir.join("merchant.pfx"),
            merchant_legacy_p12: dir.join("merchant_legacy.pfx"),
        }
    }

    /// One PKI per test process (key generation is the slow part), in a folder of its own.
    pub fn shared() -> &'static Pki {
        static PKI: std::sync::OnceLock<Pki> = std::sync::OnceLock::new();
        PKI.get_or_init(|| {
            let dir = std::env::temp_dir().join(format!(
                "xc-unionpay-pki-{}-{}",
                std::process::id(),
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or(0)
            ));
            std::fs::create_dir_all(&dir).unwrap();
            Pki::generate(&dir)
        })
    }
}
