//! A Lambda Runtime API of the benchmark's own (`/2018-06-01/runtime/...`), as Lambda serves it
//! to a function process: `GET invocation/next` blocks until an event is queued and answers it
//! with the request id and the deadline headers; `POST invocation/{id}/response` (or `/error`)
//! carries the answer. It notes when each of these happened, which is what the benchmark needs
//! and a client in front of another emulator could not see: the instant the process first
//! asked for work, and the instants an event was handed over and answered.
//!
//! HTTP/1.1 with keep-alive, `Content-Length` or chunked bodies and `Expect: 100-continue`,
//! which is what the Rust runtime (hyper) and `awslambdaric` (libcurl) send.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// One invocation as the function process lived it.
#[derive(Debug, Clone)]
pub struct Invoked {
    /// When the event went out as the answer to `GET invocation/next`.
    pub delivered: Instant,
    /// When the function posted its answer.
    pub answered: Instant,
    /// The answer, or the error the function posted.
    pub response: Result<serde_json::Value, String>,
}

impl Invoked {
    /// From the event handed over to the answer.
    pub fn duration(&self) -> Duration {
        self.answered - self.delivered
    }
}

struct Queued {
    id: String,
    event: serde_json::Value,
    deadline_ms: u128,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Queued>,
    first_poll: Option<Instant>,
    delivered: HashMap<String, Instant>,
    done: HashMap<String, Invoked>,
    init_error: Option<String>,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

/// The Runtime API on a local port; serves until the process ends.
pub struct RuntimeApi {
    port: u16,
    shared: Arc<Shared>,
    next_id: std::sync::atomic::AtomicU64,
}

impl RuntimeApi {
    pub fn start() -> Self {
        let listener = TcpListener::bind(("127.0.0.1", 0)).expect("bind the Runtime API");
        let port = listener.local_addr().expect("local address").port();
        let shared = Arc::new(Shared::default());
        let serving = shared.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let shared = serving.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, &shared);
                });
            }
        });
        Self {
            port,
            shared,
            next_id: 0.into(),
        }
    }

    /// `AWS_LAMBDA_RUNTIME_API` as Lambda sets it: `host:port`, no scheme.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// When the function process first asked for an event.
    pub fn first_poll(&self) -> Option<Instant> {
        self.shared.state.lock().expect("state").first_poll
    }

    /// Queues `event` with `timeout` (the function's configured timeout, from which the
    /// deadline header is computed when the event is handed over) and waits up to `wait` for
    /// the answer.
    pub fn invoke(
        &self,
        event: &serde_json::Value,
        timeout: Duration,
        wait: Duration,
    ) -> Result<Invoked, String> {
        let n = self
            .next_id
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let id = format!("bench-{n:08}-0000-4000-8000-000000000000");
        let mut state = self.shared.state.lock().expect("state");
        state.queue.push_back(Queued {
            id: id.clone(),
            event: event.clone(),
            deadline_ms: timeout.as_millis(),
        });
        self.shared.changed.notify_all();
        let until = Instant::now() + wait;
        loop {
            if let Some(done) = state.done.remove(&id) {
                return Ok(done);
            }
            if let Some(err) = &state.init_error {
                return Err(format!("the function failed to start: {err}"));
            }
            let now = Instant::now();
            if now >= until {
                return Err(format!("no answer to {id} within {wait:?}"));
            }
            state = self
                .shared
                .changed
                .wait_timeout(state, until - now)
                .expect("state")
                .0;
        }
    }
}

fn epoch_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

struct Request {
    method: String,
    path: String,
    body: Vec<u8>,
}

/// One connection: requests one after the other until the client closes it.
fn serve(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    while let Some(request) = read_request(&mut reader, &mut writer)? {
        answer(&request, shared, &mut writer)?;
    }
    Ok(())
}

fn read_request(
    reader: &mut BufReader<TcpStream>,
    writer: &mut TcpStream,
) -> std::io::Result<Option<Request>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let mut headers: HashMap<String, String> = HashMap::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 {
            return Ok(None);
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    if headers
        .get("expect")
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
    {
        writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    let mut body = Vec::new();
    if headers
        .get("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size)?;
            let n = usize::from_str_radix(size.trim().split(';').next().unwrap_or("0"), 16)
                .unwrap_or(0);
            let mut chunk = vec![0; n + 2];
            reader.read_exact(&mut chunk)?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    } else if let Some(n) = headers
        .get("content-length")
        .and_then(|v| v.parse::<usize>().ok())
    {
        body.resize(n, 0);
        reader.read_exact(&mut body)?;
    }
    Ok(Some(Request { method, path, body }))
}

fn respond(
    writer: &mut TcpStream,
    status: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    writer.write_all(head.as_bytes())?;
    writer.write_all(body)?;
    writer.flush()
}

const PREFIX: &str = "/2018-06-01/runtime/";

fn answer(request: &Request, shared: &Shared, writer: &mut TcpStream) -> std::io::Result<()> {
    let path = request.path.strip_prefix(PREFIX).unwrap_or(&request.path);
    match (request.method.as_str(), path) {
        ("GET", "invocation/next") => next(shared, writer),
        ("POST", "init/error") => {
            let mut state = shared.state.lock().expect("state");
            state.init_error = Some(String::from_utf8_lossy(&request.body).into_owned());
            shared.changed.notify_all();
            drop(state);
            respond(writer, "202 Accepted", &[], br#"{"status":"OK"}"#)
        }
        ("POST", p) if p.starts_with("invocation/") => {
            let rest = &p["invocation/".len()..];
            let (id, what) = rest.split_once('/').unwrap_or((rest, ""));
            let answered = Instant::now();
            let text = String::from_utf8_lossy(&request.body).into_owned();
            let response = match what {
                "response" => serde_json::from_str(&text).map_err(|e| format!("{e}: {text}")),
                _ => Err(text),
            };
            let mut state = shared.state.lock().expect("state");
            let delivered = state.delivered.remove(id).unwrap_or(answered);
            state.done.insert(
                id.to_string(),
                Invoked {
                    delivered,
                    answered,
                    response,
                },
            );
            shared.changed.notify_all();
            drop(state);
            respond(writer, "202 Accepted", &[], br#"{"status":"OK"}"#)
        }
        _ => respond(writer, "404 Not Found", &[], br#"{"errorType":"NotFound"}"#),
    }
}

/// Blocks until an event is queued, then hands it over with Lambda's headers.
fn next(shared: &Shared, writer: &mut TcpStream) -> std::io::Result<()> {
    let mut state = shared.state.lock().expect("state");
    state.first_poll.get_or_insert_with(Instant::now);
    let queued = loop {
        if let Some(q) = state.queue.pop_front() {
            break q;
        }
        state = shared.changed.wait(state).expect("state");
    };
    state.delivered.insert(queued.id.clone(), Instant::now());
    drop(state);
    let body = queued.event.to_string();
    respond(
        writer,
        "200 OK",
        &[
            ("Lambda-Runtime-Aws-Request-Id", queued.id.clone()),
            (
                "Lambda-Runtime-Deadline-Ms",
                (epoch_ms() + queued.deadline_ms).to_string(),
            ),
            (
                "Lambda-Runtime-Invoked-Function-Arn",
                "arn:aws:lambda:us-east-1:222222222222:function:bench".into(),
            ),
            (
                "Lambda-Runtime-Trace-Id",
                "Root=1-00000000-000000000000000000000000;Sampled=0".into(),
            ),
        ],
        body.as_bytes(),
    )
}
