//! Waves and the EC2 capacity under the services (issue 19): bad input refused before
//! anything is made.

use super::*;

#[tokio::test]
async fn a_wave_or_wave_timeout_out_of_range_exits_2_naming_the_key_and_creates_nothing() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let zip = function_zip(dir.path(), "fn.zip", None);
    for (from, to, key) in [
        (
            "service = \"api\"",
            "service = \"api\"\nwave = 12",
            "services[0].wave",
        ),
        (
            "trigger = \"rules\"",
            "trigger = \"rules\"\nwave_timeout_minutes = 61",
            "schedule.wave_timeout_minutes",
        ),
    ] {
        let text = config("wt", "rules", TWO_SERVICES);
        assert!(text.contains(from), "{from} in {text}");
        write_config(dir.path(), &text.replacen(from, to, 1));
        let run = worktime(
            dir.path(),
            &moto.env(),
            &["bootstrap", "--yes", "--artifact", zip.to_str().unwrap()],
        )
        .expect_code(2);
        assert!(run.stderr.contains(key), "{key}: {}", run.stderr);
        assert!(run.stderr.contains("Fix: "), "{}", run.stderr);
        assert!(run.stdout.is_empty(), "{}", run.stdout);
    }
    let buckets = moto.s3().await.list_buckets().send().await.unwrap();
    assert!(buckets.buckets().is_empty(), "nothing created");
    let stacks = aws_sdk_cloudformation::Client::new(&moto.sdk().await)
        .list_stacks()
        .send()
        .await
        .unwrap();
    assert!(stacks.stack_summaries().is_empty(), "no stack");
}
