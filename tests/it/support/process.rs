//! The `trustnode` binary as a separate process (for tests that kill it), and a blocking HTTP/1.1 exchange.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStderr, Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `trustnode serve` hosting the registry directory `registry`, with publishing on, with `data` as data
/// directory; returns the child and its address.
pub fn spawn_node(registry: &Path, data: &Path) -> (Child, String) {
    spawn_node_with(&format!("[publishing]\nenabled = true\n[[registries]]\nsource = {:?}\n", registry), data)
}

/// Runs `trustnode serve` with the configuration text `config` (over the defaults) and `data` as data directory;
/// returns the child and its address.
pub fn spawn_node_with(config_text: &str, data: &Path) -> (Child, String) {
    std::fs::create_dir_all(data).unwrap();
    let config = data.join("node.toml");
    std::fs::write(&config, config_text).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_trustnode"))
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(&config)
        .arg("--data-dir")
        .arg(data)
        .env("TRUSTNODE_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    match listen_address(&mut stderr) {
        Some(address) => {
            // Keep draining stderr so the child never blocks on a full pipe.
            std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
            (child, address)
        }
        None => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the node did not log its listen address");
        }
    }
}

/// Reads a starting node's log lines until it logs its listen address (at most 30 s); the rest stays unread.
pub fn listen_address(stderr: &mut BufReader<ChildStderr>) -> Option<String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut line = String::new();
    while Instant::now() < deadline {
        line.clear();
        if stderr.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if let Some(rest) = line.split("address=").nth(1) {
            return Some(rest.trim().trim_matches(|c: char| !c.is_ascii_digit() && c != '.' && c != ':').to_owned());
        }
    }
    None
}

/// A blocking HTTP/1.1 exchange; returns status and body.
pub fn exchange(address: &str, request: &[u8]) -> std::io::Result<(u16, Vec<u8>)> {
    let mut stream = std::net::TcpStream::connect(address)?;
    stream.write_all(request)?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply)?;
    let split = reply.windows(4).position(|w| w == b"\r\n\r\n").map_or(reply.len(), |p| p + 4);
    let status = String::from_utf8_lossy(reply.get(9..12).unwrap_or_default()).parse().unwrap_or(0);
    Ok((status, reply.get(split..).unwrap_or_default().to_vec()))
}
