//! Inserts into an index whose template families are mined: any replies, in any order, keep
//! the families consistent (ids 1, 2, 3, ... most used first, counts within the archive), the
//! same after a save and a load, and scoring never panics. Lines of the input are replies; the
//! first half builds the index, the rest are inserted one at a time.
#![no_main]
use cannery::{Context, Index, Reply};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    let lines: Vec<&str> = input.lines().take(64).collect();
    let (built, inserted) = lines.split_at(lines.len() / 2);
    let ids: Vec<String> = (0..built.len()).map(|i| format!("b{i}")).collect();
    let mut index = Index::builder()
        .stock_corpus(false)
        .build(built.iter().zip(&ids).map(|(t, id)| Reply::new(id, t)));
    index.templates(1); // mines the families, which the inserts then carry
    for (i, text) in inserted.iter().enumerate() {
        index.insert(Reply::new(&format!("i{i}"), text));
        let _ = index.score(text, &Context::new());
        let templates = index.templates(2);
        for (rank, t) in templates.iter().enumerate() {
            assert_eq!(t.id, rank + 1);
            assert!(t.count as usize <= index.len());
        }
        assert!(templates.windows(2).all(|w| w[0].count >= w[1].count));
    }
    let back = Index::from_bytes(&index.to_bytes()).expect("a saved index loads");
    assert_eq!(back.templates(1), index.templates(1));
    index.remine_templates();
    let _ = index.templates(1);
});
