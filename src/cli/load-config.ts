import { ConfigError, loadConfig, type Config } from '../config.js';

/** Every entry point starts here: a bad environment stops the process with each problem named. */
export function loadConfigOrExit(requirement?: (config: Config) => unknown): Config {
  try {
    const config = loadConfig();
    requirement?.(config);
    return config;
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}
