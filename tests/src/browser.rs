//! A page as a browser shows it: headless Chromium (Debian package `chromium`) renders a local
//! HTML file to a PNG screenshot, and says what the page printed to its console and what it
//! asked the network for.
//!
//! - **Console**: `--enable-logging=stderr --v=0` makes Chromium log every console message
//!   of the page (console calls, uncaught errors, the browser's own warnings about the page)
//!   as a `CONSOLE` line on stderr.
//! - **Network**: every request goes to a proxy on a closed loopback port
//!   (`--proxy-server`), so nothing leaves the machine, whatever the page or the browser asks
//!   for, and host names are never resolved (`--host-resolver-rules`). What was asked for is
//!   read from Chromium's own network log (`--log-net-log`): a request made for the page
//!   carries the page's network isolation key (`file://`); Chromium's own background requests
//!   (account and search services, which `--disable-background-networking` does not stop)
//!   carry another one and are not the page's.
//!
//! The executable is `/usr/lib/chromium/chromium`, Debian's browser itself, rather than the
//! `/usr/bin/chromium` wrapper, which sources `/etc/chromium.d` (Google API keys that turn on
//! more background services, extension flags) first; `WORKTIME_CHROMIUM` names another.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long one page may take to render before the browser is killed and the test fails.
const RENDER_TIMEOUT: Duration = Duration::from_secs(90);

/// Chromium's executable; panics naming the package when there is none.
pub fn chromium() -> PathBuf {
    if let Some(path) = std::env::var_os("WORKTIME_CHROMIUM") {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "WORKTIME_CHROMIUM={}: no such file",
            path.display()
        );
        return path;
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    [PathBuf::from("/usr/lib/chromium/chromium")]
        .into_iter()
        .chain(
            ["chromium", "chromium-browser"]
                .iter()
                .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name))),
        )
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "Chromium not found (/usr/lib/chromium/chromium, or chromium on PATH; \
                 WORKTIME_CHROMIUM names another): install it with `apt-get install chromium` \
                 (.ci/run does)"
            )
        })
}

/// What the browser made of a page.
#[derive(Debug)]
pub struct Rendered {
    /// The screenshot (PNG) of the window.
    pub png: Vec<u8>,
    /// The page's console messages, as Chromium logged them.
    pub console: Vec<String>,
    /// The URLs the page requested (none got further than the closed proxy).
    pub page_requests: Vec<String>,
    /// Every URL any part of the browser requested, the page's and its own.
    pub all_requests: Vec<String>,
    /// Chromium's stderr, for failure messages.
    pub log: String,
}

/// Renders the local file `page` in a `width` × `height` window, with a fresh profile.
pub fn render(page: &Path, width: u32, height: u32) -> Rendered {
    let dir = tempfile::tempdir().expect("temp dir");
    let screenshot = dir.path().join("screenshot.png");
    let net_log = dir.path().join("net-log.json");
    // A port nothing listens on: every proxied connection is refused at once.
    let closed_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        listener.local_addr().expect("local address").port()
    };
    let page = page.canonicalize().expect("page path");
    let mut command = Command::new(chromium());
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--hide-scrollbars",
            // Pixels as written in the page's CSS: sRGB, one device pixel per CSS pixel.
            "--force-color-profile=srgb",
            "--force-device-scale-factor=1",
            "--enable-logging=stderr",
            "--v=0",
            "--host-resolver-rules=MAP * ~NOTFOUND",
        ])
        .arg(format!("--proxy-server=http://127.0.0.1:{closed_port}"))
        .arg(format!(
            "--user-data-dir={}",
            dir.path().join("profile").display()
        ))
        .arg(format!("--log-net-log={}", net_log.display()))
        .arg(format!("--window-size={width},{height}"))
        .arg(format!("--screenshot={}", screenshot.display()))
        .arg(format!("file://{}", page.display()))
        // Chromium writes caches and settings under HOME and XDG dirs: keep them in the temp dir.
        .env("HOME", dir.path())
        .env("XDG_CONFIG_HOME", dir.path().join("config"))
        .env("XDG_CACHE_HOME", dir.path().join("cache"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(
            std::fs::File::create(dir.path().join("stderr.log")).expect("stderr log"),
        ));
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("start {:?}: {e}", command.get_program()));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for chromium") {
            break status;
        }
        if started.elapsed() > RENDER_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "chromium did not render {} within {RENDER_TIMEOUT:?}\n--- stderr\n{}",
                page.display(),
                std::fs::read_to_string(dir.path().join("stderr.log")).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let log = std::fs::read_to_string(dir.path().join("stderr.log")).unwrap_or_default();
    assert!(
        status.success(),
        "chromium exited with {status}\n--- stderr\n{log}"
    );
    let png = std::fs::read(&screenshot)
        .unwrap_or_else(|e| panic!("{}: {e}\n--- stderr\n{log}", screenshot.display()));
    let console = log
        .lines()
        .filter(|line| line.contains(":CONSOLE"))
        .map(str::to_string)
        .collect();
    let net_log: Value = serde_json::from_slice(
        &std::fs::read(&net_log).unwrap_or_else(|e| panic!("{}: {e}", net_log.display())),
    )
    .unwrap_or_else(|e| panic!("Chromium's network log is not JSON: {e}"));
    let (page_requests, all_requests) = requests(&net_log);
    Rendered {
        png,
        console,
        page_requests,
        all_requests,
        log,
    }
}

/// The URLs of the network log's requests: (the page's, all).
fn requests(net_log: &Value) -> (Vec<String>, Vec<String>) {
    let start_job = net_log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
        .as_u64()
        .expect("the network log names its event types");
    let (mut page, mut all) = (Vec::new(), Vec::new());
    for event in net_log["events"].as_array().expect("network log events") {
        let params = &event["params"];
        let Some(url) = params["url"].as_str() else {
            continue;
        };
        if event["type"].as_u64() != Some(start_job) {
            continue;
        }
        all.push(url.to_string());
        let key = params["network_isolation_key"].as_str().unwrap_or_default();
        if key.starts_with("file://") {
            page.push(url.to_string());
        }
    }
    (page, all)
}

/// A decoded screenshot: RGB pixels, row by row.
pub struct Image {
    pub width: usize,
    pub height: usize,
    pub rgb: Vec<[u8; 3]>,
}

impl Image {
    pub fn decode(png_bytes: &[u8]) -> Image {
        let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
        decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
        let mut reader = decoder.read_info().expect("a PNG");
        let mut buffer = vec![0; reader.output_buffer_size().expect("PNG size")];
        let frame = reader.next_frame(&mut buffer).expect("PNG pixels");
        let channels = frame.color_type.samples();
        let rgb = buffer[..frame.buffer_size()]
            .chunks(channels)
            .map(|px| match channels {
                1 | 2 => [px[0]; 3],
                _ => [px[0], px[1], px[2]],
            })
            .collect();
        Image {
            width: frame.width as usize,
            height: frame.height as usize,
            rgb,
        }
    }

    pub fn pixel(&self, x: usize, y: usize) -> [u8; 3] {
        self.rgb[y * self.width + x]
    }

    /// The solid squares of `colour` whose side is `side` (± 1, for edges that fall between
    /// device pixels), as the (x, y) of their top-left pixel, top to bottom, left to right.
    pub fn squares(&self, colour: [u8; 3], side: usize) -> Vec<(usize, usize)> {
        let is = |x: usize, y: usize| close(self.pixel(x, y), colour);
        let mut seen = vec![false; self.width * self.height];
        let mut squares = Vec::new();
        for y in 0..self.height {
            for x in 0..self.width {
                if seen[y * self.width + x] || !is(x, y) {
                    continue;
                }
                // The connected region of this colour (4-neighbours), and its bounding box.
                let (mut min_x, mut min_y, mut max_x, mut max_y) = (x, y, x, y);
                let mut count = 0;
                let mut stack = vec![(x, y)];
                seen[y * self.width + x] = true;
                while let Some((px, py)) = stack.pop() {
                    count += 1;
                    (min_x, min_y) = (min_x.min(px), min_y.min(py));
                    (max_x, max_y) = (max_x.max(px), max_y.max(py));
                    let neighbours = [
                        (px.wrapping_sub(1), py),
                        (px + 1, py),
                        (px, py.wrapping_sub(1)),
                        (px, py + 1),
                    ];
                    for (nx, ny) in neighbours {
                        if nx < self.width
                            && ny < self.height
                            && !seen[ny * self.width + nx]
                            && is(nx, ny)
                        {
                            seen[ny * self.width + nx] = true;
                            stack.push((nx, ny));
                        }
                    }
                }
                let (w, h) = (max_x - min_x + 1, max_y - min_y + 1);
                if w.abs_diff(side) <= 1 && h.abs_diff(side) <= 1 && count == w * h {
                    squares.push((min_x, min_y));
                }
            }
        }
        squares
    }

    /// The image without the rows of `background` below the last other pixel, keeping
    /// `margin` rows of it.
    pub fn trimmed_png(&self, background: [u8; 3], margin: usize) -> Vec<u8> {
        let last = (0..self.height)
            .rev()
            .find(|&y| (0..self.width).any(|x| self.pixel(x, y) != background))
            .unwrap_or(0);
        let height = (last + 1 + margin).min(self.height);
        let mut out = Vec::new();
        {
            let mut encoder = png::Encoder::new(&mut out, self.width as u32, height as u32);
            encoder.set_color(png::ColorType::Rgb);
            encoder.set_depth(png::BitDepth::Eight);
            encoder.set_compression(png::Compression::High);
            let mut writer = encoder.write_header().expect("PNG header");
            let data: Vec<u8> = self.rgb[..self.width * height]
                .iter()
                .flatten()
                .copied()
                .collect();
            writer.write_image_data(&data).expect("PNG data");
        }
        out
    }
}

/// Within 6 of `colour` in each channel: antialiasing and colour conversion aside, the
/// same colour.
fn close(pixel: [u8; 3], colour: [u8; 3]) -> bool {
    pixel.iter().zip(colour).all(|(&a, b)| a.abs_diff(b) <= 6)
}

/// `#rrggbb` as RGB.
pub fn hex_colour(hex: &str) -> [u8; 3] {
    let hex = hex.trim_start_matches('#');
    let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex colour");
    [channel(0), channel(2), channel(4)]
}
