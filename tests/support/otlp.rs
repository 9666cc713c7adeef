//! A local OTLP/HTTP receiver for the telemetry tests: binds `127.0.0.1:0`, answers every POST
//! with an empty protobuf success (what a collector sends), and keeps each request's path,
//! content type and body, so a test decodes exactly what reins sent over a real connection.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::metrics::v1::Metric;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;
use std::sync::{Arc, Mutex};

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub content_type: String,
    pub body: Vec<u8>,
}

pub struct Receiver {
    pub base: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    pub fn start() -> Receiver {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the receiver");
        listener.set_nonblocking(true).expect("nonblocking");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let received = Arc::new(Mutex::new(Vec::new()));
        let store = received.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("receiver runtime");
            rt.block_on(serve(listener, store));
        });
        Receiver { base, received }
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().expect("lock").clone()
    }

    /// Every span of every trace export, decoded.
    pub fn spans(&self) -> Vec<Span> {
        self.received()
            .iter()
            .filter(|r| r.path == "/v1/traces")
            .flat_map(|r| {
                let req = ExportTraceServiceRequest::decode(r.body.as_slice())
                    .expect("a trace export decodes");
                req.resource_spans
                    .into_iter()
                    .flat_map(|rs| rs.scope_spans)
                    .flat_map(|ss| ss.spans)
            })
            .collect()
    }

    /// Every metric of every metric export, decoded, in the order received.
    pub fn metrics(&self) -> Vec<Metric> {
        self.received()
            .iter()
            .filter(|r| r.path == "/v1/metrics")
            .flat_map(|r| {
                let req = ExportMetricsServiceRequest::decode(r.body.as_slice())
                    .expect("a metric export decodes");
                req.resource_metrics
                    .into_iter()
                    .flat_map(|rm| rm.scope_metrics)
                    .flat_map(|sm| sm.metrics)
            })
            .collect()
    }
}

async fn serve(listener: std::net::TcpListener, store: Arc<Mutex<Vec<Received>>>) {
    let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let store = store.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                let store = store.clone();
                async move {
                    let path = req.uri().path().to_string();
                    let content_type = req
                        .headers()
                        .get("content-type")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_string();
                    let body = req.into_body().collect().await?.to_bytes().to_vec();
                    store.lock().expect("lock").push(Received {
                        path,
                        content_type,
                        body,
                    });
                    Ok::<_, hyper::Error>(
                        Response::builder()
                            .status(200)
                            .header("content-type", "application/x-protobuf")
                            .body(Full::new(Bytes::new()))
                            .expect("response"),
                    )
                }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
