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
export const APP_NODE_FLAGS = ['--enable-source-maps', '--max-semi-space-size=16'] as const;
