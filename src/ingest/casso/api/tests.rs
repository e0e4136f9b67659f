use super::*;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[derive(Clone)]
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
    delay: Duration,
}

fn reply(status: u16, body: &str) -> Reply {
    Reply {
        status,
        headers: Vec::new(),
        body: body.to_owned(),
        delay: Duration::ZERO,
    }
}

/// A fake Casso on 127.0.0.1: answers the scripted replies in order (the last one again
/// once they run out) and keeps each request's head, lower-cased.
struct FakeCasso {
    url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl FakeCasso {
    async fn start(replies: Vec<Reply>) -> FakeCasso {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        tokio::spawn(async move {
            let mut served = 0usize;
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let reply = replies[served.min(replies.len() - 1)].clone();
                served += 1;
                let seen = seen.clone();
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    seen.lock()
                        .unwrap()
                        .push(String::from_utf8_lossy(&head).to_lowercase());
                    tokio::time::sleep(reply.delay).await;
                    let mut response = format!(
                        "HTTP/1.1 {} Fake\r\ncontent-type: application/json\r\n\
                         content-length: {}\r\nconnection: close\r\n",
                        reply.status,
                        reply.body.len()
                    );
                    for (name, value) in &reply.headers {
                        response.push_str(&format!("{name}: {value}\r\n"));
                    }
                    response.push_str("\r\n");
                    response.push_str(&reply.body);
                    let _ = socket.write_all(response.as_bytes()).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        FakeCasso { url, requests }
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    fn client(&self) -> CassoApi {
        client(&self.url, Duration::from_secs(5))
    }
}

fn client(url: &str, timeout: Duration) -> CassoApi {
    CassoApi::new(url, SecretString::from("test-key"), timeout)
        .unwrap()
        .with_retry(RetryPolicy {
            attempts: 3,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_secs(2),
        })
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

const PAGE: &str = r#"{"error":0,"message":"success","data":{
    "page":2,"pageSize":3,"nextPage":3,"prevPage":1,"totalPages":5,"totalRecords":13,
    "records":[
        {"id":1001,"tid":"FT24277000001","description":"MBVCB.3278614435.DH1234.CT tu","amount":150000,"cusum_balance":"9150000.5","when":"2024-10-03 15:06:37","bankSubAccId":"0123456789","virtualAccount":""},
        {"id":1002,"tid":"FT2","description":"rut tien","amount":-20000.0,"when":"2024-10-03 16:00:00","bankSubAccId":"0123456789"},
        {"tid":"FT3","amount":5,"bankSubAccId":"0123456789"}
    ]}}"#;

async fn one_page(api: &CassoApi) -> Result<TransactionsPage, CassoApiError> {
    api.transactions_page(day("2024-10-01"), day("2024-10-03"), 2, 3)
        .await
}

#[tokio::test]
async fn a_page_is_read_with_its_paging_fields_and_records() {
    let casso = FakeCasso::start(vec![reply(200, PAGE)]).await;
    let page = one_page(&casso.client()).await.unwrap();
    assert_eq!(page.page, 2);
    assert_eq!(page.page_size, 3);
    assert_eq!(page.next_page, Some(3));
    assert_eq!(page.prev_page, Some(1));
    assert_eq!(page.total_pages, Some(5));
    assert_eq!(page.total_records, Some(13));
    assert!(page.has_more());
    assert_eq!(page.records.len(), 3);

    let first = page.records[0].as_ref().unwrap();
    assert_eq!(first.external_id, "1001");
    assert_eq!(first.bank_ref.as_deref(), Some("FT24277000001"));
    assert_eq!(first.amount.to_string(), "150000");
    assert_eq!(first.running_balance.unwrap().to_string(), "9150000.5");
    assert_eq!(first.account.as_deref(), Some("0123456789"));
    assert_eq!(
        first.when.unwrap().to_rfc3339(),
        "2024-10-03T08:06:37+00:00"
    );
    assert!(!first.provider_test);
    assert!(page.records[1].as_ref().unwrap().amount.is_negative());
    let bad = page.records[2].as_ref().unwrap_err();
    assert!(bad.reason.contains("`id` is missing"), "{}", bad.reason);
    // The record as Casso sent it, not the renamed copy.
    assert!(bad.payload.contains("bankSubAccId"), "{}", bad.payload);
    assert!(!bad.payload.contains("bank_sub_acc_id"), "{}", bad.payload);

    let requests = casso.requests();
    assert_eq!(requests.len(), 1);
    let head = &requests[0];
    assert!(
        head.starts_with(
            "get /v2/transactions?fromdate=2024-10-01&todate=2024-10-03&page=2&pagesize=3&sort=asc http/1.1\r\n"
        ),
        "{head}"
    );
    assert!(
        head.contains("\r\nauthorization: apikey test-key\r\n"),
        "{head}"
    );
}

#[tokio::test]
async fn the_apikey_header_keeps_its_case() {
    // The fake lower-cases heads; check the exact value separately.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut head = Vec::new();
        let mut buf = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = socket.read(&mut buf).await.unwrap();
            head.extend_from_slice(&buf[..n]);
        }
        let body = r#"{"error":0,"message":"success","data":{"user":{"id":7}}}"#;
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        socket.write_all(response.as_bytes()).await.unwrap();
        String::from_utf8(head).unwrap()
    });
    let api = CassoApi::new(
        &format!("{url}/"),
        SecretString::from("AbC-123"),
        Duration::from_secs(5),
    )
    .unwrap();
    let info = api.user_info().await.unwrap();
    assert_eq!(info["user"]["id"], serde_json::json!(7));
    let head = server.await.unwrap();
    assert!(head.starts_with("GET /v2/userInfo HTTP/1.1\r\n"), "{head}");
    assert!(
        head.to_lowercase().contains("\r\nauthorization: ")
            && head.contains(": Apikey AbC-123\r\n"),
        "{head}"
    );
}

#[tokio::test]
async fn a_503_is_retried_then_succeeds() {
    let casso = FakeCasso::start(vec![reply(503, "Service Unavailable"), reply(200, PAGE)]).await;
    let page = one_page(&casso.client()).await.unwrap();
    assert_eq!(page.records.len(), 3);
    assert_eq!(casso.requests().len(), 2);
}

#[tokio::test]
async fn a_429_waits_for_retry_after() {
    let mut limited = reply(429, r#"{"error":429,"message":"Too many requests"}"#);
    limited.headers.push(("retry-after", "1".into()));
    let casso = FakeCasso::start(vec![limited, reply(200, PAGE)]).await;
    let started = Instant::now();
    let page = one_page(&casso.client()).await.unwrap();
    assert_eq!(page.page, 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(casso.requests().len(), 2);
}

#[tokio::test]
async fn retry_after_is_capped() {
    let mut limited = reply(429, "");
    limited.headers.push(("retry-after", "3600".into()));
    let casso = FakeCasso::start(vec![limited, reply(200, PAGE)]).await;
    let api = casso.client().with_retry(RetryPolicy {
        attempts: 3,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(50),
    });
    let started = Instant::now();
    one_page(&api).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn server_errors_give_up_after_three_attempts() {
    let casso = FakeCasso::start(vec![reply(502, "<html>Bad Gateway</html>")]).await;
    let error = one_page(&casso.client()).await.unwrap_err();
    assert!(
        matches!(&error, CassoApiError::Http { status: 502, message } if message.contains("Bad Gateway")),
        "{error:?}"
    );
    assert_eq!(casso.requests().len(), 3);
}

#[tokio::test]
async fn a_refused_key_is_bad_key_without_retry() {
    for status in [401, 403] {
        let casso = FakeCasso::start(vec![reply(
            status,
            r#"{"error":401,"message":"Unauthorized"}"#,
        )])
        .await;
        let error = one_page(&casso.client()).await.unwrap_err();
        assert!(
            matches!(error, CassoApiError::BadKey { status: s, .. } if s == status),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(message.contains("PAYMATCH_CASSO_API_KEY"), "{message}");
        assert!(message.contains("Unauthorized"), "{message}");
        assert_eq!(casso.requests().len(), 1);
    }
}

#[tokio::test]
async fn casso_errors_in_the_body_are_reported() {
    let casso = FakeCasso::start(vec![reply(
        200,
        r#"{"error":400,"message":"fromDate must be before toDate","data":null}"#,
    )])
    .await;
    let error = one_page(&casso.client()).await.unwrap_err();
    assert!(
        matches!(&error, CassoApiError::Api { code, message }
            if code == "400" && message == "fromDate must be before toDate"),
        "{error:?}"
    );
    assert!(error.to_string().contains("fromDate must be before toDate"));
    assert_eq!(casso.requests().len(), 1);

    let casso = FakeCasso::start(vec![reply(200, r#"{"error":401,"message":"bad key"}"#)]).await;
    let error = casso.client().user_info().await.unwrap_err();
    assert!(matches!(error, CassoApiError::BadKey { .. }), "{error:?}");
}

#[tokio::test]
async fn malformed_replies_are_errors() {
    for body in [
        "<html>oops</html>",
        "[]",
        r#"{"error":0,"data":{"page":1}}"#,
        r#"{"error":0,"data":{"records":{}}}"#,
        r#"{"error":0,"data":{"page":-1,"records":[]}}"#,
        r#"{"error":0}"#,
    ] {
        let casso = FakeCasso::start(vec![reply(200, body)]).await;
        let error = one_page(&casso.client()).await.unwrap_err();
        assert!(
            matches!(error, CassoApiError::Malformed(_)),
            "{body}: {error:?}"
        );
        assert_eq!(casso.requests().len(), 1, "{body}");
    }
}

#[tokio::test]
async fn a_slow_casso_times_out() {
    let mut slow = reply(200, PAGE);
    slow.delay = Duration::from_secs(10);
    let casso = FakeCasso::start(vec![slow]).await;
    let api = client(&casso.url, Duration::from_millis(200));
    let started = Instant::now();
    let error = one_page(&api).await.unwrap_err();
    assert!(matches!(error, CassoApiError::Timeout(_)), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(casso.requests().len(), 3);
}

#[tokio::test]
async fn an_unreachable_casso_is_a_connection_error() {
    // A port that was just free: nothing listens on it.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let error = one_page(&client(&url, Duration::from_secs(2)))
        .await
        .unwrap_err();
    assert!(matches!(error, CassoApiError::Connection(_)), "{error:?}");
}

#[test]
fn bad_base_urls_are_refused() {
    for url in [
        "",
        "oauth.casso.vn",
        "ftp://oauth.casso.vn",
        "https://x/?a=1",
    ] {
        assert!(
            CassoApi::new(url, SecretString::from("k"), Duration::from_secs(1)).is_err(),
            "{url}"
        );
    }
}

#[test]
fn paging_without_totals() {
    let reply: Value = serde_json::from_str(
        r#"{"data":{"page":"1","nextPage":null,"records":[{"id":1,"amount":1},{"id":2,"amount":2}]}}"#,
    )
    .unwrap();
    let page = parse_page(&reply, 1, 2).unwrap();
    assert_eq!((page.page, page.page_size, page.total_pages), (1, 2, None));
    assert!(page.has_more(), "a full page may have a successor");
    let page = parse_page(&reply, 1, 10).unwrap();
    assert!(!page.has_more());
    let last: Value = serde_json::from_str(
        r#"{"data":{"page":5,"totalPages":5,"nextPage":6,"records":[{"id":1,"amount":1}]}}"#,
    )
    .unwrap();
    assert!(!parse_page(&last, 5, 1).unwrap().has_more());
}

#[test]
fn backoff_doubles_up_to_the_cap() {
    let api = client("http://127.0.0.1:9", Duration::from_secs(1)).with_retry(RetryPolicy {
        attempts: 5,
        base_delay: Duration::from_millis(100),
        max_delay: Duration::from_millis(300),
    });
    let delays: Vec<u128> = (1..=4).map(|a| api.retry.backoff(a).as_millis()).collect();
    assert_eq!(delays, [100, 200, 300, 300]);
}
