// The one logger factory: structured JSON lines (pino) on stdout, one child per component.
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export function createLogger(level: LevelWithSilent, name: string): Logger {
  return pino({ name, level, base: { pid: process.pid, service: name } });
}
