// A TypeScript agent that trades on a scarcity market over NATS.
//
// It opens its account, reads its balance and the prices, bids for a bundle
// of CPU and tokens, waits for the market to allocate it, uses some of the
// tokens, and tells the market what it thought and did (emit). It follows
// the events about itself the whole time and reacts to them: it prints each
// one, and bids once more, higher, if its bid is rejected.
//
// Environment:
//   NATS_URL          the NATS server (default nats://127.0.0.1:4222)
//   AGENT             the agent's id (required)
//   PREFIX            the market's subject prefix (default "scarcity")
//   AGENT_TIMEOUT_MS  how long the whole run may take (default 25000)
//
// It logs to stderr and prints one line of JSON to stdout at the end, a
// summary of the run; it exits 0 on success and 1 on any failure or
// timeout.

import { connect, type NatsConnection } from "@nats-io/transport-node";
import { ApiError, MarketClient, isCode } from "./api.js";
import * as dec from "./decimal.js";
import { EventBook, decodeEvent, is, type EventOf } from "./events.js";
import { eventSubjects, inboxPrefix } from "./subjects.js";
import type { AgentEventType, BalanceResult, EmitData, PricesResult, Quantities } from "./types.js";

/** What the agent buys: 10 % of the CPU and 20,000 tokens for a minute. */
const want: Quantities = { cpu: 10, tokens: 20_000 };
const durationSeconds = 60;
/** How many of the tokens it uses once the bundle is active. */
const useTokens = 4_000;
/** The first bid offers twice the bundle's cost at current prices; a retry three times. */
const bidMultipliers = [2n, 3n];
/** How long to wait for each event the agent expects. */
const eventTimeoutMs = 30_000;

/** Config is what the environment says. */
interface Config {
  url: string;
  agent: string;
  prefix: string;
  timeoutMs: number;
}

/** readConfig reads the environment; AGENT is required. */
function readConfig(): Config {
  const agent = process.env.AGENT ?? "";
  if (agent === "") {
    throw new Error("set AGENT to the agent's id");
  }
  return {
    url: process.env.NATS_URL ?? "nats://127.0.0.1:4222",
    agent,
    prefix: process.env.PREFIX ?? "scarcity",
    timeoutMs: Number(process.env.AGENT_TIMEOUT_MS ?? 25_000),
  };
}

/** log writes a progress line to stderr; stdout is kept for the summary. */
function log(msg: string): void {
  console.error(`tsagent: ${msg}`);
}

/** Summary is the one line of JSON printed at the end. */
interface Summary {
  ok: boolean;
  agent: string;
  error?: string;
  order_id?: string;
  bundle_id?: string;
  bids?: number;
  limit?: string;
  paid?: string;
  used_tokens?: number;
  balance_before?: string;
  balance_after?: string;
  events?: Record<string, number>;
}

/**
 * subscribe listens to every subject of the events about the agent and
 * records each decoded event in book. Core NATS, not JetStream: the agent
 * wants the events live from now on, and its permissions in a real
 * deployment let it subscribe to these subjects only.
 */
async function subscribe(nc: NatsConnection, cfg: Config, book: EventBook): Promise<void> {
  for (const subject of eventSubjects(cfg.prefix, cfg.agent)) {
    nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err) {
          log(`subscription ${subject}: ${err.message}`);
          return;
        }
        try {
          book.add(decodeEvent(msg.data));
        } catch (e) {
          log(`undecodable event on ${msg.subject}: ${String(e)}`);
        }
      },
    });
  }
  // Make sure the server has the subscriptions before any command runs,
  // or the first events (account_opened, bid_placed) could pass unseen.
  await nc.flush();
}

/** Trader is the agent's trading logic over one market. */
class Trader {
  private calls = 0;
  bids = 0;

  constructor(
    readonly api: MarketClient,
    readonly book: EventBook,
  ) {}

  /**
   * openAccount opens the agent's account. The operator may have opened it
   * already with credits: opening an agent's own account again is no
   * error, and account_exists (the id is taken by another kind of account)
   * is reported but not fatal, since balance then tells whether it works.
   */
  async openAccount(): Promise<void> {
    try {
      await this.api.call("open", {});
    } catch (err) {
      if (!isCode(err, "account_exists")) throw err;
      log(`open: ${err.message}`);
    }
  }

  /** emit publishes an agent event of type with data (agent_id is filled in by the market). */
  async emit<T extends AgentEventType>(type: T, data: EmitData<T>): Promise<void> {
    await this.api.call("emit", { type, data });
  }

  /**
   * toolCall runs f as a tool call the market hears about: a
   * tool_call_initiated before, a tool_call_completed after, succeeded or
   * failed, with the error's code. It returns f's result or throws its
   * error.
   */
  async toolCall<T>(tool: string, args: Record<string, string>, f: () => Promise<T>): Promise<T> {
    const callId = `${this.api.agent}-call-${++this.calls}`;
    await this.emit("tool_call_initiated", { call_id: callId, tool_name: tool, arguments: args });
    try {
      const result = await f();
      await this.emit("tool_call_completed", {
        call_id: callId, tool_name: tool, status: "succeeded", result: JSON.stringify(result ?? {}),
      });
      return result;
    } catch (err) {
      await this.emit("tool_call_completed", {
        call_id: callId, tool_name: tool, status: "failed", error: err instanceof ApiError ? err.code : String(err),
      });
      throw err;
    }
  }

  /**
   * bid places one bid for want at limit and waits for the market's
   * verdict on it: the resources_allocated of a clearing round, or a
   * bid_rejected (at placement, where the reply says so too, or at
   * clearing).
   */
  async bid(limit: dec.Dec): Promise<EventOf<"resources_allocated"> | EventOf<"bid_rejected">> {
    const id = `${this.api.agent}-${Date.now().toString(36)}-${++this.bids}`;
    const args = { order_id: id, quantities: JSON.stringify(want), duration_seconds: String(durationSeconds), limit: dec.format(limit) };
    try {
      await this.toolCall("market.bid", args, () =>
        this.api.call("bid", { id, quantities: want, duration_seconds: durationSeconds, limit: dec.format(limit) }),
      );
    } catch (err) {
      // A bid refused at placement also publishes bid_rejected; wait for
      // it below like a rejection at clearing. Anything else is fatal.
      if (!isCode(err, "rejected")) throw err;
    }
    log(`bid ${id}: ${dec.format(limit)} credits; waiting for the round to clear`);
    const verdict = await this.book.waitFor(
      `verdict on bid ${id}`,
      (e) => (is(e, "resources_allocated") || is(e, "bid_rejected")) && e.data.order_id === id,
      eventTimeoutMs,
    );
    return verdict as EventOf<"resources_allocated"> | EventOf<"bid_rejected">;
  }
}

/**
 * bundleCost is what want costs for durationSeconds at prices (credits
 * per unit per second): Σ quantity × price × seconds, exactly.
 */
function bundleCost(prices: PricesResult["prices"]): dec.Dec {
  let cost = dec.zero;
  for (const [resource, qty] of Object.entries(want)) {
    const price = prices[resource];
    if (price === undefined) throw new Error(`the market has no price for ${resource}`);
    cost = dec.add(cost, dec.mulInt(dec.parse(price), BigInt(qty) * BigInt(durationSeconds)));
  }
  return cost;
}

/** run is the agent's whole session; it returns the summary of a success. */
async function run(nc: NatsConnection, cfg: Config, summary: Summary): Promise<void> {
  const book = new EventBook();
  // React to every event about the agent: print it.
  book.onEvent((e) => log(`event ${e.source}/${e.type} about ${e.subject ?? "-"}`));
  await subscribe(nc, cfg, book);
  const t = new Trader(new MarketClient(nc, cfg.agent, cfg.prefix), book);

  // 1. Account, balance and prices.
  await t.openAccount();
  const before: BalanceResult = await t.api.call("balance", {});
  summary.balance_before = before.available;
  const { prices } = await t.api.call("prices", {});
  log(`balance ${before.available} available; prices ${JSON.stringify(prices)}`);

  // 2. Bid, and once more higher if the bid is rejected.
  const cost = bundleCost(prices);
  const available = dec.parse(before.available);
  let allocated: EventOf<"resources_allocated"> | undefined;
  for (const k of bidMultipliers) {
    const limit = dec.mulInt(cost, k);
    if (dec.compare(limit, available) > 0) {
      throw new Error(`a bid of ${dec.format(limit)} exceeds the ${before.available} credits available`);
    }
    await t.emit("reasoning_trace", {
      decision: t.bids === 0 ? "place_bid" : "raise_bid",
      content: `${JSON.stringify(want)} for ${durationSeconds} s costs ${dec.format(cost)} at ${JSON.stringify(prices)}; ` +
        `offering ${k}x: ${dec.format(limit)} of ${before.available} credits`,
    });
    const verdict = await t.bid(limit);
    summary.limit = dec.format(limit);
    if (is(verdict, "resources_allocated")) {
      allocated = verdict;
      break;
    }
    log(`bid ${verdict.data.order_id} rejected: ${verdict.data.reason}`);
  }
  summary.bids = t.bids;
  if (!allocated) throw new Error(`every bid rejected (${t.bids})`);
  const bundleId = allocated.data.bundle_id;
  summary.order_id = allocated.data.order_id;
  summary.bundle_id = bundleId;
  summary.paid = allocated.data.amount;
  log(`won ${bundleId} for ${allocated.data.amount} credits in round ${allocated.data.round}`);

  // 3. Use the tokens once the bundle is active (its window has started:
  // the market activates it on its next tick after clearing).
  await book.waitFor(`bundle_activated of ${bundleId}`,
    (e) => is(e, "bundle_activated") && e.data.bundle_id === bundleId, eventTimeoutMs);
  await t.toolCall("market.use", { resource: "tokens", quantity: String(useTokens) },
    () => t.api.call("use", { resource: "tokens", quantity: useTokens }));
  const usage = await book.waitFor(`usage_recorded of ${bundleId}`,
    (e) => is(e, "usage_recorded") && e.data.bundle_id === bundleId, eventTimeoutMs) as EventOf<"usage_recorded">;
  summary.used_tokens = usage.data.used;
  await t.emit("reasoning_trace", {
    decision: "use_bundle",
    content: `used ${usage.data.used} of ${usage.data.limit} tokens of ${bundleId}`,
  });

  // 4. The market publishes what the agent emitted as events about it:
  // wait until the last ones are back, so the stream surely holds them.
  await book.waitFor("the agent's own use_bundle trace",
    (e) => is(e, "reasoning_trace") && e.data.decision === "use_bundle", eventTimeoutMs);
  await book.waitFor("the agent's own tool_call_completed",
    (e) => is(e, "tool_call_completed") && e.data.tool_name === "market.use", eventTimeoutMs);

  const after = await t.api.call("balance", {});
  summary.balance_after = after.available;
  summary.events = book.counts();
  summary.ok = true;
}

/** main runs the agent within its timeout and exits with its outcome. */
async function main(): Promise<void> {
  let cfg: Config;
  try {
    cfg = readConfig();
  } catch (err) {
    console.log(JSON.stringify({ ok: false, agent: "", error: String(err) }));
    process.exit(1);
  }
  const summary: Summary = { ok: false, agent: cfg.agent };
  const finish = (code: number): never => {
    console.log(JSON.stringify(summary));
    process.exit(code);
  };
  // A hard deadline: whatever hangs (a market that never clears, a lost
  // connection), the agent ends and says so.
  setTimeout(() => {
    summary.error = `timed out after ${cfg.timeoutMs} ms`;
    finish(1);
  }, cfg.timeoutMs).unref();

  let nc: NatsConnection | undefined;
  try {
    // The market answers only requests whose reply subject is under the
    // agent's inbox, so the connection's inboxes must be _INBOX.<agent>.
    nc = await connect({ servers: cfg.url, inboxPrefix: inboxPrefix(cfg.agent), name: `tsagent ${cfg.agent}` });
    await run(nc, cfg, summary);
    await nc.drain();
  } catch (err) {
    summary.error = err instanceof Error ? err.message : String(err);
    await nc?.close();
    finish(1);
  }
  finish(0);
}

await main();
