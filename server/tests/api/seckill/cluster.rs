//! The sale on a real three-master Redis Cluster, started here from Debian's `redis-server`
//! (`--cluster-enabled yes`, joined by `redis-cli --cluster create`) on free high ports: the
//! script's keys share the event's hash tag, so it never meets `CROSSSLOT`. Skipped (with a
//! note) only when `redis-server` is not installed.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::backend_tests;
use crate::helpers::{Backend, TempDir};

backend_tests!(a_three_master_cluster_sells_exactly_the_stock);

/// Three masters; stopped (and their files removed) on drop.
struct Cluster {
    nodes: Vec<Child>,
    ports: Vec<u16>,
    _dir: TempDir,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            let _ = node.kill();
            let _ = node.wait();
        }
    }
}

fn installed(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn free(port: u16) -> bool {
    std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
        && std::net::TcpListener::bind(("127.0.0.1", port + 10_000)).is_ok()
}

impl Cluster {
    fn start(first_port: u16) -> Cluster {
        let dir = TempDir::new();
        let mut base = first_port;
        while !(0..3).all(|i| free(base + i)) {
            base += 3;
        }
        let ports: Vec<u16> = (0..3).map(|i| base + i).collect();
        let mut nodes = Vec::new();
        for port in &ports {
            let node_dir = dir.0.join(port.to_string());
            std::fs::create_dir_all(&node_dir).unwrap();
            let child = Command::new("redis-server")
                .args([
                    "--port",
                    &port.to_string(),
                    "--bind",
                    "127.0.0.1",
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    "nodes.conf",
                    "--cluster-node-timeout",
                    "2000",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                ])
                .arg(&node_dir)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("redis-server starts");
            nodes.push(child);
        }
        let cluster = Cluster {
            nodes,
            ports: ports.clone(),
            _dir: dir,
        };
        for port in &ports {
            let deadline = Instant::now() + Duration::from_secs(10);
            while std::net::TcpStream::connect(("127.0.0.1", *port)).is_err() {
                assert!(
                    Instant::now() < deadline,
                    "redis-server on {port} never listened"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        let addresses: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
        let created = Command::new("redis-cli")
            .arg("--cluster")
            .arg("create")
            .args(&addresses)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .output()
            .expect("redis-cli runs");
        assert!(
            created.status.success(),
            "{}",
            String::from_utf8_lossy(&created.stdout)
        );
        // Every node agrees the cluster is up before the app connects.
        for port in &ports {
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                let info = Command::new("redis-cli")
                    .args(["-p", &port.to_string(), "cluster", "info"])
                    .output()
                    .unwrap();
                // "ok" alone can come before every node knows every other one (a command
                // sent then can meet CLUSTERDOWN): wait for all slots and all three nodes too.
                let info = String::from_utf8_lossy(&info.stdout);
                if info.contains("cluster_state:ok")
                    && info.contains("cluster_slots_ok:16384")
                    && info.contains("cluster_known_nodes:3")
                {
                    break;
                }
                assert!(Instant::now() < deadline, "the cluster never came up");
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        cluster
    }

    fn url(&self) -> String {
        let nodes: Vec<String> = self.ports[1..]
            .iter()
            .map(|p| format!("node=127.0.0.1:{p}"))
            .collect();
        format!(
            "redis-cluster://127.0.0.1:{}?{}",
            self.ports[0],
            nodes.join("&")
        )
    }
}

async fn a_three_master_cluster_sells_exactly_the_stock(b: Backend) {
    if !installed("redis-server") || !installed("redis-cli") {
        eprintln!("skipped: redis-server / redis-cli are not installed");
        return;
    }
    let first = match b {
        Backend::Sqlite => 7101,
        Backend::Postgres => 7121,
    };
    let cluster = Cluster::start(first);
    // The same stampede as on one Redis: 2,000 requests, 500 users, 100 seats.
    super::buying::sale_of_a_hundred(b, &cluster.url(), 500, 4, 100).await;
    drop(cluster);
}
