// One log line per request, written when it completes: its method, URL, client, status and
// time, and what the route adds (a signup: the user and event ids, the partition and offset).
// Fastify's own logging writes a line when a request arrives and another when it completes;
// at thousands of signups a second the first is half the log volume and tells nothing the
// second does not.
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    /** The route's message and fields for the request's line; unset: 'request completed'. */
    outcome: RequestOutcome | undefined;
  }
}

export interface RequestOutcome {
  readonly msg: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

export class AccessLog extends LogController {
  override incomingRequest(): void {
    // Nothing on arrival: the line is written on completion.
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    if (error) {
      reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
      return;
    }
    const outcome = request.outcome;
    reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime, ...outcome?.fields }, outcome?.msg ?? 'request completed');
  }
}
