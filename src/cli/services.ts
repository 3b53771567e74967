// Entry point of scripts/up's service list: `<name> <port>`, one line per consumer service
// in the catalog, so that the script starts every service and waits on the right port.
import { SERVICE_CATALOG } from '../services/catalog.js';

for (const service of SERVICE_CATALOG) process.stdout.write(`${service.name} ${service.httpPort}\n`);
