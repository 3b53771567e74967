import { ConfigError, loadConfig, type Config } from '../config.js';

/** Every entry point starts here: a bad environment stops the process with each problem named. */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}
