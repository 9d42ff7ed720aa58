//! A real OpenSSH `sshd` for the terminal tests: started from `/usr/sbin/sshd` on a free
//! loopback port with its own config, host key and authorized key, in the foreground (`-D -e`)
//! so it dies with the test. PAM is off, so password authentication checks the shadow file:
//! the tests log in as a dedicated local account, `xc-webssh`, which this harness creates (as
//! root, once per machine) and whose password it sets on every start.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const USER: &str = "xc-webssh";
pub const PASSWORD: &str = "xc-webssh-Test-Passw0rd";

pub struct Sshd {
    pub port: u16,
    /// `SHA256:…` of the host key, as `ssh-keygen -lf` prints it.
    pub fingerprint: String,
    /// The OpenSSH private key whose public half is authorized.
    pub user_key: String,
    dir: PathBuf,
    child: Option<Child>,
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("a command of the sshd harness runs");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

fn ensure_account() {
    let exists = |user: &str| {
        Command::new("id")
            .arg(user)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !exists(USER) {
        // Parallel tests may race here: whoever loses finds the account made.
        let _ = Command::new("useradd")
            .args(["-m", "-s", "/bin/bash", USER])
            .stderr(Stdio::null())
            .status();
        assert!(
            exists(USER),
            "cannot create the test account {USER} (run as root)"
        );
    }
    let mut chpasswd = Command::new("chpasswd")
        .stdin(Stdio::piped())
        .spawn()
        .expect("chpasswd");
    use std::io::Write;
    chpasswd
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{USER}:{PASSWORD}\n").as_bytes())
        .expect("chpasswd input");
    assert!(chpasswd.wait().expect("chpasswd").success());
}

fn keygen(path: &Path) {
    run(Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", ""])
        .arg("-f")
        .arg(path));
}

fn fingerprint(public: &Path) -> String {
    let out = run(Command::new("ssh-keygen").arg("-lf").arg(public));
    out.split_whitespace()
        .nth(1)
        .expect("ssh-keygen prints a fingerprint")
        .to_string()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl Sshd {
    pub fn start() -> Self {
        ensure_account();
        let dir = std::env::temp_dir().join(format!("xc-sshd-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("sshd dir");
        // sshd reads the authorized keys as the logged-in user.
        run(Command::new("chmod").arg("755").arg(&dir));
        std::fs::create_dir_all("/run/sshd").expect("sshd's privilege separation dir");
        keygen(&dir.join("user_key"));
        std::fs::copy(dir.join("user_key.pub"), dir.join("authorized_keys")).expect("copy");
        let user_key = std::fs::read_to_string(dir.join("user_key")).expect("user key");
        let mut sshd = Self {
            port: 0,
            fingerprint: String::new(),
            user_key,
            dir,
            child: None,
        };
        sshd.new_host_key();
        sshd.spawn();
        sshd
    }

    fn new_host_key(&mut self) {
        let key = self.dir.join("host_key");
        let _ = std::fs::remove_file(&key);
        let _ = std::fs::remove_file(self.dir.join("host_key.pub"));
        keygen(&key);
        self.fingerprint = fingerprint(&self.dir.join("host_key.pub"));
    }

    fn spawn(&mut self) {
        let d = self.dir.display();
        let port = if self.port == 0 {
            free_port()
        } else {
            self.port
        };
        let config = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host_key\nPidFile {d}/sshd.pid\n\
             AuthorizedKeysFile {d}/authorized_keys\nStrictModes no\nUsePAM no\n\
             PasswordAuthentication yes\nKbdInteractiveAuthentication no\n\
             PubkeyAuthentication yes\nAllowUsers {USER}\nPrintMotd no\nPrintLastLog no\n\
             LogLevel VERBOSE\n"
        );
        std::fs::write(self.dir.join("sshd_config"), config).expect("sshd config");
        let log = std::fs::File::create(self.dir.join("sshd.log")).expect("sshd log");
        let child = Command::new("/usr/sbin/sshd")
            .args(["-D", "-e", "-f"])
            .arg(self.dir.join("sshd_config"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("/usr/sbin/sshd starts");
        self.child = Some(child);
        self.port = port;
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "sshd did not listen: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The same host, on the same port, with a new host key (a reinstalled or spoofed host).
    pub fn change_host_key(&mut self) {
        self.stop();
        self.new_host_key();
        self.spawn();
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("sshd.log")).unwrap_or_default()
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
