// The Node.js flags every long-running process of the app (the API and each consumer
// service) starts with. Launchers that cannot import this list — package.json, scripts/up,
// the Dockerfile and docker-compose.yml — write it out; test/unit/node-flags.test.ts holds
// each of them to it.
//
// --max-semi-space-size=16: under load, Node 24's V8 grows its young generation to two
// 64 MB semi-spaces whatever the heap limit, and keeps them. That made up about 90 MB of
// every process's memory (docs/BENCHMARKS.md, end to end). Two 16 MB semi-spaces collect
// more often and promote more; measured here it cost the consumers a median of 12 % and
// the API about 6 % more CPU per record, for about 85 MB less resident memory per process.
//
// --max-old-space-size=160: with no limit V8 let the old generation grow to 85-119 MB
// between full collections, while with a limit the heap in use peaked at 45-55 MB at
// 1,000 signups/s: near a limit V8 collects sooner. bench/backlog.ts (the email
// service working through 30,000 signups at 256 SMTP connections) peaked at 195-200 MB
// instead of 290-301, for 298-302 µs of CPU per email instead of 227-228. A deployment that
// raises SMTP_MAX_CONNECTIONS or CONSUMER_MAX_BATCH_SIZE far should raise this with them.
// Analytics and onboarding catching up on 100,000 signups peak above 250 MB with or
// without it (302-337 MB with it): the Kafka client's own buffers, sized by the consumption
// rate, not the batches (README, Memory).
//
// --heap-growing-percent=100: under a limit that small, V8 let the old generation grow only
// about 1.3 times the live objects before the next full collection: the email service ran one
// every 1.4 s with 31-36 MB live, each pausing it 17 ms (median) and up to 83 ms. Growing to
// twice the live objects halves how often. At 1,000 signups/s (bench/end-to-end.ts, four
// pairs of 40 s runs, each pair back to back) the five processes spent 884-922 µs of CPU per
// signup against 918-1,133 without it, the welcome email's p99 was 378-1,862 ms against
// 641-11,008, and each consumer service peaked 20-35 MB higher (179-200 MB; the API
// 159-165). Working through a backlog (bench/backlog.ts), the email service peaked
// at 226-231 MB instead of 195-196, for 247-267 µs of CPU per email instead of 286-288.
export const APP_NODE_FLAGS = ['--enable-source-maps', '--max-semi-space-size=16', '--max-old-space-size=160', '--heap-growing-percent=100'] as const;
