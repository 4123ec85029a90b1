//! The README's `curl` examples (between `<!-- curl-examples begin -->` and `end`), run as
//! written with reqwest against an emulator started as the README starts it
//! (`--dsw-push-ms 0`), on another port: each must answer `200` with JSON. So the examples
//! cannot go stale.

use snapshot_emulator::{start, EmulatorConfig, Timing};

const README: &str = include_str!("../../../README.md");

/// The words of a shell line: bare words and single-quoted strings (all the examples use).
fn words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut chars = line.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c == ' ' {
            chars.next();
            continue;
        }
        let mut word = String::new();
        while let Some(&c) = chars.peek() {
            match c {
                ' ' => break,
                '\'' => {
                    chars.next();
                    word.extend(chars.by_ref().take_while(|&c| c != '\''));
                }
                _ => {
                    word.push(c);
                    chars.next();
                }
            }
        }
        words.push(word);
    }
    words
}

/// A `curl -s [-X M] URL [-H 'k: v']... [-d BODY]` line as a reqwest request.
fn request(http: &reqwest::Client, line: &str, addr: &str) -> reqwest::RequestBuilder {
    let words = words(&line.replace("127.0.0.1:8787", addr));
    assert_eq!(words.first().map(String::as_str), Some("curl"), "{line}");
    let (mut method, mut url, mut headers, mut body) = ("GET".to_owned(), None, Vec::new(), None);
    let mut rest = words[1..].iter();
    while let Some(word) = rest.next() {
        match word.as_str() {
            "-s" => {}
            "-X" => method = rest.next().expect("a method").clone(),
            "-H" => headers.push(rest.next().expect("a header").clone()),
            "-d" => body = Some(rest.next().expect("a body").clone()),
            other if other.starts_with("http://") => url = Some(other.to_owned()),
            other => panic!("the test does not know the curl option {other:?}: {line}"),
        }
    }
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
    let mut builder = http.request(method, url.expect("a URL"));
    for header in headers {
        let (name, value) = header.split_once(':').expect("name: value");
        builder = builder.header(name.trim(), value.trim());
    }
    match body {
        Some(body) => builder.body(body),
        None => builder,
    }
}

#[test]
fn the_word_splitter_reads_quotes() {
    assert_eq!(
        words("curl -s 'http://h/a?b=1' -H 'x: y z' -d '{\"a\": 1}'"),
        [
            "curl",
            "-s",
            "http://h/a?b=1",
            "-H",
            "x: y z",
            "-d",
            "{\"a\": 1}"
        ]
    );
}

#[tokio::test]
async fn every_curl_example_of_the_readme_works() {
    let block = README
        .split("<!-- curl-examples begin -->")
        .nth(1)
        .and_then(|rest| rest.split("<!-- curl-examples end -->").next())
        .expect("the README has the curl examples");
    let lines: Vec<&str> = block.lines().filter(|l| l.starts_with("curl ")).collect();
    assert!(lines.len() >= 5, "{block}");
    let config = EmulatorConfig {
        timing: Timing::instant(),
        ..EmulatorConfig::default()
    };
    let emulator = start(config, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("started");
    let addr = emulator.addr().to_string();
    let http = snapshots_runtime::http_client_builder().build().unwrap();
    for line in lines {
        let response = request(&http, line, &addr).send().await.expect("sent");
        let status = response.status();
        let text = response.text().await.expect("a body");
        assert_eq!(status, 200, "{line}\n{text}");
        let json: Result<serde_json::Value, _> = serde_json::from_str(&text);
        assert!(json.is_ok(), "{line}: not JSON: {text}");
    }
    emulator.shutdown().await;
}
