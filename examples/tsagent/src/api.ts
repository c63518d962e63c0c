// A client of the market's command API: one NATS request per command on
// <prefix>.cmd.v1.<agent>.<verb>, one JSON reply {"result"} or {"error"}.
// It mirrors Go's agentapi.Client, without its typed errors: an error reply
// becomes an ApiError carrying the stable code.

import { errors, type NatsConnection } from "@nats-io/transport-node";
import { commandSubject } from "./subjects.js";
import type { ErrorCode, Replies, Requests, Results, Verb, WireError } from "./types.js";

/** An error reply of the market: code is one of agentapi's Code constants. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly detail: WireError;

  constructor(verb: string, w: WireError) {
    super(`${verb}: ${w.code}: ${w.message}`);
    this.name = "ApiError";
    this.code = w.code;
    this.detail = w;
  }
}

/** A request no market answered: nobody serves the subject, or too late. */
export class UnavailableError extends Error {
  constructor(verb: string, cause: unknown) {
    super(`${verb}: no market answered (${String(cause)})`, { cause });
    this.name = "UnavailableError";
  }
}

/** MarketClient sends the commands of one agent. */
export class MarketClient {
  constructor(
    private readonly nc: NatsConnection,
    readonly agent: string,
    readonly prefix: string,
    private readonly timeoutMs = 15_000,
  ) {}

  /**
   * call sends req as verb and returns the reply's result. The body is
   * plain JSON.stringify: every amount in it is already a string, so no
   * number is ever rounded on the way.
   */
  async call<V extends Verb>(verb: V, req: Requests[V]): Promise<Results[V]> {
    const subject = commandSubject(this.prefix, this.agent, verb);
    let reply: Replies[V];
    try {
      const msg = await this.nc.request(subject, JSON.stringify(req), { timeout: this.timeoutMs });
      reply = msg.json<Replies[V]>();
    } catch (err) {
      // No responders (no market serves the prefix) and timeouts are
      // worth telling apart from a bad reply: the first two may be retried.
      if (err instanceof errors.RequestError || err instanceof errors.TimeoutError) {
        throw new UnavailableError(verb, err);
      }
      throw err;
    }
    if (reply.error) {
      throw new ApiError(verb, reply.error);
    }
    // A verb whose reply schema has no result answers {}: undefined.
    return (reply as { result?: unknown }).result as Results[V];
  }
}

/** isCode reports whether err is an error reply with the given code. */
export function isCode(err: unknown, code: ErrorCode): err is ApiError {
  return err instanceof ApiError && err.code === code;
}
