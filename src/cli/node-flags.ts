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
// --max-old-space-size=160: with no limit V8 lets the old generation grow to 90-120 MB
// between full collections, while with a limit the heap in use stayed within 30-55 MB at
// 1,000 signups/s: near a limit V8 collects sooner.
// With 160, a backlog of 30,000 welcome emails at 256 SMTP connections peaked at 197-200 MB
// instead of 282-295, for 219-236 µs of CPU per email instead of 190-194. The live objects
// are bounded by the batches in flight, not by the backlog; a deployment that raises
// SMTP_MAX_CONNECTIONS or CONSUMER_MAX_BATCH_SIZE far should raise this with them.
export const APP_NODE_FLAGS = ['--enable-source-maps', '--max-semi-space-size=16', '--max-old-space-size=160'] as const;
