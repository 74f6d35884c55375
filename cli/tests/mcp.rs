//! `cannery mcp` through the binary, driven by the MCP SDK's own client (rmcp) over stdio: the
//! tool is listed with its schemas, and `lint_reply` answers a canned draft, a personal one, a
//! blank one and bad arguments as an agent needs.
#![cfg(feature = "mcp")]

mod common;

use rmcp::model::CallToolRequestParams;
use rmcp::service::RunningService;
use rmcp::transport::TokioChildProcess;
use rmcp::{RoleClient, ServiceExt};
use serde_json::{json, Value};

async fn client(args: &[&str]) -> RunningService<RoleClient, ()> {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_cannery"));
    command
        .args(["mcp", "--isolated"])
        .args(args)
        .env_remove("CANNERY_MODEL");
    let transport = TokioChildProcess::new(command).expect("cannery mcp starts");
    ().serve(transport).await.expect("the MCP handshake")
}

async fn call(client: &RunningService<RoleClient, ()>, args: Value) -> (bool, Value, String) {
    let Value::Object(args) = args else {
        unreachable!()
    };
    let result = client
        .call_tool(CallToolRequestParams::new("lint_reply").with_arguments(args))
        .await
        .expect("the call is answered");
    let text = serde_json::to_value(&result.content).unwrap().to_string();
    (
        result.is_error.unwrap_or(false),
        result.structured_content.unwrap_or(Value::Null),
        text,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lint_reply_tells_an_agent_what_to_rewrite() {
    let client = client(&[]).await;
    let info = client.peer_info().expect("the server's info");
    assert_eq!(
        info.server_info.as_ref().map(|i| i.name.as_str()),
        Some("cannery")
    );

    let tools = client.list_all_tools().await.unwrap();
    assert_eq!(tools.len(), 1);
    let tool = &tools[0];
    assert_eq!(tool.name, "lint_reply");
    let input = serde_json::to_value(&tool.input_schema).unwrap();
    for key in ["draft", "customer", "name", "group"] {
        assert!(input["properties"][key].is_object(), "{key} in {input}");
    }
    assert_eq!(input["required"], json!(["draft"]));
    let output = serde_json::to_value(tool.output_schema.as_ref().unwrap()).unwrap();
    for key in [
        "verdict",
        "canned",
        "personalisation",
        "spans",
        "template",
        "nearest",
        "instruction",
    ] {
        assert!(output["properties"][key].is_object(), "{key} in {output}");
    }

    // A canned draft: fails, with its spans' text and an instruction naming the question.
    let draft = "Thank you for your message. You can find our policies by clicking this link.";
    let (error, r, _) = call(
        &client,
        json!({"draft": draft, "customer": "Hi. Where is my order 4417? It was due Monday."}),
    )
    .await;
    assert!(!error);
    assert_eq!(r["verdict"], "canned");
    assert_eq!(r["fails"], true);
    assert!(r["canned"].as_f64().unwrap() >= r["fail_at"].as_f64().unwrap());
    let spans = r["spans"].as_array().unwrap();
    assert!(!spans.is_empty());
    for s in spans {
        let (a, b) = (
            s["byte_start"].as_u64().unwrap() as usize,
            s["byte_end"].as_u64().unwrap() as usize,
        );
        assert_eq!(s["text"], draft[a..b]);
    }
    assert_eq!(r["nearest"]["id"], "stock:182");
    let instruction = r["instruction"].as_str().unwrap();
    assert!(
        instruction.starts_with("Rewrite before sending"),
        "{instruction}"
    );
    assert!(
        instruction.contains("Where is my order 4417?"),
        "{instruction}"
    );
    let first: String = spans[0]["text"]
        .as_str()
        .unwrap()
        .trim()
        .chars()
        .take(40)
        .collect();
    assert!(instruction.contains(&first), "{instruction}");

    // The same report as `cannery lint --format json`.
    let out = common::cannery(
        &[
            "lint",
            "--isolated",
            "--format",
            "json",
            "--customer",
            "Hi. Where is my order 4417? It was due Monday.",
            draft,
        ],
        None,
    );
    let linted: Value = serde_json::from_str(&common::stdout(&out)).unwrap();
    assert_eq!(r["canned"], linted["canned"]);
    assert_eq!(r["personalisation"], linted["personalisation"]);
    assert_eq!(
        r["spans"].as_array().unwrap().len(),
        linted["spans"].as_array().unwrap().len()
    );

    // A draft written for the customer passes.
    let (error, r, _) = call(
        &client,
        json!({
            "draft": "Hi Dana, order 4417 was held at our Leeds depot by the storm; it goes out on tomorrow's first van and reaches you by Thursday.",
            "customer": "Where is my order 4417? It was due Monday.",
            "name": "Dana",
        }),
    )
    .await;
    assert!(!error);
    assert_eq!(r["fails"], false, "{r}");
    assert!(
        r["instruction"].as_str().unwrap().starts_with("Send it")
            || r["instruction"].as_str().unwrap().starts_with("It passes"),
        "{r}"
    );

    // Without the customer's message, the instruction asks for it.
    let (_, r, _) = call(&client, json!({"draft": draft})).await;
    assert!(
        r["instruction"]
            .as_str()
            .unwrap()
            .contains("pass the customer's message"),
        "{r}"
    );

    // A blank draft is a tool error the agent can read.
    let (error, _, text) = call(&client, json!({"draft": "  \n"})).await;
    assert!(error);
    assert!(text.contains("empty or white space"), "{text}");

    // Arguments the schema does not allow are refused.
    let bad = client
        .call_tool(
            CallToolRequestParams::new("lint_reply")
                .with_arguments(json!({"text": draft}).as_object().unwrap().clone()),
        )
        .await;
    match bad {
        Err(_) => {}
        Ok(r) => assert_eq!(r.is_error, Some(true), "{r:?}"),
    }
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lint_reply_scores_within_the_group() {
    let dir = common::tmp("mcp-group");
    let corpus = dir.join("corpus.jsonl");
    let copy = "Our Leeds depot reopens on Monday at nine after the refit.";
    std::fs::write(
        &corpus,
        format!(
            "{}\n{}\n",
            json!({"id": "a-1", "text": copy, "brand": "Acme"}),
            json!({"id": "b-1", "text": "Something else entirely for another tenant.", "brand": "Other"})
        ),
    )
    .unwrap();
    let client = client(&["--corpus", common::path(&corpus)]).await;
    let (_, r, _) = call(&client, json!({"draft": copy, "group": "Acme"})).await;
    assert_eq!(r["nearest"]["id"], "a-1");
    assert_eq!(r["nearest"]["similarity"], 1.0);
    let (_, r, _) = call(&client, json!({"draft": copy, "group": "Other"})).await;
    assert_ne!(
        r["nearest"]["id"], "a-1",
        "another tenant's reply is never shown: {r}"
    );
    client.cancel().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn standard_input_is_the_protocols() {
    let out = common::cannery(&["mcp", "--isolated", "--corpus", "-"], Some(b"{}"));
    assert_eq!(out.status.code(), Some(2));
    assert!(common::stderr(&out).contains("standard input carries the MCP protocol"));
}
