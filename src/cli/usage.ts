// The tools' one convention: --help (or -h) prints the usage to stdout and succeeds; a call
// the tool cannot take prints it to stderr and exits 2, before any connection is made.
export function wantsHelp(args: readonly string[]): boolean {
  return args.includes('--help') || args.includes('-h');
}

export function exitWithUsage(usage: string, args: readonly string[], problem?: string): never {
  if (wantsHelp(args)) {
    process.stdout.write(usage);
    process.exit(0);
  }
  process.stderr.write(problem === undefined ? usage : `${usage}${problem}\n`);
  process.exit(2);
}
