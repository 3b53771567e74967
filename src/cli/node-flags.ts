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
// 1,000 signups/s: near a limit V8 collects sooner. bench/email-backlog.ts (the email
// service working through 30,000 signups at 256 SMTP connections) peaked at 195-200 MB
// instead of 290-301, for 298-302 µs of CPU per email instead of 227-228. The live objects
// are bounded by the batches in flight, not by the backlog; a deployment that raises
// SMTP_MAX_CONNECTIONS or CONSUMER_MAX_BATCH_SIZE far should raise this with them.
export const APP_NODE_FLAGS = ['--enable-source-maps', '--max-semi-space-size=16', '--max-old-space-size=160'] as const;
