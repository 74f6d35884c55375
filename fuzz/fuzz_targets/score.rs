//! Scoring: any reply and customer message give scores in [0, 1] and spans on char boundaries;
//! leave-one-out of an inserted copy never reports itself.
#![no_main]
use cannery::{Context, Index, Reply};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| {
        Index::builder().build([
            Reply::new("a", "@1 Please DM us your order number and we'll look into this. ^JK"),
            Reply::new("b", "Your parcel left our Leeds depot at 7:40 this morning."),
        ])
    })
}

fuzz_target!(|input: (&str, &str)| {
    let (reply, customer) = input;
    let r = index().score(reply, &Context::new().message(customer).name(customer));
    assert!((0.0..=1.0).contains(&r.canned) && (0.0..=1.0).contains(&r.personalisation));
    for s in &r.spans {
        assert!(s.bytes.end <= reply.len());
        assert!(reply.is_char_boundary(s.bytes.start) && reply.is_char_boundary(s.bytes.end));
    }
    let mut own = index().clone();
    own.insert(Reply::new("self", reply));
    let r = own.score_excluding(reply, &Context::new(), "self");
    assert!(r.nearest.iter().all(|n| n.id != "self"));
});
